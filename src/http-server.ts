import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { WebhookAnswer, WebhookRequest } from "./hooks/git-webhook.js";
import { readRawBody } from "./http-body.js";
import type { Logger } from "./logger.js";
import { readSlackBody } from "./slack/events-body.js";
import type { Telemetry } from "./telemetry.js";

export interface HttpServerOptions {
  readonly port: number;
  readonly log: Logger;
  readonly telemetry: Telemetry;
  /** Bolt's handler for Slack's requests; absent in Socket Mode and for workers. */
  readonly slack: RequestListener | undefined;
  /** GitHub's push webhook; absent for workers. */
  readonly gitHook?: (req: WebhookRequest) => Promise<WebhookAnswer>;
  /** Ready when every dependency answers; the reason otherwise. */
  readonly readiness: () => Promise<{ ready: true } | { ready: false; reason: string }>;
}

/** GitHub sends at most 25 MB. */
const GIT_HOOK_MAX_BYTES = 25 * 1024 * 1024;
const JSON_TYPE = "application/json; charset=utf-8";

function send(res: ServerResponse, status: number, body: string, type = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "content-type": type });
  res.end(body);
}

/** Slipway's one HTTP server: Slack's requests, GitHub's pushes, health, readiness and metrics. */
export async function startHttpServer(options: HttpServerOptions): Promise<{ server: Server; port: number }> {
  const { log, telemetry } = options;
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void> | void> = {
    "GET /healthz": (_req, res) => send(res, 200, "ok\n"),
    "GET /readyz": async (_req, res) => {
      const state = await options.readiness();
      if (state.ready) send(res, 200, "ready\n");
      else send(res, 503, `not ready: ${state.reason}\n`);
    },
    "GET /metrics": async (_req, res) => {
      send(res, 200, await telemetry.registry.metrics(), telemetry.registry.contentType);
    },
  };
  if (options.slack) {
    const slack = options.slack;
    routes["POST /slack/events"] = async (req, res) => {
      const body = await readSlackBody(req);
      if (!body.ok) {
        send(res, body.status, body.status === 413 ? "request too large\n" : "malformed Slack request\n");
        return;
      }
      Object.assign(req, { rawBody: body.raw });
      slack(req, res);
    };
  }
  if (options.gitHook) {
    const gitHook = options.gitHook;
    routes["POST /hooks/git"] = async (req, res) => {
      const raw = await readRawBody(req, GIT_HOOK_MAX_BYTES);
      if (raw === undefined) {
        send(
          res,
          413,
          JSON.stringify({ message: "Refused: the body is larger than a GitHub delivery can be." }),
          JSON_TYPE,
        );
        return;
      }
      const answer = await gitHook({ headers: req.headers, raw });
      send(res, answer.status, `${JSON.stringify(answer.body)}\n`, JSON_TYPE);
    };
  }
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const route = `${req.method ?? "GET"} ${path}`;
    const handler = routes[route];
    res.on("finish", () =>
      telemetry.httpRequests.inc({ route: handler ? route : "other", status: String(res.statusCode) }),
    );
    if (!handler) {
      send(res, 404, `no route for ${req.method} ${path}\n`);
      return;
    }
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      log.error({ err: error, route }, "HTTP handler failed");
      if (!res.headersSent) send(res, 500, "internal error\n");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "0.0.0.0", () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
