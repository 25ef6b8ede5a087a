import { createHmac } from "node:crypto";
import { z } from "zod";
import { coerceError } from "../errors.js";
import type { CommandResult } from "./run-command.js";
import { type ActionResult, type InvocationContext, invocationEnv, type Target, type TargetAction } from "./target.js";

export interface HttpTargetOptions {
  readonly url: string;
  readonly secret: string;
  readonly actions: readonly TargetAction[];
  readonly pollIntervalMs: number;
  readonly fetch?: typeof fetch;
}

/** Header carrying `sha256=<hex HMAC of the body>`; the receiver recomputes it with the shared secret. */
export const SIGNATURE_HEADER = "x-slipway-signature";
export const IDEMPOTENCY_HEADER = "x-slipway-idempotency-key";

const answerSchema = z.object({
  status: z.enum(["done", "failed", "running"]),
  statusUrl: z.string().optional(),
  output: z.string().optional(),
});

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

function result(ok: boolean, output: string, started: number, extra: Partial<CommandResult> = {}): ActionResult {
  return {
    ok,
    // Not a process: a failure has no exit code, and its output's last line says why.
    exitCode: ok ? 0 : null,
    outputTail: output.slice(-2_500),
    durationMs: Math.round(performance.now() - started),
    timedOut: false,
    aborted: false,
    ...extra,
  };
}

/**
 * Carries out each action by POSTing a signed JSON webhook (HMAC-SHA256 of
 * the body) and, while the receiver answers `running`, polling its status URL
 * until it says `done` or `failed`, the timeout passes, or the step is aborted.
 * The idempotency key travels in a header and the body, so a receiver can
 * answer a repeat with the first call's outcome; the attempt number
 * (`SLIPWAY_ATTEMPT`, in the signed body) lets it refuse a stale attempt once
 * a newer one of the same key has reached it.
 */
export class HttpTarget implements Target {
  constructor(private readonly options: HttpTargetOptions) {}

  supports(action: TargetAction): boolean {
    return this.options.actions.includes(action);
  }

  async invoke(action: TargetAction, context: InvocationContext, timeoutMs: number): Promise<ActionResult> {
    const started = performance.now();
    if (!this.options.actions.includes(action)) {
      return result(false, `this target has no '${action}' action; add it to target.actions in the manifest`, started);
    }
    const doFetch = this.options.fetch ?? fetch;
    const deadline = AbortSignal.any([context.signal, AbortSignal.timeout(timeoutMs)]);
    const body = JSON.stringify({ action, ...invocationEnv(context) });
    try {
      let answer = await this.call(doFetch, this.options.url, deadline, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [SIGNATURE_HEADER]: sign(this.options.secret, body),
          [IDEMPOTENCY_HEADER]: context.idempotencyKey,
        },
        body,
      });
      while (answer.status === "running") {
        const statusUrl = answer.statusUrl;
        if (!statusUrl) return result(false, "the target answered 'running' without a statusUrl to poll", started);
        await waitFor(this.options.pollIntervalMs, deadline);
        const url = new URL(statusUrl, this.options.url).toString();
        answer = await this.call(doFetch, url, deadline, {
          method: "GET",
          headers: { [SIGNATURE_HEADER]: sign(this.options.secret, url), [IDEMPOTENCY_HEADER]: context.idempotencyKey },
        });
      }
      return result(answer.status === "done", answer.output ?? `${action}: ${answer.status}`, started);
    } catch (thrown) {
      const error = coerceError(thrown);
      if (context.signal.aborted)
        return result(false, `${action} was stopped`, started, { aborted: true, exitCode: null });
      if (deadline.aborted) {
        return result(false, `${action} did not finish within ${Math.round(timeoutMs / 1000)}s`, started, {
          timedOut: true,
          exitCode: null,
        });
      }
      return result(false, `${action} failed: ${error.message}`, started);
    }
  }

  private async call(doFetch: typeof fetch, url: string, signal: AbortSignal, init: RequestInit) {
    const response = await doFetch(url, { ...init, signal });
    const text = await response.text();
    if (!response.ok) throw new Error(`${init.method} ${url} answered ${response.status}: ${text.slice(0, 300)}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${init.method} ${url} answered something that is not JSON: ${text.slice(0, 200)}`);
    }
    const parsed = answerSchema.safeParse(json);
    if (!parsed.success)
      throw new Error(
        `${init.method} ${url} answered ${text.slice(0, 200)}; expected {"status":"done|failed|running"}`,
      );
    return parsed.data;
  }
}

function waitFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
