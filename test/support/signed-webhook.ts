import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/*
 * A deploy system behind Slipway's `http` target, as a test double at its
 * HTTP boundary: it checks `x-slipway-signature` (sha256 HMAC of the POST
 * body, or of the full status URL on a poll) with its own copy of the
 * secret, answers a good POST `running` with a status URL, and the first
 * poll of it `done`. Anything badly signed gets 401.
 */

export interface WebhookCall {
  readonly method: string;
  readonly path: string;
  readonly signatureOk: boolean;
  readonly idempotencyKey: string | undefined;
  /** The parsed JSON body of a POST. */
  readonly body?: Record<string, unknown>;
  readonly status: number;
}

function expected(secret: string, payload: string): string {
  return `sha256=${createHmac("sha256", secret).update(payload).digest("hex")}`;
}

function verified(secret: string, payload: string, header: string | string[] | undefined): boolean {
  if (typeof header !== "string") return false;
  const want = Buffer.from(expected(secret, payload));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}

export class SignedWebhook {
  readonly calls: WebhookCall[] = [];
  private next = 0;
  private readonly jobs = new Map<string, { action: string; version: string; polls: number }>();

  private constructor(
    private readonly server: Server,
    private readonly secret: string,
  ) {
    server.on("request", (req, res) => void this.handle(req, res));
  }

  static async start(secret: string): Promise<SignedWebhook> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new SignedWebhook(server, secret);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/slipway`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const path = req.url ?? "/";
    const full = `${this.url.replace(/\/slipway$/, "")}${path}`;
    const method = req.method ?? "GET";
    const signatureOk = verified(this.secret, method === "POST" ? text : full, req.headers["x-slipway-signature"]);
    const idempotencyKey =
      typeof req.headers["x-slipway-idempotency-key"] === "string"
        ? req.headers["x-slipway-idempotency-key"]
        : undefined;
    const answer = (status: number, body: unknown, parsed?: Record<string, unknown>) => {
      this.calls.push({ method, path, signatureOk, idempotencyKey, status, ...(parsed ? { body: parsed } : {}) });
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };

    if (!signatureOk) return answer(401, { error: "bad signature: x-slipway-signature does not match the body" });
    if (method === "POST" && path === "/slipway") {
      const body = JSON.parse(text) as Record<string, unknown>;
      this.next += 1;
      const job = `job-${this.next}`;
      this.jobs.set(job, { action: String(body.action), version: String(body.SLIPWAY_VERSION), polls: 0 });
      return answer(202, { status: "running", statusUrl: `/slipway/status/${job}` }, body);
    }
    const polled = /^\/slipway\/status\/(job-\d+)$/.exec(path)?.[1];
    const job = polled ? this.jobs.get(polled) : undefined;
    if (method === "GET" && job) {
      job.polls += 1;
      return answer(200, { status: "done", output: `${job.action} ${job.version}: done after ${job.polls} poll(s)` });
    }
    return answer(404, { error: `no route ${method} ${path}` });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }
}
