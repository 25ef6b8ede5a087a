import type { App, BlockAction, RespondFn } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { z } from "zod";
import { slackActor } from "../../../domain/actor.js";
import { MAX_HISTORY_LIMIT } from "../../../domain/command-grammar.js";
import type { Deployment } from "../../../domain/deployment.js";
import { isDeploymentId } from "../../../domain/ids.js";
import { applyControl, CONTROLS, type Control } from "../../../engine/controls.js";
import { requestFlagChange } from "../../../engine/flags.js";
import { tickItem } from "../../../engine/gates.js";
import { acknowledgeIncident } from "../../../engine/incidents.js";
import { requestRollback } from "../../../engine/rollback-request.js";
import { mayVote, vote } from "../../../engine/votes.js";
import { cancelWaiting } from "../../../engine/waiting-deployments.js";
import { coerceError } from "../../../errors.js";
import { ACTION_IDS, FLAG_ACTION, VIEW_IDS } from "../../action-ids.js";
import { answerText } from "../../renderers/operation-answer.js";
import { rollbackAnswerText } from "../../renderers/request-answer.js";
import { renderReviewForm } from "../../renderers/review.js";
import { cancelAnswerText } from "../../renderers/waiting-line.js";
import { decodeCancel, decodeRequest } from "../../waiting-buttons.js";
import { deployFromSlack } from "../commands/deploy-command.js";
import { answerHistory } from "../commands/record-commands.js";
import { unavailableMessage } from "../commands/reply.js";
import type { ListenerDeps } from "../deps.js";

const MALFORMED =
  "That button is out of date or malformed, so nothing changed. Use the buttons on the latest message in the thread.";

function tell(respond: RespondFn, text: string) {
  return respond({ response_type: "ephemeral", replace_original: false, text });
}

/** The value of the first action in a block_actions payload, whatever its element type. */
function firstValue(body: BlockAction): string | undefined {
  const action = body.actions[0];
  return action && "value" in action && typeof action.value === "string" ? action.value : undefined;
}

/** The deployment a button names; undefined after telling the person who clicked why not. */
async function clickedDeployment(
  body: BlockAction,
  respond: RespondFn,
  deps: ListenerDeps,
): Promise<Deployment | undefined> {
  const deploymentId = firstValue(body);
  if (!deploymentId || !isDeploymentId(deploymentId)) {
    await tell(respond, MALFORMED);
    return undefined;
  }
  const d = await deps.store.get(deploymentId);
  if (!d) {
    await tell(respond, answerText({ ok: false, code: "no_such_deployment", deploymentId }));
    return undefined;
  }
  return d;
}

export async function handleApprove(body: BlockAction, respond: RespondFn, deps: ListenerDeps): Promise<void> {
  const deploymentId = firstValue(body);
  if (!deploymentId || !isDeploymentId(deploymentId)) return void (await tell(respond, MALFORMED));
  const result = await vote(deps, { deploymentId, userId: body.user.id, decision: "approve", via: "button" });
  await tell(respond, answerText(result));
}

/** Reject asks for a reason first, in a dialog; the vote is cast when it is submitted. */
export async function handleReject(
  body: BlockAction,
  respond: RespondFn,
  client: WebClient,
  deps: ListenerDeps,
): Promise<void> {
  const may = await mayVote(deps, {
    deploymentId: firstValue(body) ?? "",
    userId: body.user.id,
    decision: "reject",
    via: "button",
  });
  if (!may.ok) return void (await tell(respond, answerText(may)));
  const d = may.deployment;
  const deploymentId = d.id;
  await client.views.open({
    trigger_id: body.trigger_id,
    view: {
      type: "modal",
      callback_id: VIEW_IDS.rejectReason,
      private_metadata: JSON.stringify({ deploymentId, channel: body.channel?.id ?? d.channel }),
      title: { type: "plain_text", text: "Reject deployment" },
      submit: { type: "plain_text", text: "Reject" },
      close: { type: "plain_text", text: "Cancel" },
      blocks: [
        {
          type: "section",
          text: { type: "mrkdwn", text: `Reject *${d.service} ${d.version} → ${d.environment}* (\`${d.id}\`)?` },
        },
        {
          type: "input",
          block_id: "reason",
          label: { type: "plain_text", text: "Why? The requester sees this." },
          element: { type: "plain_text_input", action_id: "reason", multiline: true, max_length: 500 },
        },
      ],
    },
  });
}

/** A manual checklist item ticked: each newly selected box is recorded once. */
export async function handleTick(body: BlockAction, respond: RespondFn, deps: ListenerDeps): Promise<void> {
  const action = body.actions[0];
  const selected = action && action.type === "checkboxes" ? action.selected_options : undefined;
  if (!selected || selected.length === 0) return;
  const answers: string[] = [];
  for (const option of selected) {
    const [deploymentId, itemId] = (option.value ?? "").split(":");
    if (!deploymentId || !itemId || !isDeploymentId(deploymentId)) {
      answers.push(MALFORMED);
      continue;
    }
    if (!(await deps.store.get(deploymentId))) {
      answers.push(answerText({ ok: false, code: "no_such_deployment", deploymentId }));
      continue;
    }
    const result = await tickItem(deps, { deploymentId, itemId, userId: body.user.id });
    if (!result.ok) answers.push(answerText(result));
  }
  if (answers.length > 0) await tell(respond, answers.join("\n"));
}

/** Pause, Resume, Promote and Abort: the engine authorises and applies. */
export async function handleControl(
  body: BlockAction,
  respond: RespondFn,
  control: Control,
  deps: ListenerDeps,
): Promise<void> {
  const d = await clickedDeployment(body, respond, deps);
  if (!d) return;
  const result = await applyControl(deps, { deploymentId: d.id, userId: body.user.id, control, via: "button" });
  await tell(respond, answerText(result));
}

export async function handleAcknowledge(body: BlockAction, respond: RespondFn, deps: ListenerDeps): Promise<void> {
  const d = await clickedDeployment(body, respond, deps);
  if (!d) return;
  const result = await acknowledgeIncident(deps, { deploymentId: d.id, userId: body.user.id, via: "button" });
  await tell(respond, answerText(result));
}

/**
 * Roll back from a succeeded deployment's root message or a failed or stuck
 * one's incident alert: only while that deployment is still what the
 * environment last did, so an old message never undoes a newer deployment.
 */
export async function handleRollBack(body: BlockAction, respond: RespondFn, deps: ListenerDeps): Promise<void> {
  const d = await clickedDeployment(body, respond, deps);
  if (!d) return;
  const result = await requestRollback(deps, {
    service: d.service,
    environment: d.environment,
    actor: slackActor(body.user.id),
    via: "button",
    from: d,
  });
  await tell(respond, rollbackAnswerText(result));
}

/** A flag button of the root message: the percentage is in its action id, the deployment in its value. */
export async function handleSetFlag(body: BlockAction, respond: RespondFn, deps: ListenerDeps): Promise<void> {
  const percent = Number(FLAG_ACTION.exec(body.actions[0]?.action_id ?? "")?.[1]);
  if (!Number.isInteger(percent) || percent > 100) return void (await tell(respond, MALFORMED));
  const d = await clickedDeployment(body, respond, deps);
  if (!d) return;
  const result = await requestFlagChange(deps, { deploymentId: d.id, userId: body.user.id, percent, via: "button" });
  await tell(respond, answerText(result));
}

/** Write review: the review modal, for anyone in the channel; it is stored when submitted. */
export async function handleWriteReview(
  body: BlockAction,
  respond: RespondFn,
  client: WebClient,
  deps: ListenerDeps,
): Promise<void> {
  const d = await clickedDeployment(body, respond, deps);
  if (!d) return;
  await client.views.open({ trigger_id: body.trigger_id, view: renderReviewForm(d, body.channel?.id ?? d.channel) });
}

const historyCursor = z.object({
  s: z.string().max(64).optional(),
  e: z.string().max(64).optional(),
  o: z.number().int().min(0).max(1_000_000),
  l: z.number().int().min(1).max(MAX_HISTORY_LIMIT),
});

/** More under /deploy history: the next page, as a new message for the person who clicked. */
export async function handleHistoryMore(body: BlockAction, respond: RespondFn, deps: ListenerDeps): Promise<void> {
  let cursor: z.infer<typeof historyCursor>;
  try {
    cursor = historyCursor.parse(JSON.parse(firstValue(body) ?? ""));
  } catch {
    return void (await tell(respond, MALFORMED));
  }
  const page = await answerHistory(deps, {
    ...(cursor.s === undefined ? {} : { service: cursor.s }),
    ...(cursor.e === undefined ? {} : { environment: cursor.e }),
    offset: cursor.o,
    limit: cursor.l,
  });
  await respond({ response_type: "ephemeral", replace_original: false, text: page.text, blocks: page.blocks });
}

/**
 * Queue it (on a busy refusal) and Schedule for the next window (on a
 * refusal outside the windows): the request the button carries, asked for
 * again by the person who clicked, waiting instead of refused.
 */
export async function handleWaitFor(
  body: BlockAction,
  respond: RespondFn,
  deps: ListenerDeps,
  how: "queue" | "next_window",
): Promise<void> {
  const request = decodeRequest(firstValue(body));
  if (!request) return void (await tell(respond, MALFORMED));
  await deployFromSlack(
    deps,
    {
      actor: slackActor(body.user.id),
      via: "button",
      request,
      ...(how === "queue" ? { whenBusy: "queue" as const } : { whenClosed: "next_window" as const }),
    },
    async (answer) => {
      await respond({ response_type: "ephemeral", replace_original: false, text: answer.text, blocks: answer.blocks });
    },
  );
}

/** Cancel on a queued or scheduled deployment: the requester or the environment's deployers. */
export async function handleCancelWaiting(body: BlockAction, respond: RespondFn, deps: ListenerDeps): Promise<void> {
  const which = decodeCancel(firstValue(body));
  if (!which) return void (await tell(respond, MALFORMED));
  const outcome = await cancelWaiting(deps, { actor: slackActor(body.user.id), via: "button", ...which });
  await tell(respond, cancelAnswerText(outcome));
}

type Handler = (body: BlockAction, respond: RespondFn, client: WebClient, deps: ListenerDeps) => Promise<void>;

/** What each of Slipway's buttons does, by action id. */
const HANDLERS: Readonly<Record<string, Handler>> = {
  [ACTION_IDS.approve]: (body, respond, _client, deps) => handleApprove(body, respond, deps),
  [ACTION_IDS.reject]: (body, respond, client, deps) => handleReject(body, respond, client, deps),
  [ACTION_IDS.tick]: (body, respond, _client, deps) => handleTick(body, respond, deps),
  [ACTION_IDS.acknowledge]: (body, respond, _client, deps) => handleAcknowledge(body, respond, deps),
  [ACTION_IDS.rollBack]: (body, respond, _client, deps) => handleRollBack(body, respond, deps),
  [ACTION_IDS.writeReview]: handleWriteReview,
  [ACTION_IDS.historyMore]: (body, respond, _client, deps) => handleHistoryMore(body, respond, deps),
  [ACTION_IDS.queueIt]: (body, respond, _client, deps) => handleWaitFor(body, respond, deps, "queue"),
  [ACTION_IDS.scheduleWindow]: (body, respond, _client, deps) => handleWaitFor(body, respond, deps, "next_window"),
  [ACTION_IDS.cancelWaiting]: (body, respond, _client, deps) => handleCancelWaiting(body, respond, deps),
  // A link button: Slack opens the URL and still reports the click, which only needs acknowledging.
  [ACTION_IDS.openThread]: async () => undefined,
  ...Object.fromEntries(
    CONTROLS.map((control): [string, Handler] => [
      ACTION_IDS[control],
      (body, respond, _client, deps) => handleControl(body, respond, control, deps),
    ]),
  ),
};

function handlerFor(actionId: string): Handler | undefined {
  return HANDLERS[actionId] ?? (FLAG_ACTION.test(actionId) ? (b, r, _c, d) => handleSetFlag(b, r, d) : undefined);
}

/**
 * One listener for every Slipway button, dispatching by action id: Bolt runs
 * each registered listener's matchers on every request, so one listener
 * instead of a dozen keeps each click (and each slash command) cheap.
 */
export function register(app: App, deps: ListenerDeps): void {
  app.action<BlockAction>(
    { type: "block_actions", action_id: /^slipway_/ },
    async ({ ack, body, action, respond, client }) => {
      await ack();
      const handler = handlerFor(action.action_id);
      try {
        if (handler) await handler(body, respond, client, deps);
        else await tell(respond, `That button (${action.action_id}) is not one this Slipway knows; nothing changed.`);
      } catch (thrown) {
        const error = coerceError(thrown);
        deps.log.error({ err: error, action: action.action_id, user: body.user.id }, "action failed");
        await tell(respond, unavailableMessage(error)).catch(() => undefined);
      }
    },
  );
}
