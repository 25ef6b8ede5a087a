import type { AnyMiddlewareArgs, Context, Middleware } from "@slack/bolt";
import type { Logger } from "../../logger.js";
import { keys, REMEMBER_TRIGGER_MS } from "../../store/keys.js";
import type { RedisClient } from "../../store/redis.js";

/** The id Slack gives each slash command, click and dialog submission; the same on its retries and redeliveries. */
function triggerIdOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || !("trigger_id" in body)) return undefined;
  const id = body.trigger_id;
  return typeof id === "string" && id.length > 0 && id.length <= 200 ? id : undefined;
}

function isSlashCommand(body: unknown): boolean {
  return typeof body === "object" && body !== null && "command" in body;
}

/** A slash command's claim to be handled once, left to its listener (see onlyOnce). */
export interface Once {
  /** The command's trigger id; undefined when it has none (nothing to remember it by). */
  readonly triggerId: string | undefined;
  /** Remembers the trigger id; false when it was seen before (a retry or a replay). */
  claim(): Promise<boolean>;
}

const NOTHING_TO_CLAIM: Once = { triggerId: undefined, claim: async () => true };

/** The claim onlyOnce left in a slash command's context. */
export function onceOf(context: Context): Once {
  const once = context.once;
  return typeof once === "object" && once !== null && "claim" in once ? (once as Once) : NOTHING_TO_CLAIM;
}

/**
 * Acts on each Slack request once. Slack retries a request it thinks was
 * not acknowledged (HTTP `X-Slack-Retry-Num`, Socket Mode redeliveries), and
 * a captured signed request can be replayed inside its five-minute window:
 * all carry the same trigger id, which is remembered in Redis for the
 * window. A repeat is acknowledged and dropped. When Redis cannot answer,
 * the request goes through: refusing every command would be worse.
 *
 * A slash command is claimed by its listener instead (`onceOf(context)`):
 * a deployment request remembers its trigger id in the same script that
 * records the deployment, or that audits its refusal, so its answer waits
 * on one Redis round trip.
 */
export function onlyOnce(redis: RedisClient, prefix: string, log: Logger): Middleware<AnyMiddlewareArgs> {
  const seenKey = keys(prefix).seen;
  return async (args) => {
    const id = triggerIdOf(args.body);
    if (id === undefined) return args.next();
    const claim = async () => {
      try {
        return (await redis.set(seenKey(id), "1", "PX", REMEMBER_TRIGGER_MS, "NX")) === "OK";
      } catch (error) {
        log.warn({ err: error }, "could not check for a repeated Slack request; handling it");
        return true;
      }
    };
    if (isSlashCommand(args.body)) {
      const once: Once = { triggerId: id, claim };
      args.context.once = once;
      return args.next();
    }
    if (!(await claim())) {
      log.info({ triggerId: id }, "repeated Slack request acknowledged and dropped");
      if ("ack" in args && typeof args.ack === "function") await (args.ack as () => Promise<void>)();
      return;
    }
    await args.next();
  };
}
