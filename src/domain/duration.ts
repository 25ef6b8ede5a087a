import { quoteToken } from "./safe-text.js";

export const DURATION_EXAMPLES = "e.g. 45s, 30m, 2h or 1d (combine them as 1h30m)";
export const MAX_DURATION_MS = 365 * 24 * 60 * 60 * 1000;

export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;
const SHAPE = /^(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?$/;

/**
 * Parses a duration such as `45s`, `30m`, `2h`, `1d` or `1h30m` (units from
 * largest to smallest, each at most once) into milliseconds. Refuses zero and
 * anything longer than 365 days.
 */
export function parseDuration(text: string): DurationResult {
  const normalized = text.trim().toLowerCase();
  if (normalized === "") return { ok: false, message: `a duration is required, ${DURATION_EXAMPLES}` };
  const match = SHAPE.exec(normalized);
  if (!match) {
    return {
      ok: false,
      message: `duration ${quoteToken(text)} is not understood; write a whole number followed by d, h, m or s, ${DURATION_EXAMPLES}`,
    };
  }
  const [, days, hours, minutes, seconds] = match;
  const ms =
    Number(days ?? 0) * UNIT_MS.d +
    Number(hours ?? 0) * UNIT_MS.h +
    Number(minutes ?? 0) * UNIT_MS.m +
    Number(seconds ?? 0) * UNIT_MS.s;
  if (ms === 0)
    return {
      ok: false,
      message: `duration ${quoteToken(text)} is zero; give a positive duration, ${DURATION_EXAMPLES}`,
    };
  if (ms > MAX_DURATION_MS) {
    return {
      ok: false,
      message: `duration ${quoteToken(text)} is longer than 365 days; give a shorter one, ${DURATION_EXAMPLES}`,
    };
  }
  return { ok: true, ms };
}
