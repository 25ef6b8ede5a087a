import type { IncomingMessage } from "node:http";
import { readRawBody } from "../http-body.js";

/** Slack's requests are small; anything larger is refused before it is read whole. */
const MAX_BODY_BYTES = 1024 * 1024;

export type BodyCheck = { ok: true; raw: Buffer } | { ok: false; status: 400 | 413 };

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads a request to `/slack/events` whole and refuses, with a 4xx, a body
 * Slack never sends: an interaction `payload` or a JSON body that is not an
 * object. Bolt's receiver assumes an object there and would crash the
 * process otherwise. The buffer is handed on as `rawBody`, which Bolt reads
 * instead of the stream, so its signature check sees the same bytes.
 */
export async function readSlackBody(req: IncomingMessage): Promise<BodyCheck> {
  const raw = await readRawBody(req, MAX_BODY_BYTES);
  if (raw === undefined) return { ok: false, status: 413 };
  const text = raw.toString("utf8");
  const type = req.headers["content-type"] ?? "";
  try {
    if (type.includes("application/json")) {
      if (!isObject(JSON.parse(text))) return { ok: false, status: 400 };
    } else {
      const payload = new URLSearchParams(text).get("payload");
      if (payload !== null && !isObject(JSON.parse(payload))) return { ok: false, status: 400 };
    }
  } catch {
    return { ok: false, status: 400 };
  }
  return { ok: true, raw };
}
