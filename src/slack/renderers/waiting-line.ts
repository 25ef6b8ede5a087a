import type { JobData } from "../../engine/jobs.js";
import type { RequestOutcome } from "../../engine/request-deployment.js";
import type { CancelOutcome } from "../../engine/waiting-deployments.js";
import type { WaitingDeployment } from "../../store/waitlist.js";
import { ACTION_IDS } from "../action-ids.js";
import { encodeCancel } from "../waiting-buttons.js";
import { type Block, type ButtonElement, button, escapeMrkdwn, type SlackMessage, section, title } from "./blocks.js";
import { slackDateTime } from "./slack-time.js";

/*
 * Deployments waiting to start, as people see them: the answer to a request
 * that joined a line, the line in /deploy status and the Home tab (each with
 * its Cancel button), the answer to Cancel, and the deploy channel's notice
 * when one will not start.
 */

/** How many waiting deployments a status message or the Home tab lists. */
const MAX_WAITING_SHOWN = 20;

/** Who asked for a waiting deployment: a mention, or the push's or schedule's name. */
function askedBy(w: WaitingDeployment): string {
  return w.actor.kind === "slack"
    ? `<@${w.actor.id}>`
    : `${escapeMrkdwn(w.actor.name ?? w.actor.id)} (${w.actor.kind})`;
}

export function cancelButton(w: WaitingDeployment): ButtonElement {
  return button(
    "Cancel",
    ACTION_IDS.cancelWaiting,
    encodeCancel({ service: w.request.service, environment: w.request.environment, id: w.id }),
    "danger",
  );
}

/** The answer to a request that now waits in line. */
export function waitingAnswerText(outcome: Extract<RequestOutcome, { code: "queued" | "scheduled" }>): string {
  const w = outcome.waiting;
  const what = escapeMrkdwn(title(w.request));
  if (outcome.code === "scheduled") {
    return `\`${w.id}\` is scheduled for the next deployment window: ${what} starts by itself at ${slackDateTime(w.notBefore ?? 0)}, checked again then against locks, freezes and permissions, with its checklist and approvals as usual. \`/deploy status\` shows it; Cancel takes it out.`;
  }
  const replaced =
    outcome.replaced.length > 0
      ? ` It replaces ${outcome.replaced.map((r) => `\`${escapeMrkdwn(r.request.version)}\``).join(", ")}, which waited before it.`
      : "";
  return `\`${w.id}\` waits in line (number ${outcome.position}) behind \`${outcome.behind}\`: ${what} starts by itself when the deployments ahead of it have finished, checked again then against locks, freezes and permissions, with its checklist and approvals as usual.${replaced} \`/deploy status\` shows the line; Cancel takes it out.`;
}

/** One line per waiting deployment, each with its Cancel button. */
export function waitingLineBlocks(waiting: readonly WaitingDeployment[]): Block[] {
  const shown = waiting.slice(0, MAX_WAITING_SHOWN);
  const blocks: Block[] = [section(`*Waiting to start (${waiting.length})*${waiting.length === 0 ? "\nnone" : ""}`)];
  for (const w of shown) {
    const when =
      w.notBefore === undefined
        ? `queued${w.behind ? ` behind \`${w.behind}\`` : ""}`
        : `scheduled for the window at ${slackDateTime(w.notBefore)}`;
    blocks.push(section(`⏳ \`${w.id}\` ${escapeMrkdwn(title(w.request))} — ${when} · ${askedBy(w)}`, cancelButton(w)));
  }
  if (waiting.length > shown.length) {
    blocks.push(
      section(`…and ${waiting.length - shown.length} more; \`/deploy status <service> <environment>\` narrows it.`),
    );
  }
  return blocks;
}

/** The answer to a Cancel button. */
export function cancelAnswerText(outcome: CancelOutcome): string {
  switch (outcome.code) {
    case "cancelled":
      return `Cancelled \`${outcome.waiting.id}\`: ${escapeMrkdwn(title(outcome.waiting.request))} will not start.`;
    case "not_waiting":
      return outcome.deployment
        ? `\`${outcome.id}\` is no longer waiting: it has started; Abort in its thread stops it.`
        : `\`${outcome.id}\` is no longer waiting (cancelled, or refused when it came to start); nothing changed.`;
    case "forbidden":
      return `Not cancelled: ${outcome.reason}.`;
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}

export type WaitingDropped = JobData<"notify", "waitingDropped">;
export type WaitingRescheduled = JobData<"notify", "waitingRescheduled">;

/** A waiting deployment and who asked for it, for a deploy channel's notice. */
function noticeSubject(n: WaitingDropped | WaitingRescheduled): { what: string; who: string } {
  return {
    what: `\`${n.deploymentId}\` ${escapeMrkdwn(`${n.service} ${n.version} → ${n.environment}`)}`,
    who: n.requester.kind === "slack" ? `<@${n.requester.id}>` : escapeMrkdwn(n.requester.name ?? n.requester.id),
  };
}

/** The deploy channel's one notice that a waiting deployment whose window had closed waits for its next opening. */
export function renderWaitingRescheduled(n: WaitingRescheduled): SlackMessage {
  const { what, who } = noticeSubject(n);
  const text = `⏰ Queued deployment rescheduled: ${what}, asked for by ${who}, could not start: ${escapeMrkdwn(n.reason)}. It keeps its place and starts by itself when the window opens, at ${slackDateTime(n.opensAt)}; Cancel it from \`/deploy status\`.`;
  return { text, blocks: [section(text)] };
}

/** The deploy channel's one notice that a waiting deployment will not start, and why. */
export function renderWaitingDropped(n: WaitingDropped): SlackMessage {
  const { what, who } = noticeSubject(n);
  const why = (() => {
    switch (n.code) {
      case "replaced":
        return `a newer push, ${escapeMrkdwn(n.reason)}, took its place in line.`;
      case "locked":
        return `${escapeMrkdwn(n.environment)} is locked by <@${n.owner ?? "unknown"}> (${escapeMrkdwn(n.reason)}). Deploy it again once \`/deploy unlock ${escapeMrkdwn(n.environment)} ${escapeMrkdwn(n.service)}\` has lifted it.`;
      case "window":
        return `not now: ${escapeMrkdwn(n.reason)}.`;
      case "forbidden":
        return `${escapeMrkdwn(n.reason)}.`;
      case "unknown_version":
        return `it is not a tag or commit in ${escapeMrkdwn(n.reason)}.`;
      case "promotion":
        return `the promotion gate holds it (${escapeMrkdwn(n.reason)}).`;
      case "invalid":
        return `the manifest cannot deploy it (${escapeMrkdwn(n.reason)}); run \`slipway validate\`.`;
      default: {
        const unreachable: never = n.code;
        return unreachable;
      }
    }
  })();
  const head = n.code === "replaced" ? "⏭️ Queued deployment replaced" : "⛔ Queued deployment not started";
  const text = `${head}: ${what}, asked for by ${who}: ${why}`;
  return { text, blocks: [section(text)] };
}
