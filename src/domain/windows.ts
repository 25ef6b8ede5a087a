/*
 * Deployment windows and freezes, read on the wall clock of one time zone.
 *
 * A window is open while the local clock shows one of its days and a time in
 * [from, to); a window whose `to` is before its `from` runs past midnight into
 * the next day. Reading the wall clock rather than adding hours to a start
 * instant is what keeps "09:00–16:00" right on the days clocks change. Where
 * an instant is needed (when does the next window open, when does a freeze
 * end) a local time is turned into the first instant whose clock shows it:
 * the earlier of two when clocks go back, the moment of the jump when clocks
 * go forward past it.
 */
import { TZDate, tzOffset } from "@date-fns/tz";
import { format } from "date-fns";

export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Day = (typeof DAYS)[number];

/** When deployments may start, e.g. `{ days: [mon, tue], from: "09:00", to: "16:00" }`. */
export interface AllowWindow {
  readonly days: readonly Day[];
  /** `HH:MM`, local time. */
  readonly from: string;
  /** `HH:MM` (or `24:00`), local time; before `from` means the next day. */
  readonly to: string;
}

/** An absolute period when nothing may deploy; `YYYY-MM-DD HH:MM` (or `YYYY-MM-DD`) in the windows' time zone. */
export interface Freeze {
  readonly from: string;
  readonly to: string;
  readonly reason?: string;
}

export interface Windows {
  /** IANA time zone name, e.g. Europe/Berlin. */
  readonly timezone: string;
  /** None listed: any time outside a freeze. */
  readonly allow?: readonly AllowWindow[];
  readonly freezes?: readonly Freeze[];
  /** Whether a hotfix may deploy outside a window or during a freeze. Default false. */
  readonly hotfixBypass?: boolean;
  /** When traffic is low: the only time a sensitive deployment may start. */
  readonly lowTraffic?: readonly AllowWindow[];
}

export type WindowStatus =
  | { open: true; bypassed?: "window" | "freeze" }
  | { open: false; reason: string; nextOpen?: Date };

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const MINUTES_PER_DAY = 24 * 60;
/** How far a next opening is searched for: jumps from freeze end to window start and back. */
const MAX_SEARCH_STEPS = 200;
/** Openings closer than this are named by weekday alone ("Tue 09:00 CET"). */
const WEEKDAY_ONLY_MS = 6 * DAY_MS;

const DAY_LABELS: Readonly<Record<Day, string>> = {
  mon: "Mon",
  tue: "Tue",
  wed: "Wed",
  thu: "Thu",
  fri: "Fri",
  sat: "Sat",
  sun: "Sun",
};

/** `Date.getDay()` numbering: Sunday is 0. */
const DAY_NUMBER: Readonly<Record<Day, number>> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?: ([01]\d|2[0-3]):([0-5]\d))?$/;

/** Minutes after midnight of `HH:MM` (0..1439), or of `24:00` (1440) when `allowEndOfDay`; undefined if malformed. */
export function parseClock(text: string, allowEndOfDay = false): number | undefined {
  if (allowEndOfDay && text === "24:00") return MINUTES_PER_DAY;
  const match = CLOCK.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * 60 + Number(match[2]);
}

export interface LocalDateTime {
  readonly year: number;
  /** 1..12 */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

/** Reads `YYYY-MM-DD HH:MM` or `YYYY-MM-DD` (midnight); undefined if malformed or not a real date. */
export function parseLocalDateTime(text: string): LocalDateTime | undefined {
  const match = LOCAL_DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi] = match;
  const value = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h ?? 0),
    minute: Number(mi ?? 0),
  };
  const check = new Date(Date.UTC(value.year, value.month - 1, value.day));
  if (check.getUTCFullYear() !== value.year || check.getUTCMonth() !== value.month - 1) return undefined;
  if (check.getUTCDate() !== value.day) return undefined;
  return value;
}

/** Whether the runtime knows `name` as an IANA time zone (offsets such as +01:00 are not accepted). */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function offsetMs(timeZone: string, at: number): number {
  return tzOffset(timeZone, new Date(at)) * MINUTE_MS;
}

/**
 * The first instant whose wall clock in `timeZone` shows the given local time:
 * of two (clocks going back) the earlier, and for a time skipped when clocks
 * go forward, the moment of the jump.
 */
export function localToInstant(timeZone: string, local: LocalDateTime): number {
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  const before = offsetMs(timeZone, asUtc - DAY_MS);
  const after = offsetMs(timeZone, asUtc + DAY_MS);
  const matches = [...new Set([before, after])]
    .map((offset) => asUtc - offset)
    .filter((instant) => offsetMs(timeZone, instant) === asUtc - instant);
  if (matches.length > 0) return Math.min(...matches);
  /* Skipped local time: the jump lies between reading it with the new offset and with the old one. */
  let low = asUtc - Math.max(before, after);
  let high = asUtc - Math.min(before, after);
  const oldOffset = offsetMs(timeZone, low);
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (offsetMs(timeZone, middle) === oldOffset) low = middle;
    else high = middle;
  }
  return high;
}

interface Wall {
  /** `Date.getDay()` numbering. */
  weekday: number;
  minutes: number;
  year: number;
  month: number;
  day: number;
}

function wallClock(timeZone: string, at: number): Wall {
  const local = new TZDate(at, timeZone);
  return {
    weekday: local.getDay(),
    minutes: local.getHours() * 60 + local.getMinutes(),
    year: local.getFullYear(),
    month: local.getMonth() + 1,
    day: local.getDate(),
  };
}

interface ParsedWindow {
  readonly source: AllowWindow;
  readonly weekdays: ReadonlySet<number>;
  readonly from: number;
  readonly to: number;
}

function parseWindow(window: AllowWindow): ParsedWindow | undefined {
  const from = parseClock(window.from);
  const to = parseClock(window.to, true);
  if (from === undefined || to === undefined || from === to) return undefined;
  return { source: window, weekdays: new Set(window.days.map((day) => DAY_NUMBER[day])), from, to };
}

function inWindow(window: ParsedWindow, wall: Wall): boolean {
  if (window.from < window.to) {
    return window.weekdays.has(wall.weekday) && wall.minutes >= window.from && wall.minutes < window.to;
  }
  const yesterday = (wall.weekday + 6) % 7;
  return (
    (window.weekdays.has(wall.weekday) && wall.minutes >= window.from) ||
    (window.weekdays.has(yesterday) && wall.minutes < window.to)
  );
}

interface FreezeSpan {
  readonly source: Freeze;
  readonly start: number;
  readonly end: number;
}

function freezeSpans(windows: Windows): FreezeSpan[] {
  const spans: FreezeSpan[] = [];
  for (const freeze of windows.freezes ?? []) {
    const from = parseLocalDateTime(freeze.from);
    const to = parseLocalDateTime(freeze.to);
    if (from === undefined || to === undefined) continue;
    const start = localToInstant(windows.timezone, from);
    const end = localToInstant(windows.timezone, to);
    if (end > start) spans.push({ source: freeze, start, end });
  }
  return spans;
}

/** The latest-ending freeze covering `at`, so one jump clears overlapping freezes. */
function freezeAt(spans: readonly FreezeSpan[], at: number): FreezeSpan | undefined {
  let found: FreezeSpan | undefined;
  for (const span of spans) {
    if (at >= span.start && at < span.end && (found === undefined || span.end > found.end)) found = span;
  }
  return found;
}

/** The freezes that keep `at` frozen without a break, and when the last of them ends. */
function frozenStretch(spans: readonly FreezeSpan[], at: number): { end: number; reasons: string[] } | undefined {
  let span = freezeAt(spans, at);
  if (span === undefined) return undefined;
  const reasons: string[] = [];
  let end = at;
  while (span !== undefined) {
    const reason = span.source.reason;
    if (reason !== undefined && !reasons.includes(reason)) reasons.push(reason);
    end = span.end;
    span = freezeAt(spans, end);
  }
  return { end, reasons };
}

/** The earliest start of any window strictly after `at`. */
function nextWindowStart(timeZone: string, windows: readonly ParsedWindow[], at: number): number | undefined {
  let best: number | undefined;
  const today = wallClock(timeZone, at);
  for (let shift = -1; shift <= 8; shift += 1) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + shift));
    const weekday = date.getUTCDay();
    for (const window of windows) {
      if (!window.weekdays.has(weekday)) continue;
      const start = localToInstant(timeZone, {
        year: date.getUTCFullYear(),
        month: date.getUTCMonth() + 1,
        day: date.getUTCDate(),
        hour: Math.floor(window.from / 60),
        minute: window.from % 60,
      });
      if (start > at && (best === undefined || start < best)) best = start;
    }
  }
  return best;
}

function isOpenAt(timeZone: string, windows: readonly ParsedWindow[], at: number): boolean {
  if (windows.length === 0) return true;
  const wall = wallClock(timeZone, at);
  return windows.some((window) => inWindow(window, wall));
}

/** The first instant at or after `from` inside a window and outside every freeze. */
function nextOpening(
  timeZone: string,
  windows: readonly ParsedWindow[],
  spans: readonly FreezeSpan[],
  from: number,
): number | undefined {
  let at = from;
  for (let step = 0; step < MAX_SEARCH_STEPS; step += 1) {
    const freeze = freezeAt(spans, at);
    if (freeze !== undefined) {
      at = freeze.end;
      continue;
    }
    if (isOpenAt(timeZone, windows, at)) return at;
    const start = nextWindowStart(timeZone, windows, at);
    if (start === undefined) return undefined;
    at = start;
  }
  return undefined;
}

const zoneNameFormats = new Map<string, Intl.DateTimeFormat>();

function zoneNameFormat(locale: string, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale} ${timeZone}`;
  let found = zoneNameFormats.get(key);
  if (found === undefined) {
    found = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: "short" });
    zoneNameFormats.set(key, found);
  }
  return found;
}

/**
 * The short name people use for the zone at that instant: CET/CEST, EST/EDT,
 * BST; a GMT offset where no abbreviation is common (GMT+5:30).
 */
export function zoneAbbreviation(timeZone: string, at: Date): string {
  let fallback = "";
  for (const locale of ["en-US", "en-GB"]) {
    const name = zoneNameFormat(locale, timeZone)
      .formatToParts(at)
      .find((part) => part.type === "timeZoneName")?.value;
    if (name === undefined) continue;
    if (!/^(GMT|UTC)[+\-−]/.test(name)) return name;
    if (fallback === "") fallback = name;
  }
  return fallback === "" ? timeZone : fallback;
}

/** "Tue 09:00 CET" when within six days of `now`, else "Mon 4 Jan 2027 09:00 CET" (the year only when it differs). */
export function formatLocal(timeZone: string, at: Date, now: Date): string {
  const local = new TZDate(at.getTime(), timeZone);
  const zone = zoneAbbreviation(timeZone, at);
  if (at.getTime() - now.getTime() < WEEKDAY_ONLY_MS && at.getTime() >= now.getTime()) {
    return `${format(local, "EEE HH:mm")} ${zone}`;
  }
  const sameYear = local.getFullYear() === new TZDate(now.getTime(), timeZone).getFullYear();
  return `${format(local, sameYear ? "EEE d MMM HH:mm" : "EEE d MMM yyyy HH:mm")} ${zone}`;
}

/** "Mon–Thu", "Mon, Wed, Fri", "Sat, Sun", "every day". */
export function describeDays(days: readonly Day[]): string {
  const present = DAYS.filter((day) => days.includes(day));
  if (present.length === DAYS.length) return "every day";
  const runs: Day[][] = [];
  for (const day of present) {
    const run = runs.at(-1);
    const last = run?.at(-1);
    if (run !== undefined && last !== undefined && DAYS.indexOf(last) + 1 === DAYS.indexOf(day)) run.push(day);
    else runs.push([day]);
  }
  return runs
    .map((run) => {
      const first = run[0];
      const last = run.at(-1);
      if (first === undefined || last === undefined) return "";
      if (run.length >= 3) return `${DAY_LABELS[first]}–${DAY_LABELS[last]}`;
      return run.map((day) => DAY_LABELS[day]).join(", ");
    })
    .join(", ");
}

/** "Mon–Thu 09:00–16:00, Fri 09:00–12:00 Europe/Berlin" */
export function describeWindows(windows: Windows): string {
  const allow = windows.allow ?? [];
  if (allow.length === 0) return `any time (${windows.timezone})`;
  const parts = allow.map((window) => `${describeDays(window.days)} ${window.from}–${window.to}`);
  return `${parts.join(", ")} ${windows.timezone}`;
}

/**
 * Whether a deployment may start at `now`. A freeze wins over a window; a
 * hotfix goes ahead anyway when `hotfixBypass` is set, and says what it
 * bypassed. When closed, the reason names the freeze and its end or the
 * windows, and `nextOpen` is the first moment a deployment may start.
 */
export function windowStatus(
  windows: Windows | undefined,
  now: Date,
  options: { readonly hotfix?: boolean } = {},
): WindowStatus {
  if (windows === undefined) return { open: true };
  const timeZone = windows.timezone;
  const hotfix = options.hotfix === true;
  const bypass = windows.hotfixBypass === true;
  const allow = (windows.allow ?? []).map(parseWindow).filter((window) => window !== undefined);
  const spans = freezeSpans(windows);
  const at = now.getTime();

  const freeze = frozenStretch(spans, at);
  const inside = isOpenAt(timeZone, allow, at);
  if (freeze === undefined && inside) return { open: true };
  if (hotfix && bypass) return { open: true, bypassed: freeze !== undefined ? "freeze" : "window" };

  const next = nextOpening(timeZone, allow, spans, at);
  const nextOpen = next === undefined ? undefined : new Date(next);
  const parts: string[] = [];
  if (freeze !== undefined) {
    const why = freeze.reasons.length === 0 ? "" : ` (${freeze.reasons.join("; ")})`;
    parts.push(`deployments are frozen until ${formatLocal(timeZone, new Date(freeze.end), now)}${why}`);
    if (next !== undefined && next !== freeze.end) {
      parts.push(`the next deployment window opens ${formatLocal(timeZone, new Date(next), now)}`);
    } else if (next === undefined) {
      parts.push("no deployment window opens after it");
    }
  } else {
    const plural = allow.length === 1 ? "window" : "windows";
    parts.push(`outside the deployment ${plural} (${describeWindows(windows)})`);
    parts.push(
      next === undefined
        ? "no window opens in the coming weeks"
        : `next opens ${formatLocal(timeZone, new Date(next), now)}`,
    );
  }
  if (bypass) parts.push("a --hotfix deployment may go ahead anyway");
  else if (hotfix) parts.push("hotfixes do not bypass it here (windows.hotfixBypass is off in the manifest)");
  const reason = parts.join("; ");
  return nextOpen === undefined ? { open: false, reason } : { open: false, reason, nextOpen };
}

/**
 * Whether a sensitive deployment may start at `now`: only inside one of the
 * environment's low-traffic windows (freezes are `windowStatus`'s business).
 * Closed, the reason names the windows and when the next one opens.
 */
export function lowTrafficStatus(windows: Windows | undefined, now: Date): WindowStatus {
  const low = (windows?.lowTraffic ?? []).map(parseWindow).filter((window) => window !== undefined);
  if (windows === undefined || low.length === 0) {
    return { open: false, reason: "a sensitive deployment needs a low-traffic window, and none is set for it" };
  }
  const at = now.getTime();
  if (isOpenAt(windows.timezone, low, at)) return { open: true };
  const next = nextWindowStart(windows.timezone, low, at);
  const described = describeWindows({ timezone: windows.timezone, allow: windows.lowTraffic ?? [] });
  const when = next === undefined ? "" : `; the next opens ${formatLocal(windows.timezone, new Date(next), now)}`;
  const reason = `a sensitive deployment runs only in the low-traffic window (${described})${when}`;
  return next === undefined ? { open: false, reason } : { open: false, reason, nextOpen: new Date(next) };
}
