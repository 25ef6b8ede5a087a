import type { SlashCommand } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { slackActor } from "../../../domain/actor.js";
import { type DeployCommand, helpText, parseDeployCommand } from "../../../domain/command-grammar.js";
import type { Deployment } from "../../../domain/deployment.js";
import { plainWords } from "../../../domain/safe-text.js";
import { lockEnvironment, unlockEnvironment } from "../../../engine/lock-environment.js";
import { type DeploymentRequest, type RequestInput, requestDeployment } from "../../../engine/request-deployment.js";
import { waitingDeployments } from "../../../engine/waiting-deployments.js";
import { renderAuditLog } from "../../renderers/audit.js";
import { escapeMrkdwn, fitMessage, type SlackMessage } from "../../renderers/blocks.js";
import { renderDeployForm } from "../../renderers/deploy-form.js";
import { renderStatusList } from "../../renderers/deployment-message.js";
import { renderLockAnswer, renderUnlockAnswer } from "../../renderers/lock-answer.js";
import { renderRequestMessage } from "../../renderers/request-answer.js";
import { waitingLineBlocks } from "../../renderers/waiting-line.js";
import { permalink } from "../../renderers/watch.js";
import { watchingLineBlocks } from "../../renderers/watching-line.js";
import type { ListenerDeps } from "../deps.js";
import { watchedWithThreads } from "../watched.js";
import { answerHistory, answerRecord, answerStats, DEFAULT_HISTORY_LIMIT } from "./record-commands.js";
import { type Ack, answerCommand, type Reply } from "./reply.js";

const STATUS_LIMIT = 15;
const AUDIT_LIMIT = 25;

type Command = Pick<SlashCommand, "text" | "user_id" | "channel_id" | "trigger_id">;

/** The service a command names, or the only one when it names none; a question to ask back otherwise. */
function serviceOf(
  deps: ListenerDeps,
  named: string | undefined,
  usage: string,
): { ok: true; service: string } | { ok: false; message: string } {
  const service = named ?? deps.catalog.soleServiceName();
  if (service !== undefined) return { ok: true, service };
  return {
    ok: false,
    message: `Which service? Slipway knows ${deps.catalog.serviceNames().join(", ")}.\nUsage: \`${escapeMrkdwn(usage)}\``,
  };
}

/** " Its thread: <link>", for a deployment whose root message is posted; empty before that. */
async function threadLink(deps: ListenerDeps, d: Deployment): Promise<string> {
  const root = (await deps.refs.get(d.id)).posted.get("root");
  return root ? ` Its thread: <${permalink(d.channel, root.ts)}|${escapeMrkdwn(d.id)}>` : "";
}

/**
 * `/deploy …`: parses the text, and either answers at once (help, status,
 * audit, refusals) or records the deployment and queues it. Every path acks
 * exactly once, with an ephemeral message for the person who typed it.
 */
export async function handleDeployCommand(
  { command, ack, client }: { command: Command; ack: Ack; client: WebClient },
  deps: ListenerDeps,
  once: CommandOnce,
): Promise<void> {
  const grammar = { environments: deps.catalog.environmentNames(), services: deps.catalog.serviceNames() };
  const parsed = parseDeployCommand(command.text ?? "", grammar);
  // A deployment request claims its trigger id in the script that records or audits it; any other, first.
  const claimedWithRecord = parsed.kind === "deploy" && !parsed.dryRun;
  if (!claimedWithRecord && !(await once.first())) return;
  await answerCommand("/deploy", command, ack, deps.log, (reply) =>
    answer(parsed, command, client, deps, grammar, reply, once.triggerId),
  );
}

/** How a /deploy is acted on once (commands/index.ts). */
export interface CommandOnce {
  readonly triggerId: string | undefined;
  /** Claims the trigger id; false (and acknowledged) for a repeat. */
  readonly first: () => Promise<boolean>;
}

async function answer(
  parsed: DeployCommand,
  command: Command,
  client: WebClient,
  deps: ListenerDeps,
  grammar: Parameters<typeof helpText>[0],
  reply: Reply,
  triggerId: string | undefined,
): Promise<string | SlackMessage | undefined> {
  const { store, now } = deps;
  switch (parsed.kind) {
    case "help":
      return helpText(grammar);
    case "invalid":
      return `${parsed.message}\nUsage: \`${escapeMrkdwn(parsed.usage)}\``;
    case "status": {
      const scope = {
        ...(parsed.service === undefined ? {} : { service: parsed.service }),
        ...(parsed.environment === undefined ? {} : { environment: parsed.environment }),
      };
      const [recent, waiting, watched] = await Promise.all([
        store.recent(STATUS_LIMIT * 4),
        waitingDeployments(deps, scope),
        watchedWithThreads(deps, scope),
      ]);
      const list = renderStatusList(
        recent
          .filter(
            (d) =>
              (parsed.service === undefined || d.service === parsed.service) &&
              (parsed.environment === undefined || d.environment === parsed.environment),
          )
          .slice(0, STATUS_LIMIT),
        now(),
      );
      return fitMessage({
        text: `${list.text}, ${waiting.length} waiting, ${watched.length} watched`,
        blocks: [...list.blocks, ...waitingLineBlocks(waiting), ...watchingLineBlocks(watched)],
      });
    }
    case "audit": {
      const which = serviceOf(deps, parsed.service, "/deploy audit <service> [environment]");
      if (!which.ok) return which.message;
      const entries = await deps.audit.recent(which.service, AUDIT_LIMIT, parsed.environment);
      return renderAuditLog(which.service, parsed.environment, entries);
    }
    case "lock": {
      const which = serviceOf(deps, parsed.service, `/deploy lock ${parsed.environment} <service> <reason>`);
      if (!which.ok) return which.message;
      const outcome = await lockEnvironment(deps, {
        actor: slackActor(command.user_id),
        via: "slash_command",
        service: which.service,
        environment: parsed.environment,
        reason: plainWords(parsed.reason),
        ...(parsed.forMs === undefined ? {} : { forMs: parsed.forMs }),
      });
      return renderLockAnswer(which.service, parsed.environment, outcome);
    }
    case "unlock": {
      const which = serviceOf(deps, parsed.service, `/deploy unlock ${parsed.environment} <service>`);
      if (!which.ok) return which.message;
      const outcome = await unlockEnvironment(deps, {
        actor: slackActor(command.user_id),
        via: "slash_command",
        service: which.service,
        environment: parsed.environment,
      });
      return renderUnlockAnswer(which.service, parsed.environment, outcome);
    }
    case "history":
      return answerHistory(deps, {
        ...(parsed.service === undefined ? {} : { service: parsed.service }),
        ...(parsed.environment === undefined ? {} : { environment: parsed.environment }),
        offset: 0,
        limit: parsed.limit ?? DEFAULT_HISTORY_LIMIT,
      });
    case "stats":
      return answerStats(deps, parsed);
    case "record":
      return answerRecord(deps, parsed.deploymentId);
    case "deploy": {
      const which = serviceOf(deps, parsed.service, `/deploy ${parsed.environment} ${parsed.version} <service>`);
      if (!which.ok) return which.message;
      const request: DeploymentRequest = {
        service: which.service,
        environment: parsed.environment,
        version: parsed.version,
        ...(parsed.strategy ? { strategy: parsed.strategy } : {}),
        ...(parsed.flag ? { flag: parsed.flag } : {}),
        hotfix: parsed.hotfix,
        sensitive: parsed.sensitive,
      };
      await deployFromSlack(
        deps,
        {
          actor: slackActor(command.user_id),
          via: "slash_command",
          request,
          dryRun: parsed.dryRun,
          ...(parsed.queue ? { whenBusy: "queue" as const } : {}),
          ...(triggerId === undefined ? {} : { once: triggerId }),
        },
        reply,
      );
      return undefined;
    }
    case "form":
      // Acknowledged first, as Slack asks; the trigger stays good for the modal a few seconds more.
      await reply("Fill in the form to deploy. `/deploy help` lists the commands.");
      await openDeployForm(client, command, deps);
      return undefined;
    default: {
      const unreachable: never = parsed;
      return unreachable;
    }
  }
}

/**
 * A deployment asked for from Slack (the command, the form, a button): the
 * engine decides, the answer is rendered and given as soon as the request is
 * recorded, before its first job is queued.
 */
export async function deployFromSlack(
  deps: ListenerDeps,
  input: Omit<RequestInput, "decided">,
  answer: (message: SlackMessage) => Promise<void>,
): Promise<void> {
  const outcome = await requestDeployment(deps, {
    ...input,
    decided: async (outcome) => {
      const link = outcome.code === "busy" && outcome.holder ? await threadLink(deps, outcome.holder) : "";
      await answer(renderRequestMessage(input.request, outcome, link));
    },
  });
  if (outcome.code === "started") {
    const d = outcome.deployment;
    deps.log.info(
      { deploymentId: d.id, service: d.service, environment: d.environment, version: d.version, user: input.actor.id },
      "deployment queued",
    );
  }
}

/** `/deploy` alone: the form, in a modal, for the channel it was typed in. */
async function openDeployForm(client: WebClient, command: Command, deps: ListenerDeps): Promise<void> {
  await client.views.open({
    trigger_id: command.trigger_id,
    view: renderDeployForm({
      services: deps.catalog.serviceNames(),
      environments: deps.catalog.environmentNames(),
      channel: command.channel_id,
    }),
  });
}
