import type { SlashCommand } from "@slack/bolt";
import { parseRollbackCommand } from "../../../domain/approve-rollback-grammar.js";
import { plainWords } from "../../../domain/safe-text.js";
import { requestRollback } from "../../../engine/rollback-request.js";
import { coerceError } from "../../../errors.js";
import { escapeMrkdwn } from "../../renderers/blocks.js";
import { mayDo } from "../access.js";
import type { ListenerDeps } from "../deps.js";
import { type Ack, ephemeral, unavailableMessage } from "./reply.js";

/** `/rollback <environment> [service] [version] [reason…]` */
export async function handleRollbackCommand(
  { command, ack }: { command: Pick<SlashCommand, "text" | "user_id">; ack: Ack },
  deps: ListenerDeps,
): Promise<void> {
  const parsed = parseRollbackCommand(command.text ?? "", {
    environments: deps.catalog.environmentNames(),
    services: deps.catalog.serviceNames(),
  });
  try {
    switch (parsed.kind) {
      case "help":
        await ack(
          ephemeral(
            "`/rollback <environment> [service] [version] [reason]` takes an environment back: a deployment under way is rolled back where it stands; otherwise Slipway deploys the last version that succeeded before the current one (or the version you name).",
          ),
        );
        return;
      case "invalid":
        await ack(ephemeral(`${parsed.message}\nUsage: \`${escapeMrkdwn(parsed.usage)}\``));
        return;
      case "rollback": {
        const service = parsed.service ?? deps.catalog.soleServiceName();
        if (service === undefined) {
          await ack(
            ephemeral(
              `Which service? Slipway knows ${deps.catalog.serviceNames().join(", ")}.\nUsage: \`/rollback ${parsed.environment} <service>\``,
            ),
          );
          return;
        }
        if (!deps.catalog.environment(service, parsed.environment)) {
          await ack(ephemeral(`${service} has no environment '${parsed.environment}'.`));
          return;
        }
        const allowed = await mayDo(deps, {
          action: "rollback",
          userId: command.user_id,
          service,
          environment: parsed.environment,
          via: "slash_command",
        });
        if (!allowed.allowed) {
          await ack(ephemeral(`Not rolled back: ${allowed.reason}.`));
          return;
        }
        const result = await requestRollback(deps, {
          service,
          environment: parsed.environment,
          ...(parsed.version ? { version: parsed.version } : {}),
          ...(parsed.reason ? { reason: plainWords(parsed.reason) } : {}),
          userId: command.user_id,
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
    deps.log.error({ err: error, user: command.user_id }, "/rollback failed");
    await ack(ephemeral(unavailableMessage(error)));
  }
}
