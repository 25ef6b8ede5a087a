import { SlipwayError } from "../errors.js";
import { parseJson } from "./json.js";
import { corruptSignature, signedHeaders } from "./sign-request.js";

/** How to tamper with a request to the app, for tests of the receiver's checks. */
export interface SigningOptions {
  /** Request timestamp in seconds; pass an old one to test staleness. @default now */
  timestamp?: number;
  /** Sign with this secret instead of the configured one. */
  signingSecret?: string;
  /** Send a well-formed but wrong signature. */
  corruptSignature?: boolean;
  /** Leave out both headers (`true`) or the named ones. */
  omitHeaders?: boolean | readonly ("signature" | "timestamp")[];
  /** Adds `X-Slack-Retry-Num` (HTTP) or `retry_attempt` (Socket Mode). */
  retryNum?: number;
  /** Adds `X-Slack-Retry-Reason` (HTTP) or `retry_reason` (Socket Mode), e.g. "http_timeout". */
  retryReason?: string;
}

/** The exact bytes and headers sent, so the same request can be replayed. */
export interface SentRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export interface HttpAnswer {
  status: number;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json: unknown;
  elapsedMs: number;
}

export function buildSignedRequest(
  url: string,
  body: string,
  contentType: string,
  signingSecret: string,
  nowSeconds: number,
  options: SigningOptions,
): SentRequest {
  const timestamp = options.timestamp ?? nowSeconds;
  const signed = signedHeaders(options.signingSecret ?? signingSecret, timestamp, body);
  const headers: Record<string, string> = {
    "Content-Type": contentType,
    "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
  };
  const omit: readonly string[] =
    options.omitHeaders === true
      ? ["signature", "timestamp"]
      : options.omitHeaders === false
        ? []
        : (options.omitHeaders ?? []);
  if (!omit.includes("timestamp")) headers["X-Slack-Request-Timestamp"] = signed["X-Slack-Request-Timestamp"] ?? "";
  if (!omit.includes("signature")) {
    const signature = signed["X-Slack-Signature"] ?? "";
    headers["X-Slack-Signature"] = options.corruptSignature ? corruptSignature(signature) : signature;
  }
  if (options.retryNum !== undefined) headers["X-Slack-Retry-Num"] = String(options.retryNum);
  if (options.retryReason !== undefined) headers["X-Slack-Retry-Reason"] = options.retryReason;
  return { url, body, headers };
}

/** POSTs the request and reads the app's answer; fails clearly when the app is down or too slow. */
export async function sendRequest(request: SentRequest, timeoutMs: number, now: () => number): Promise<HttpAnswer> {
  const started = now();
  let response: Response;
  const post = () =>
    fetch(request.url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  try {
    // A kept-alive connection the app closed as it sat idle fails before any answer: sent again on a new one.
    response = await post().catch((cause: unknown) => {
      if (!closedBeforeAnswer(cause)) throw cause;
      return post();
    });
  } catch (cause) {
    const reason =
      cause instanceof Error && cause.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : describe(cause);
    throw new SlipwayError("standin_delivery_failed", `POST ${request.url} failed: ${reason}`, { cause });
  }
  const body = await response.text();
  return { status: response.status, body, json: body === "" ? undefined : parseJson(body), elapsedMs: now() - started };
}

/** undici's "other side closed": the connection ended before the app answered anything. */
function closedBeforeAnswer(cause: unknown): boolean {
  const inner = cause instanceof Error ? cause.cause : undefined;
  return (inner as { code?: unknown } | undefined)?.code === "UND_ERR_SOCKET";
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause instanceof Error ? ` (${cause.cause.message})` : "";
  return `${cause.message}${inner}`;
}
