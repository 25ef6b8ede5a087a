import { Agent, request } from "node:http";
import type { SentRequest } from "../src/standin/http-delivery.js";

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly elapsedMs: number;
}

/** A keep-alive HTTP client for loopback load: one pooled connection per request in flight. */
export class LoadClient {
  private readonly agent: Agent;

  constructor(maxSockets: number) {
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** POSTs the request; `elapsedMs` runs from writing the request to reading the whole answer. */
  send(sent: SentRequest, timeoutMs = 10_000): Promise<Answer> {
    const url = new URL(sent.url);
    const body = Buffer.from(sent.body);
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          agent: this.agent,
          headers: { ...sent.headers, "Content-Length": String(body.length) },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString("utf8"),
              elapsedMs: performance.now() - started,
            }),
          );
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer from ${sent.url} within ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
