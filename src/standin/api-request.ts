import type { IncomingMessage } from "node:http";
import { isJsonObject, type JsonObject, parseJson } from "./json.js";

/** Arguments the Web API client sends JSON-encoded inside form bodies. */
const JSON_FIELDS = ["blocks", "attachments", "view", "metadata"] as const;

const MAX_BODY_BYTES = 5 * 1024 * 1024;

export type ParsedApiRequest = { ok: true; args: JsonObject; token: string | undefined } | { ok: false; error: string };

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > limit) throw new RangeError(`request body is larger than ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a Web API request the way Slack does: JSON or form-encoded body, query
 * string too, token from `Authorization: Bearer …` or the `token` argument.
 * JSON-valued form fields (`blocks`, `attachments`, `view`, `metadata`) are
 * decoded when they parse; otherwise they stay strings for the method to refuse.
 */
export function parseApiRequest(req: IncomingMessage, body: Buffer): ParsedApiRequest {
  const args: JsonObject = {};
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  for (const [key, value] of url.searchParams) args[key] = value;
  const contentType = (req.headers["content-type"] ?? "").toLowerCase();
  const text = body.toString("utf8");
  if (contentType.startsWith("application/json")) {
    const parsed = text.trim() === "" ? {} : parseJson(text);
    if (!isJsonObject(parsed)) return { ok: false, error: "invalid_json" };
    Object.assign(args, parsed);
  } else if (contentType.startsWith("multipart/")) {
    return { ok: false, error: "invalid_form_data" };
  } else {
    for (const [key, value] of new URLSearchParams(text)) args[key] = value;
  }
  for (const field of JSON_FIELDS) {
    const value = args[field];
    if (typeof value === "string") {
      const decoded = parseJson(value);
      if (decoded !== undefined && typeof decoded === "object") args[field] = decoded;
    }
  }
  const header = req.headers.authorization;
  const bearer = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  const fromArgs = typeof args.token === "string" && args.token !== "" ? args.token : undefined;
  delete args.token;
  return { ok: true, args, token: bearer ?? fromArgs };
}

/** The auth error Slack would answer for this token, or `undefined` when it is accepted. */
export function tokenProblem(
  kind: "app" | "bot",
  token: string | undefined,
  tokens: { botToken: string; appToken: string | undefined },
): string | undefined {
  if (token === undefined) return "not_authed";
  const wanted = kind === "app" ? tokens.appToken : tokens.botToken;
  const other = kind === "app" ? tokens.botToken : tokens.appToken;
  if (wanted !== undefined && token === wanted) return undefined;
  if (other !== undefined && token === other) return "not_allowed_token_type";
  return "invalid_auth";
}
