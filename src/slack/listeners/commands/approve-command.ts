import type { SlashCommand } from "@slack/bolt";
import { parseApproveCommand } from "../../../domain/approve-rollback-grammar.js";
import { vote } from "../../../engine/votes.js";
import { escapeMrkdwn } from "../../renderers/blocks.js";
import { answerText } from "../../renderers/operation-answer.js";
import type { ListenerDeps } from "../deps.js";
import { type Ack, answerCommand } from "./reply.js";

/** `/approve <deployment-id>`: the Approve button, typed. */
export async function handleApproveCommand(
  { command, ack }: { command: Pick<SlashCommand, "text" | "user_id">; ack: Ack },
  deps: ListenerDeps,
): Promise<void> {
  await answerCommand("/approve", command, ack, deps.log, async () => {
    const parsed = parseApproveCommand(command.text ?? "");
    switch (parsed.kind) {
      case "help":
        return "`/approve <deployment-id>` approves a deployment waiting for you, like its Approve button. The id is in its thread and in `/deploy status`.";
      case "invalid":
        return `${parsed.message}\nUsage: \`${escapeMrkdwn(parsed.usage)}\``;
      case "approve": {
        const result = await vote(deps, {
          deploymentId: parsed.deploymentId,
          userId: command.user_id,
          decision: "approve",
          via: "slash_command",
        });
        return answerText(result);
      }
      default: {
        const unreachable: never = parsed;
        return unreachable;
      }
    }
  });
}
