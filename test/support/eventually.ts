import { setTimeout as sleep } from "node:timers/promises";

/**
 * Resolves with the first truthy answer of `check`, asked every `intervalMs`;
 * rejects after `timeoutMs` naming `what` and the last answer seen. An Error
 * returned (or thrown) means "not yet", and says why in the timeout message. For state
 * that has no event to wait on (a router's pools, a Redis record): the bound
 * is a deadline, never a wait that the test relies on.
 */
export async function eventually<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<Exclude<NonNullable<T>, Error>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await check();
    } catch (error) {
      last = error;
    }
    if (last && !(last instanceof Error)) return last as Exclude<NonNullable<T>, Error>;
    if (Date.now() > deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${seen})`);
    }
    await sleep(intervalMs);
  }
}
