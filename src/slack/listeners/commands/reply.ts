import type { RespondArguments } from "@slack/bolt";
import { coerceError } from "../../../errors.js";
import type { Logger } from "../../../logger.js";
import type { Block, SlackMessage } from "../../renderers/blocks.js";

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

/** Acks with a message; a handler may call it early (before slow work that follows the ack). */
export type Reply = (message: string | SlackMessage) => Promise<void>;

/**
 * Runs a slash command's handler so that the command is acknowledged exactly
 * once: with what the handler returns (unless it replied early), or, when
 * Slipway's own machinery failed before anything was said, with why.
 */
export async function answerCommand(
  name: string,
  command: { readonly text?: string; readonly user_id: string },
  ack: Ack,
  log: Logger,
  handle: (reply: Reply) => Promise<string | SlackMessage | undefined>,
): Promise<void> {
  let acked = false;
  const reply: Reply = async (message) => {
    acked = true;
    await ack(typeof message === "string" ? ephemeral(message) : ephemeral(message.text, message.blocks));
  };
  try {
    const message = await handle(reply);
    if (message !== undefined) await reply(message);
  } catch (thrown) {
    const error = coerceError(thrown);
    log.error({ err: error, text: command.text, user: command.user_id, acked }, `${name} failed`);
    if (!acked) await ack(ephemeral(unavailableMessage(error)));
  }
}
