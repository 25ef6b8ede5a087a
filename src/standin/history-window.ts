import { booleanField, type JsonObject, presentString, stringField } from "./json.js";
import { compareSlackTs } from "./slack-ts.js";

/**
 * The part of a conversation conversations.history or conversations.replies
 * is asked for: `oldest`/`latest` bounds (exclusive unless `inclusive`), a
 * page size, and where a previous page stopped. Cursors are Slack's own
 * shape, base64 of `next_ts:<ts without the dot>`, naming the first message
 * of the next page.
 */
export interface HistoryWindow {
  readonly oldest: string | undefined;
  readonly latest: string | undefined;
  readonly inclusive: boolean;
  readonly limit: number;
  /** Where the page starts (that message included); `undefined` for the first page. */
  readonly from: string | undefined;
  readonly includeAllMetadata: boolean;
}

export interface WindowLimits {
  /** Page size when `limit` is missing or not a positive number. */
  readonly defaultLimit: number;
  /** Larger `limit`s are cut to this. */
  readonly maxLimit: number;
}

const TS = /^\d+(\.\d+)?$/;
const CURSOR = /^next_ts:(\d{7,})$/;

export function readWindow(
  args: JsonObject,
  limits: WindowLimits,
): { ok: true; window: HistoryWindow } | { ok: false; error: string } {
  const oldest = presentString(args, "oldest");
  if (oldest !== undefined && !TS.test(oldest)) return { ok: false, error: "invalid_ts_oldest" };
  const latest = presentString(args, "latest");
  if (latest !== undefined && !TS.test(latest)) return { ok: false, error: "invalid_ts_latest" };
  let from: string | undefined;
  const cursor = presentString(args, "cursor");
  if (cursor !== undefined) {
    const digits = Buffer.from(cursor, "base64").toString("utf8").match(CURSOR)?.[1];
    if (digits === undefined) return { ok: false, error: "invalid_cursor" };
    from = `${digits.slice(0, -6)}.${digits.slice(-6)}`;
  }
  const asked = Math.floor(Number(stringField(args, "limit") ?? Number.NaN));
  const limit = Number.isFinite(asked) && asked > 0 ? Math.min(asked, limits.maxLimit) : limits.defaultLimit;
  return {
    ok: true,
    window: {
      oldest,
      latest,
      inclusive: booleanField(args, "inclusive") === true,
      limit,
      from,
      includeAllMetadata: booleanField(args, "include_all_metadata") === true,
    },
  };
}

/** Whether a message's ts lies between the window's `oldest` and `latest`. */
export function inWindow(ts: string, window: HistoryWindow): boolean {
  const { oldest, latest, inclusive } = window;
  if (oldest !== undefined) {
    const order = compareSlackTs(ts, oldest);
    if (order < 0 || (order === 0 && !inclusive)) return false;
  }
  if (latest !== undefined) {
    const order = compareSlackTs(ts, latest);
    if (order > 0 || (order === 0 && !inclusive)) return false;
  }
  return true;
}

/** The cursor for a page that starts at the message with this ts. */
export function cursorAt(ts: string): string {
  return Buffer.from(`next_ts:${ts.replace(".", "")}`, "utf8").toString("base64");
}
