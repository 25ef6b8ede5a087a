import type { AnyMiddlewareArgs, Middleware } from "@slack/bolt";
import type { Logger } from "../../logger.js";
import { keys } from "../../store/keys.js";
import type { RedisClient } from "../../store/redis.js";

/** Slack's replay window: a signed request older than this is refused anyway. */
const REMEMBER_MS = 5 * 60_000;

/** The id Slack gives each slash command, click and dialog submission; the same on its retries and redeliveries. */
function triggerIdOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || !("trigger_id" in body)) return undefined;
  const id = body.trigger_id;
  return typeof id === "string" && id.length > 0 && id.length <= 200 ? id : undefined;
}

/**
 * Acts on each Slack request once. Slack retries a request it thinks was
 * not acknowledged (HTTP `X-Slack-Retry-Num`, Socket Mode redeliveries), and
 * a captured signed request can be replayed inside its five-minute window:
 * all carry the same trigger id, which is remembered in Redis for the
 * window. A repeat is acknowledged and dropped. When Redis cannot answer,
 * the request goes through: refusing every command would be worse.
 */
export function onlyOnce(redis: RedisClient, prefix: string, log: Logger): Middleware<AnyMiddlewareArgs> {
  const seenKey = keys(prefix).seen;
  return async (args) => {
    const id = triggerIdOf(args.body);
    if (id !== undefined) {
      let first = true;
      try {
        first = (await redis.set(seenKey(id), "1", "PX", REMEMBER_MS, "NX")) === "OK";
      } catch (error) {
        log.warn({ err: error }, "could not check for a repeated Slack request; handling it");
      }
      if (!first) {
        log.info({ triggerId: id }, "repeated Slack request acknowledged and dropped");
        if ("ack" in args && typeof args.ack === "function") await (args.ack as () => Promise<void>)();
        return;
      }
    }
    await args.next();
  };
}
