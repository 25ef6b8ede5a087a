import type { SlashCommand } from "@slack/bolt";
import { parseApproveCommand } from "../../../domain/approve-rollback-grammar.js";
import { coerceError } from "../../../errors.js";
import { escapeMrkdwn } from "../../renderers/blocks.js";
import type { ListenerDeps } from "../deps.js";
import { vote } from "../vote.js";
import { type Ack, ephemeral, unavailableMessage } from "./reply.js";

/** `/approve <deployment-id>`: the Approve button, typed. */
export async function handleApproveCommand(
  { command, ack }: { command: Pick<SlashCommand, "text" | "user_id">; ack: Ack },
  deps: ListenerDeps,
): Promise<void> {
  const parsed = parseApproveCommand(command.text ?? "");
  try {
    switch (parsed.kind) {
      case "help":
        await ack(
          ephemeral(
            "`/approve <deployment-id>` approves a deployment waiting for you, like its Approve button. The id is in its thread and in `/deploy status`.",
          ),
        );
        return;
      case "invalid":
        await ack(ephemeral(`${parsed.message}\nUsage: \`${escapeMrkdwn(parsed.usage)}\``));
        return;
      case "approve": {
        const result = await vote(deps, {
          deploymentId: parsed.deploymentId,
          userId: command.user_id,
          decision: "approve",
          via: "slash_command",
        });
        await ack(ephemeral(result.message));
        return;
      }
      default: {
        const unreachable: never = parsed;
        return unreachable;
      }
    }
  } catch (thrown) {
    const error = coerceError(thrown);
    deps.log.error({ err: error, user: command.user_id }, "/approve failed");
    await ack(ephemeral(unavailableMessage(error)));
  }
}
