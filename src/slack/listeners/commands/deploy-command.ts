import type { RespondArguments, SlashCommand } from "@slack/bolt";
import { helpText, parseDeployCommand } from "../../../domain/command-grammar.js";
import { planDeployment, requestDeployment } from "../../../engine/request-deployment.js";
import { coerceError } from "../../../errors.js";
import type { Block } from "../../renderers/blocks.js";
import { renderStatusList } from "../../renderers/deployment-message.js";
import type { ListenerDeps } from "../deps.js";

export type Ack = (response?: RespondArguments | string) => Promise<void>;

const STATUS_LIMIT = 15;

function ephemeral(text: string, blocks: readonly Block[] = []): RespondArguments {
  return { response_type: "ephemeral", text, ...(blocks.length > 0 ? { blocks: [...blocks] } : {}) };
}

/**
 * `/deploy …`: parses the text, and either answers at once (help, status,
 * refusals) or records the deployment and queues it. Every path acks exactly
 * once, with an ephemeral message for the person who typed it.
 */
export async function handleDeployCommand(
  { command, ack }: { command: Pick<SlashCommand, "text" | "user_id" | "channel_id">; ack: Ack },
  deps: ListenerDeps,
): Promise<void> {
  const { catalog, store, now, log } = deps;
  const grammarContext = { environments: catalog.environmentNames(), services: catalog.serviceNames() };
  const parsed = parseDeployCommand(command.text ?? "", grammarContext);
  try {
    switch (parsed.kind) {
      case "help":
        await ack(ephemeral(helpText(grammarContext)));
        return;
      case "invalid":
        await ack(ephemeral(`${parsed.message}\nUsage: \`${parsed.usage}\``));
        return;
      case "status": {
        const recent = (await store.recent(STATUS_LIMIT * 4)).filter(
          (d) =>
            (parsed.service === undefined || d.service === parsed.service) &&
            (parsed.environment === undefined || d.environment === parsed.environment),
        );
        const message = renderStatusList(recent.slice(0, STATUS_LIMIT), now());
        await ack(ephemeral(message.text, message.blocks));
        return;
      }
      case "deploy": {
        const service = parsed.service ?? catalog.soleServiceName();
        if (service === undefined) {
          await ack(
            ephemeral(
              `Which service? Slipway knows ${catalog.serviceNames().join(", ")}.\nUsage: \`/deploy ${parsed.environment} ${parsed.version} <service>\``,
            ),
          );
          return;
        }
        const request = {
          service,
          environment: parsed.environment,
          version: parsed.version,
          ...(parsed.strategy ? { strategy: parsed.strategy } : {}),
          hotfix: parsed.hotfix,
          requestedBy: command.user_id,
          source: "slack" as const,
        };
        if (parsed.dryRun) {
          const plan = planDeployment(catalog, request);
          await ack(
            ephemeral(
              plan.ok
                ? `Dry run: ${service} ${parsed.version} → ${parsed.environment} (${plan.strategy}) would run: ${plan.stageNames.join(" → ")}. Nothing was queued.`
                : plan.message,
            ),
          );
          return;
        }
        const outcome = await requestDeployment(deps, request);
        if (!outcome.ok) {
          await ack(ephemeral(outcome.message));
          return;
        }
        const d = outcome.deployment;
        log.info(
          { deploymentId: d.id, service, environment: d.environment, version: d.version, user: command.user_id },
          "deployment queued",
        );
        await ack(
          ephemeral(
            `Queued \`${d.id}\`: ${service} ${d.version} → ${d.environment} (${d.strategy}, ${d.stages.length} stages). Follow it in <#${d.channel}>.`,
          ),
        );
        return;
      }
      case "history":
      case "stats":
      case "audit":
      case "lock":
      case "unlock":
        await ack(
          ephemeral(
            `\`/deploy ${parsed.kind}\` is not available in this version of Slipway. \`/deploy help\` lists what is.`,
          ),
        );
        return;
      default: {
        const unreachable: never = parsed;
        return unreachable;
      }
    }
  } catch (thrown) {
    const error = coerceError(thrown);
    log.error({ err: error, text: command.text, user: command.user_id }, "/deploy failed");
    await ack(ephemeral(unavailableMessage(error)));
  }
}

/** What to tell a person when Slipway's own machinery failed under their command. */
export function unavailableMessage(error: Error): string {
  const redisDown =
    /ECONNREFUSED|Stream isn't writeable|Connection is closed|enableOfflineQueue|ETIMEDOUT|max retries/i.test(
      error.message,
    );
  return redisDown
    ? "Slipway cannot reach its queue (Redis) right now, so nothing was queued. Try again in a minute; if it persists, tell whoever runs Slipway."
    : `Slipway could not handle that command: ${error.message}. Nothing was queued.`;
}
