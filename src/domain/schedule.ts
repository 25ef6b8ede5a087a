/*
 * Deploy on a schedule: cron expressions as BullMQ's job schedulers read
 * them. The parsing and the next-run arithmetic (time zones, daylight saving
 * changes) are cron-parser's, the library BullMQ computes its runs with, so
 * what `slipway validate` accepts and when a run is due are what BullMQ does.
 */
import { CronExpressionParser } from "cron-parser";

const FIELD_COUNTS = [5, 6];
const EXAMPLE = 'e.g. "0 2 * * *" for 02:00 every day, or "0 2 * * 1-5" on weekdays';

function parse(cron: string, timeZone: string | undefined, after: number) {
  return CronExpressionParser.parse(cron, { currentDate: new Date(after), ...(timeZone ? { tz: timeZone } : {}) });
}

/** Why a cron expression cannot be scheduled, or undefined when it can. */
export function cronProblem(cron: string): string | undefined {
  const text = cron.trim();
  const fields = text.split(/\s+/).filter(Boolean).length;
  if (!text.startsWith("@") && !FIELD_COUNTS.includes(fields)) {
    return `'${cron}' has ${fields} ${fields === 1 ? "field" : "fields"}; a cron expression has 5 (minute hour day-of-month month day-of-week) or 6 (seconds first), ${EXAMPLE}`;
  }
  try {
    parse(text, undefined, 0).next();
    return undefined;
  } catch (error) {
    return `'${cron}' is not a cron expression (${error instanceof Error ? error.message : String(error)}), ${EXAMPLE}`;
  }
}

/** The next `count` run times strictly after `after` (epoch ms), read in `timeZone`. */
export function nextRuns(cron: string, timeZone: string, after: number, count: number): number[] {
  const interval = parse(cron.trim(), timeZone, after);
  return Array.from({ length: count }, () => interval.next().getTime());
}
