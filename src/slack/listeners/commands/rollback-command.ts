import type { SlashCommand } from "@slack/bolt";
import { slackActor } from "../../../domain/actor.js";
import { parseRollbackCommand } from "../../../domain/approve-rollback-grammar.js";
import { plainWords } from "../../../domain/safe-text.js";
import { requestRollback } from "../../../engine/rollback-request.js";
import { escapeMrkdwn } from "../../renderers/blocks.js";
import { rollbackAnswerText } from "../../renderers/request-answer.js";
import type { ListenerDeps } from "../deps.js";
import { type Ack, answerCommand } from "./reply.js";

/** `/rollback <environment> [service] [version] [reason…]` */
export async function handleRollbackCommand(
  { command, ack }: { command: Pick<SlashCommand, "text" | "user_id">; ack: Ack },
  deps: ListenerDeps,
): Promise<void> {
  await answerCommand("/rollback", command, ack, deps.log, async () => {
    const parsed = parseRollbackCommand(command.text ?? "", {
      environments: deps.catalog.environmentNames(),
      services: deps.catalog.serviceNames(),
    });
    switch (parsed.kind) {
      case "help":
        return "`/rollback <environment> [service] [version] [reason]` takes an environment back: a deployment under way is rolled back where it stands; otherwise Slipway deploys the last version that succeeded before the current one (or the version you name).";
      case "invalid":
        return `${parsed.message}\nUsage: \`${escapeMrkdwn(parsed.usage)}\``;
      case "rollback": {
        const service = parsed.service ?? deps.catalog.soleServiceName();
        if (service === undefined) {
          return `Which service? Slipway knows ${deps.catalog.serviceNames().join(", ")}.\nUsage: \`/rollback ${parsed.environment} <service>\``;
        }
        if (!deps.catalog.environment(service, parsed.environment)) {
          return `${service} has no environment '${parsed.environment}'.`;
        }
        const result = await requestRollback(deps, {
          service,
          environment: parsed.environment,
          ...(parsed.version ? { version: parsed.version } : {}),
          ...(parsed.reason ? { reason: plainWords(parsed.reason) } : {}),
          actor: slackActor(command.user_id),
          via: "slash_command",
        });
        return rollbackAnswerText(result);
      }
      default: {
        const unreachable: never = parsed;
        return unreachable;
      }
    }
  });
}
