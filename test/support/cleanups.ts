import { afterEach } from "vitest";

/**
 * A stack of things to stop after each test of the file that calls it, last
 * started first; every one runs even when an earlier one fails, and the
 * first failure fails the test.
 */
export function cleanupAfterEach(): (() => Promise<unknown>)[] {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    const errors: unknown[] = [];
    while (cleanups.length > 0) {
      const cleanup = cleanups.pop();
      await cleanup?.().catch((error: unknown) => errors.push(error));
    }
    if (errors.length > 0) throw errors[0];
  });
  return cleanups;
}
