import { coerceError } from "../errors.js";
import { type Fetch, throwIfAborted } from "./source.js";

export type FetchTextResult =
  | { readonly ok: true; readonly status: number; readonly text: string }
  | { readonly ok: false; readonly reason: string };

export interface FetchTextOptions {
  readonly timeoutMs: number;
  readonly accept: string;
  /** Who is asked, for the reasons: "Prometheus", "the metrics endpoint". */
  readonly who: string;
  readonly signal?: AbortSignal;
}

class TimedOut extends Error {}

function describeFailure(thrown: unknown): string {
  const error = coerceError(thrown);
  const cause = error.cause instanceof Error ? error.cause : undefined;
  if (cause === undefined) return error.message;
  const code = "code" in cause && typeof cause.code === "string" ? cause.code : undefined;
  return `${error.message} (${code ?? cause.message})`;
}

/** Rejects with the signal's reason once it aborts, whether or not `work` listens to it. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * GETs a URL and reads its body within `timeoutMs`. Resolves with the status
 * and text (whatever the status), or with the reason it could not; rejects
 * only when the caller's `signal` aborts.
 */
export async function fetchText(fetchImpl: Fetch, url: string, options: FetchTextOptions): Promise<FetchTextResult> {
  const { signal } = options;
  throwIfAborted(signal);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new TimedOut()), options.timeoutMs);
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const response = await untilAborted(
      fetchImpl(url, { headers: { accept: options.accept }, signal: controller.signal }),
      controller.signal,
    );
    const text = await untilAborted(response.text(), controller.signal);
    return { ok: true, status: response.status, text };
  } catch (thrown) {
    throwIfAborted(signal);
    if (controller.signal.reason instanceof TimedOut) {
      return { ok: false, reason: `${options.who} did not answer within ${options.timeoutMs}ms` };
    }
    return { ok: false, reason: `request to ${options.who} failed: ${describeFailure(thrown)}` };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}
