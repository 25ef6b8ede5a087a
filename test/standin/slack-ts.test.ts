import { describe, expect, it } from "vitest";
import { compareSlackTs, SlackTsClock } from "../../src/standin/slack-ts.js";

describe("SlackTsClock", () => {
  it("formats seconds and microseconds and never repeats, even when the clock stands still or goes back", () => {
    let now = 1_700_000_000_123;
    const clock = new SlackTsClock(() => now);
    const first = clock.next();
    const second = clock.next();
    now -= 5000;
    const third = clock.next();
    expect(first).toBe("1700000000.123000");
    expect(second).toBe("1700000000.123001");
    expect(third).toBe("1700000000.123002");
    expect(compareSlackTs(first, third)).toBeLessThan(0);
  });
});
