import { describe, expect, it } from "vitest";
import {
  describeDays,
  describeWindows,
  localToInstant,
  lowTrafficStatus,
  parseClock,
  parseLocalDateTime,
  type Windows,
  windowStatus,
} from "../../../src/domain/windows.js";

const at = (iso: string) => new Date(iso);

const berlinWorkingHours: Windows = {
  timezone: "Europe/Berlin",
  allow: [{ days: ["mon", "tue", "wed", "thu"], from: "09:00", to: "16:00" }],
};

function closed(status: ReturnType<typeof windowStatus>): { reason: string; nextOpen?: Date } {
  if (status.open) throw new Error("expected the window to be closed");
  return status;
}

describe("windowStatus in one time zone", () => {
  it("is open inside the window and closed at its end", () => {
    expect(windowStatus(berlinWorkingHours, at("2026-02-02T08:00:00Z"))).toEqual({ open: true }); // Mon 09:00 CET
    expect(windowStatus(berlinWorkingHours, at("2026-02-02T14:59:00Z"))).toEqual({ open: true }); // Mon 15:59
    const after = closed(windowStatus(berlinWorkingHours, at("2026-02-02T15:00:00Z"))); // Mon 16:00
    expect(after.reason).toBe(
      "outside the deployment window (Mon–Thu 09:00–16:00 Europe/Berlin); next opens Tue 09:00 CET",
    );
    expect(after.nextOpen).toEqual(at("2026-02-03T08:00:00Z"));
  });

  it("skips the days the window is closed", () => {
    const friday = closed(windowStatus(berlinWorkingHours, at("2026-02-06T10:00:00Z")));
    expect(friday.reason).toContain("next opens Mon 09:00 CET");
    expect(friday.nextOpen).toEqual(at("2026-02-09T08:00:00Z"));
  });

  it("is always open without windows or with no allow list", () => {
    expect(windowStatus(undefined, at("2026-02-07T03:00:00Z"))).toEqual({ open: true });
    expect(windowStatus({ timezone: "UTC" }, at("2026-02-07T03:00:00Z"))).toEqual({ open: true });
  });
});

describe("windowStatus across daylight-saving changes", () => {
  it("keeps 09:00 local in Berlin the week clocks go forward (29 March 2026)", () => {
    // Thu 26 March 16:30 CET: closed; the next opening is Mon 30 March 09:00 CEST, which is 07:00 UTC.
    const before = closed(windowStatus(berlinWorkingHours, at("2026-03-26T15:30:00Z")));
    expect(before.nextOpen).toEqual(at("2026-03-30T07:00:00Z"));
    expect(before.reason).toContain("next opens Mon 09:00 CEST");
    expect(windowStatus(berlinWorkingHours, at("2026-03-30T06:59:00Z")).open).toBe(false);
    expect(windowStatus(berlinWorkingHours, at("2026-03-30T07:00:00Z"))).toEqual({ open: true });
    expect(windowStatus(berlinWorkingHours, at("2026-03-30T13:59:00Z"))).toEqual({ open: true }); // 15:59 CEST
    expect(windowStatus(berlinWorkingHours, at("2026-03-30T14:00:00Z")).open).toBe(false); // 16:00 CEST
  });

  it("keeps 09:00 local in Berlin the week clocks go back (25 October 2026)", () => {
    const before = closed(windowStatus(berlinWorkingHours, at("2026-10-22T15:00:00Z")));
    expect(before.nextOpen).toEqual(at("2026-10-26T08:00:00Z"));
    expect(before.reason).toContain("next opens Mon 09:00 CET");
    expect(windowStatus(berlinWorkingHours, at("2026-10-26T07:59:00Z")).open).toBe(false);
    expect(windowStatus(berlinWorkingHours, at("2026-10-26T08:00:00Z"))).toEqual({ open: true });
  });

  it("treats a window over the skipped hour as empty on that night, and opens it at the jump the next time", () => {
    const nightly: Windows = { timezone: "Europe/Berlin", allow: [{ days: ["sun"], from: "02:30", to: "04:00" }] };
    // Sun 29 March 2026: 02:00 CET jumps to 03:00 CEST (01:00 UTC). 02:30 never shows, so the window opens at the jump.
    const before = closed(windowStatus(nightly, at("2026-03-29T00:30:00Z"))); // 01:30 CET
    expect(before.nextOpen).toEqual(at("2026-03-29T01:00:00Z"));
    expect(windowStatus(nightly, at("2026-03-29T01:00:00Z"))).toEqual({ open: true }); // 03:00 CEST
    expect(windowStatus(nightly, at("2026-03-29T01:59:00Z"))).toEqual({ open: true }); // 03:59 CEST
    expect(windowStatus(nightly, at("2026-03-29T02:00:00Z")).open).toBe(false); // 04:00 CEST
  });

  it("is open for both passes through a repeated hour when clocks go back", () => {
    const nightly: Windows = { timezone: "Europe/Berlin", allow: [{ days: ["sun"], from: "02:00", to: "03:00" }] };
    // Sun 25 October 2026: 03:00 CEST goes back to 02:00 CET (01:00 UTC); 02:00–03:00 happens twice.
    expect(windowStatus(nightly, at("2026-10-25T00:15:00Z"))).toEqual({ open: true }); // 02:15 CEST
    expect(windowStatus(nightly, at("2026-10-25T01:15:00Z"))).toEqual({ open: true }); // 02:15 CET
    expect(windowStatus(nightly, at("2026-10-25T02:00:00Z")).open).toBe(false); // 03:00 CET
    const saturday = closed(windowStatus(nightly, at("2026-10-24T12:00:00Z")));
    expect(saturday.nextOpen).toEqual(at("2026-10-25T00:00:00Z")); // the first 02:00
  });

  it("follows America/New_York through March 8 and November 1, 2026", () => {
    const newYork: Windows = {
      timezone: "America/New_York",
      allow: [{ days: ["mon", "tue", "wed", "thu", "fri"], from: "10:00", to: "15:00" }],
    };
    const march = closed(windowStatus(newYork, at("2026-03-06T21:00:00Z"))); // Fri 16:00 EST
    expect(march.nextOpen).toEqual(at("2026-03-09T14:00:00Z")); // Mon 10:00 EDT
    expect(march.reason).toBe(
      "outside the deployment window (Mon–Fri 10:00–15:00 America/New_York); next opens Mon 10:00 EDT",
    );
    const november = closed(windowStatus(newYork, at("2026-10-30T20:00:00Z"))); // Fri 16:00 EDT
    expect(november.nextOpen).toEqual(at("2026-11-02T15:00:00Z")); // Mon 10:00 EST
    expect(november.reason).toContain("next opens Mon 10:00 EST");
  });
});

describe("windowStatus across time zones", () => {
  const tokyo: Windows = { timezone: "Asia/Tokyo", allow: [{ days: ["mon"], from: "09:00", to: "12:00" }] };
  const newYork: Windows = { timezone: "America/New_York", allow: [{ days: ["sun"], from: "19:00", to: "22:00" }] };

  it("reads the same instant on each zone's own clock", () => {
    // 2026-02-02T00:30Z is Monday 09:30 in Tokyo and Sunday 19:30 in New York.
    const instant = at("2026-02-02T00:30:00Z");
    expect(windowStatus(tokyo, instant)).toEqual({ open: true });
    expect(windowStatus(newYork, instant)).toEqual({ open: true });
    expect(windowStatus(berlinWorkingHours, instant).open).toBe(false); // Monday 01:30 in Berlin
  });

  it("does not depend on the machine's time zone", () => {
    const original = process.env.TZ;
    try {
      process.env.TZ = "Pacific/Kiritimati";
      const status = closed(windowStatus(berlinWorkingHours, at("2026-02-02T15:00:00Z")));
      expect(status.nextOpen).toEqual(at("2026-02-03T08:00:00Z"));
      expect(status.reason).toContain("next opens Tue 09:00 CET");
    } finally {
      if (original === undefined) delete process.env.TZ;
      else process.env.TZ = original;
    }
  });
});

describe("windowStatus with midnight-spanning windows", () => {
  const lateNight: Windows = { timezone: "Europe/London", allow: [{ days: ["fri"], from: "22:00", to: "02:00" }] };

  it("runs from the listed day into the next morning", () => {
    expect(windowStatus(lateNight, at("2026-01-09T22:00:00Z"))).toEqual({ open: true }); // Fri 22:00 GMT
    expect(windowStatus(lateNight, at("2026-01-10T01:59:00Z"))).toEqual({ open: true }); // Sat 01:59
    expect(windowStatus(lateNight, at("2026-01-10T02:00:00Z")).open).toBe(false); // Sat 02:00
    expect(windowStatus(lateNight, at("2026-01-09T01:00:00Z")).open).toBe(false); // Fri 01:00 belongs to Thursday
  });

  it("names the next opening a week ahead with its date", () => {
    const status = closed(windowStatus(lateNight, at("2026-01-10T02:00:00Z")));
    expect(status.nextOpen).toEqual(at("2026-01-16T22:00:00Z"));
    expect(status.reason).toBe(
      "outside the deployment window (Fri 22:00–02:00 Europe/London); next opens Fri 16 Jan 22:00 GMT",
    );
  });

  it("accepts 24:00 as the end of the day", () => {
    const wholeWeekend: Windows = {
      timezone: "UTC",
      allow: [{ days: ["sat", "sun"], from: "00:00", to: "24:00" }],
    };
    expect(windowStatus(wholeWeekend, at("2026-01-10T23:59:00Z"))).toEqual({ open: true });
    expect(windowStatus(wholeWeekend, at("2026-01-12T00:00:00Z")).open).toBe(false);
  });
});

describe("windowStatus with freezes", () => {
  const withFreeze: Windows = {
    ...berlinWorkingHours,
    freezes: [{ from: "2026-12-20 00:00", to: "2027-01-04 00:00", reason: "Holiday freeze" }],
  };

  it("names the freeze, its end and the next window", () => {
    const status = closed(windowStatus(withFreeze, at("2026-12-22T10:00:00Z"))); // Tue, inside working hours
    expect(status.reason).toBe(
      "deployments are frozen until Mon 4 Jan 2027 00:00 CET (Holiday freeze); the next deployment window opens Mon 4 Jan 2027 09:00 CET",
    );
    expect(status.nextOpen).toEqual(at("2027-01-04T08:00:00Z"));
  });

  it("starts and ends at local midnight", () => {
    expect(windowStatus(withFreeze, at("2026-12-19T22:59:00Z")).open).toBe(false); // Sat: outside the window anyway
    const frozenStart = closed(windowStatus(withFreeze, at("2026-12-19T23:00:00Z")));
    expect(frozenStart.reason).toMatch(/^deployments are frozen/);
    const onlyFreeze: Windows = { timezone: "Europe/Berlin", freezes: withFreeze.freezes ?? [] };
    expect(windowStatus(onlyFreeze, at("2026-12-19T22:59:00Z"))).toEqual({ open: true });
    const frozen = closed(windowStatus(onlyFreeze, at("2026-12-19T23:00:00Z")));
    expect(frozen.nextOpen).toEqual(at("2027-01-03T23:00:00Z"));
    expect(frozen.reason).toBe("deployments are frozen until Mon 4 Jan 2027 00:00 CET (Holiday freeze)");
    expect(windowStatus(onlyFreeze, at("2027-01-03T23:00:00Z"))).toEqual({ open: true });
  });

  it("jumps over back-to-back freezes to the first real opening", () => {
    const chained: Windows = {
      timezone: "UTC",
      freezes: [
        { from: "2026-06-01 00:00", to: "2026-06-02 00:00" },
        { from: "2026-06-02 00:00", to: "2026-06-03 12:00", reason: "Data-centre move" },
      ],
    };
    const status = closed(windowStatus(chained, at("2026-06-01T10:00:00Z")));
    expect(status.nextOpen).toEqual(at("2026-06-03T12:00:00Z"));
    expect(status.reason).toBe("deployments are frozen until Wed 12:00 UTC (Data-centre move)");
  });
});

describe("windowStatus for hotfixes", () => {
  const bypassing: Windows = {
    ...berlinWorkingHours,
    freezes: [{ from: "2026-12-20 00:00", to: "2027-01-04 00:00", reason: "Holiday freeze" }],
    hotfixBypass: true,
  };

  it("lets a hotfix through outside the window and during a freeze, saying what it bypassed", () => {
    expect(windowStatus(bypassing, at("2026-02-07T10:00:00Z"), { hotfix: true })).toEqual({
      open: true,
      bypassed: "window",
    });
    expect(windowStatus(bypassing, at("2026-12-22T10:00:00Z"), { hotfix: true })).toEqual({
      open: true,
      bypassed: "freeze",
    });
    expect(windowStatus(bypassing, at("2026-02-02T10:00:00Z"), { hotfix: true })).toEqual({ open: true });
  });

  it("tells a normal deployment that a hotfix could go ahead", () => {
    const status = closed(windowStatus(bypassing, at("2026-02-07T10:00:00Z")));
    expect(status.reason).toContain("a --hotfix deployment may go ahead anyway");
  });

  it("says once, not twice, that a hotfix may go ahead during a freeze", () => {
    const status = closed(windowStatus(bypassing, at("2026-12-22T10:00:00Z")));
    expect(status.reason).toMatch(/^deployments are frozen until .*\(Holiday freeze\)/);
    expect(status.reason.match(/hotfix/g)).toHaveLength(1);
  });

  it("holds a hotfix when the manifest does not allow the bypass", () => {
    const status = closed(
      windowStatus({ ...bypassing, hotfixBypass: false }, at("2026-12-22T10:00:00Z"), { hotfix: true }),
    );
    expect(status.reason).toContain("hotfixes do not bypass it here (windows.hotfixBypass is off in the manifest)");
  });
});

describe("window helpers", () => {
  it("describes days as ranges and lists", () => {
    expect(describeDays(["mon", "tue", "wed", "thu"])).toBe("Mon–Thu");
    expect(describeDays(["fri", "mon", "wed"])).toBe("Mon, Wed, Fri");
    expect(describeDays(["sat", "sun"])).toBe("Sat, Sun");
    expect(describeDays(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])).toBe("every day");
    expect(
      describeWindows({
        timezone: "Europe/Berlin",
        allow: [
          { days: ["mon", "tue", "wed", "thu"], from: "09:00", to: "16:00" },
          { days: ["fri"], from: "09:00", to: "12:00" },
        ],
      }),
    ).toBe("Mon–Thu 09:00–16:00, Fri 09:00–12:00 Europe/Berlin");
  });

  it("parses clock times and local date-times strictly", () => {
    expect(parseClock("09:30")).toBe(570);
    expect(parseClock("24:00")).toBeUndefined();
    expect(parseClock("24:00", true)).toBe(1440);
    expect(parseClock("9:30")).toBeUndefined();
    expect(parseLocalDateTime("2026-12-20 00:00")).toEqual({ year: 2026, month: 12, day: 20, hour: 0, minute: 0 });
    expect(parseLocalDateTime("2026-12-20")).toEqual({ year: 2026, month: 12, day: 20, hour: 0, minute: 0 });
    expect(parseLocalDateTime("2026-02-30 10:00")).toBeUndefined();
    expect(parseLocalDateTime("2026-12-20T10:00")).toBeUndefined();
  });

  it("turns local times into instants: earlier of two, the jump for a skipped time", () => {
    const local = (day: number, hour: number, minute: number, month = 3) => ({ year: 2026, month, day, hour, minute });
    expect(localToInstant("Europe/Berlin", local(29, 2, 30))).toBe(Date.parse("2026-03-29T01:00:00Z"));
    expect(localToInstant("Europe/Berlin", local(25, 2, 30, 10))).toBe(Date.parse("2026-10-25T00:30:00Z"));
    expect(localToInstant("America/New_York", local(8, 2, 15))).toBe(Date.parse("2026-03-08T07:00:00Z"));
    expect(localToInstant("Asia/Kolkata", local(1, 9, 0))).toBe(Date.parse("2026-03-01T03:30:00Z"));
  });
});

describe("lowTrafficStatus", () => {
  const nights: Windows = {
    timezone: "Europe/Berlin",
    lowTraffic: [{ days: ["tue", "wed", "thu"], from: "02:00", to: "05:00" }],
  };

  it("is open inside a low-traffic window, whatever the deployment windows say", () => {
    expect(lowTrafficStatus(nights, at("2026-02-03T01:30:00Z"))).toEqual({ open: true }); // Tue 02:30 CET
  });

  it("is closed outside it, naming the windows and when the next opens", () => {
    const later = closed(lowTrafficStatus(nights, at("2026-02-03T10:00:00Z"))); // Tue 11:00 CET
    expect(later.reason).toBe(
      "a sensitive deployment runs only in the low-traffic window (Tue–Thu 02:00–05:00 Europe/Berlin); the next opens Wed 02:00 CET",
    );
    expect(later.nextOpen).toEqual(at("2026-02-04T01:00:00Z"));
  });

  it("is closed without a low-traffic window", () => {
    expect(closed(lowTrafficStatus({ timezone: "UTC" }, at("2026-02-03T01:30:00Z"))).reason).toContain(
      "needs a low-traffic window",
    );
  });
});
