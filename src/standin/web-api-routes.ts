import type { IncomingMessage, ServerResponse } from "node:http";
import { coerceError } from "../errors.js";
import { parseApiRequest, readBody, tokenProblem } from "./api-request.js";
import { isJsonObject, type JsonObject, parseJson, stringField } from "./json.js";
import { applyResponse } from "./response-effects.js";
import { RESPONSE_URL_LIMITS, type ResponseRecord } from "./response-urls.js";
import type { StandInState } from "./stand-in-state.js";
import { apiError, METHODS, type MethodDeps, tokenKindFor } from "./web-api-methods.js";

function sendJson(res: ServerResponse, status: number, body: JsonObject, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Serves the Web API under /api/, response URLs under /response/, permalinks under /archives/. */
export async function handleHttp(state: StandInState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const path = new URL(req.url ?? "/", state.urls.base || "http://127.0.0.1/").pathname;
    if (path.startsWith("/api/"))
      return await handleApi(state, req, res, decodeURIComponent(path.slice("/api/".length)));
    if (path.startsWith("/response/") && req.method === "POST") {
      return await handleResponseUrl(state, req, res, path.slice("/response/".length));
    }
    if (path.startsWith("/archives/")) {
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(`Slack stand-in permalink ${path}\n`);
      return;
    }
    sendJson(res, 404, { ok: false, error: "not_found", detail: `the stand-in has nothing at ${req.method} ${path}` });
  } catch (thrown) {
    const error = coerceError(thrown);
    if (!res.headersSent) sendJson(res, 500, { ok: false, error: "internal_error", detail: error.message });
    else res.destroy(error);
  }
}

function methodDeps(state: StandInState): MethodDeps {
  return {
    workspace: state.workspace,
    store: state.store,
    tsClock: state.tsClock,
    now: state.now,
    triggers: state.triggers,
    views: state.views,
    socketUrl: () => state.hub.issueUrl(state.urls.ws),
    baseUrl: () => state.urls.base,
  };
}

async function handleApi(
  state: StandInState,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
): Promise<void> {
  const at = state.now();
  const parsed = parseApiRequest(req, await readBody(req));
  const args = parsed.ok ? parsed.args : {};
  const answer = (status: number, response: JsonObject, headers: Record<string, string> = {}): void => {
    sendJson(res, status, response, headers);
    const call = state.calls.record({ method, args, status, response, at });
    state.events.emit("call", call);
    state.feed.notify();
  };
  if (!parsed.ok) return answer(200, apiError(parsed.error));
  const handler = METHODS[method];
  if (!handler) return answer(200, { ok: false, error: "unknown_method", req_method: method });
  const authProblem = tokenProblem(tokenKindFor(method), parsed.token, {
    botToken: state.options.botToken,
    appToken: state.options.appToken,
  });
  if (authProblem !== undefined) return answer(200, apiError(authProblem));
  if ((await state.holds.take(method, args)) === "failed") return answer(500, apiError("internal_error"));
  const fault = state.faults.next(method);
  if (fault?.kind === "ratelimited") {
    return answer(429, apiError("ratelimited"), { "Retry-After": String(fault.retryAfterSeconds) });
  }
  if (fault?.kind === "server_error") return answer(fault.status, apiError("internal_error"));
  if (fault?.kind === "error") return answer(200, apiError(fault.error));
  if (state.enforceRateLimits) {
    const channel = stringField(args, "channel");
    const retryAfter = state.limiter.take(method, state.workspace.resolveChannel(channel)?.id ?? channel);
    if (retryAfter !== undefined) return answer(429, apiError("ratelimited"), { "Retry-After": String(retryAfter) });
  }
  const response = handler(args, methodDeps(state));
  answer(200, response);
}

async function handleResponseUrl(
  state: StandInState,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
): Promise<void> {
  const entry = state.responseUrls.get(id);
  const text = (await readBody(req)).toString("utf8");
  if (!entry) return sendJson(res, 404, { ok: false, error: "expired_url" });
  const at = state.now();
  const body = bodyOf(req, text);
  let outcome: Omit<ResponseRecord, "body" | "at">;
  if (!body) outcome = { status: 400, outcome: "rejected", error: "invalid_payload" };
  else if (at - entry.createdAt > RESPONSE_URL_LIMITS.ttlMs)
    outcome = { status: 404, outcome: "rejected", error: "expired_url" };
  else if (entry.responses.filter((r) => r.status === 200).length >= RESPONSE_URL_LIMITS.uses) {
    outcome = { status: 404, outcome: "rejected", error: "used_url" };
  } else {
    outcome = applyResponse(entry.context, body, "response_url", {
      store: state.store,
      tsClock: state.tsClock,
      now: state.now,
      identity: state.workspace.identity,
    });
  }
  const record: ResponseRecord = { ...outcome, body: body ?? { raw: text }, at };
  entry.responses.push(record);
  sendJson(res, outcome.status, outcome.error === undefined ? { ok: true } : { ok: false, error: outcome.error });
  state.events.emit("response", entry, record);
  state.feed.notify();
}

function bodyOf(req: IncomingMessage, text: string): JsonObject | undefined {
  const contentType = (req.headers["content-type"] ?? "").toLowerCase();
  if (contentType.startsWith("application/x-www-form-urlencoded")) {
    const payload = new URLSearchParams(text).get("payload");
    const parsed = payload === null ? undefined : parseJson(payload);
    return isJsonObject(parsed) ? parsed : undefined;
  }
  const parsed = parseJson(text);
  return isJsonObject(parsed) ? parsed : undefined;
}
