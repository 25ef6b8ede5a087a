import type { RespondArguments } from "@slack/bolt";
import type { Block } from "../../renderers/blocks.js";

export type Ack = (response?: RespondArguments | string) => Promise<void>;

/** An answer only the person who typed the command sees. */
export function ephemeral(text: string, blocks: readonly Block[] = []): RespondArguments {
  return { response_type: "ephemeral", text, ...(blocks.length > 0 ? { blocks: [...blocks] } : {}) };
}

/** What to tell a person when Slipway's own machinery failed under their command. */
export function unavailableMessage(error: Error): string {
  const redisDown =
    /ECONNREFUSED|Stream isn't writeable|Connection is closed|enableOfflineQueue|ETIMEDOUT|max retries/i.test(
      error.message,
    );
  return redisDown
    ? "Slipway cannot reach its queue (Redis) right now, so nothing was changed. Try again in a minute; if it persists, tell whoever runs Slipway."
    : `Slipway could not handle that: ${error.message}. Nothing was changed.`;
}
