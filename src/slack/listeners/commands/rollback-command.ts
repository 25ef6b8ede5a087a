import type { SlashCommand } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { slackActor } from "../../../domain/actor.js";
import { parseRollbackCommand } from "../../../domain/approve-rollback-grammar.js";
import { plainWords } from "../../../domain/safe-text.js";
import { checkRestore, type RestoreInput } from "../../../engine/restore-request.js";
import { requestRollback } from "../../../engine/rollback-request.js";
import { renderRestoreDialog, restoreDialogPrompt, restoreRefusalText } from "../../renderers/backup-restore.js";
import { escapeMrkdwn } from "../../renderers/blocks.js";
import { rollbackAnswerText } from "../../renderers/request-answer.js";
import type { ListenerDeps } from "../deps.js";
import { type Ack, answerCommand, type Reply } from "./reply.js";

type Command = Pick<SlashCommand, "text" | "user_id" | "channel_id" | "trigger_id">;

/** `/rollback <environment> [service] [version] [reason…] [--restore]` */
export async function handleRollbackCommand(
  { command, ack, client }: { command: Command; ack: Ack; client: WebClient },
  deps: ListenerDeps,
): Promise<void> {
  await answerCommand("/rollback", command, ack, deps.log, async (reply) => {
    const parsed = parseRollbackCommand(command.text ?? "", {
      environments: deps.catalog.environmentNames(),
      services: deps.catalog.serviceNames(),
    });
    switch (parsed.kind) {
      case "help":
        return "`/rollback <environment> [service] [version] [reason] [--restore]` takes an environment back: a deployment under way is rolled back where it stands; otherwise Slipway deploys the last version that succeeded before the current one (or the version you name). `--restore` then restores the backup the deployment rolled back took, after a dialog confirms it (for the roles `permissions.restore` names).";
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
        const input: RestoreInput = {
          service,
          environment: parsed.environment,
          ...(parsed.reason ? { reason: plainWords(parsed.reason) } : {}),
          actor: slackActor(command.user_id),
          via: "slash_command",
        };
        if (parsed.restore) return confirmRestore(client, command, deps, input, reply);
        const result = await requestRollback(deps, {
          ...input,
          ...(parsed.version ? { version: parsed.version } : {}),
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

/** `--restore`: refused at once when it cannot be done, else confirmed in a dialog (see views/restore-confirm.ts). */
async function confirmRestore(
  client: WebClient,
  command: Command,
  deps: ListenerDeps,
  input: RestoreInput,
  reply: Reply,
): Promise<string | undefined> {
  const check = await checkRestore(deps, input);
  if (!check.ok) return restoreRefusalText(check);
  // Acknowledged first, as Slack asks; the trigger stays good for the dialog a few seconds more.
  await reply(restoreDialogPrompt(check.afterEnd));
  await client.views.open({
    trigger_id: command.trigger_id,
    view: renderRestoreDialog(check, {
      service: input.service,
      environment: input.environment,
      ...(input.reason ? { reason: input.reason } : {}),
      channel: command.channel_id,
    }),
  });
  return undefined;
}
