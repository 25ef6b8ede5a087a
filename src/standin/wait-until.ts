import { SlipwayError } from "../errors.js";

/** A tiny synchronous broadcast: whoever waits is told that something changed. */
export class ChangeFeed {
  private readonly listeners = new Set<() => void>();

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  get size(): number {
    return this.listeners.size;
  }
}

export interface WaitOptions {
  /** How long to wait before rejecting. @default 5000 */
  timeoutMs?: number;
}

export const DEFAULT_WAIT_MS = 5000;

/**
 * Resolves with the first non-undefined answer of `check`, looking now and
 * after every change on `feed`; rejects after `timeoutMs` with `describe()`,
 * which should say what was awaited and what was seen instead.
 */
export function waitUntil<T>(
  feed: ChangeFeed,
  check: () => T | undefined,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let unsubscribe: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (action: () => void): void => {
      if (settled) return;
      settled = true;
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
      action();
    };
    const attempt = (): void => {
      try {
        const found = check();
        if (found !== undefined) finish(() => resolve(found));
      } catch (thrown) {
        finish(() => reject(thrown));
      }
    };
    attempt();
    if (settled) return;
    unsubscribe = feed.subscribe(attempt);
    timer = setTimeout(
      () =>
        finish(() =>
          reject(new SlipwayError("standin_wait_timeout", `timed out after ${timeoutMs} ms: ${describe()}`)),
        ),
      timeoutMs,
    );
    // A wait alone does not keep the process alive: once the stand-in and Slipway are closed, nothing can answer it.
    timer.unref();
  });
}
