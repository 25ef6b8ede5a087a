import type { Deployment } from "../../domain/deployment.js";
import { isFinal } from "../../domain/deployment-state.js";
import type { SlackMessage } from "./blocks.js";
import { renderRollbackValidation } from "./checklist-items.js";
import { renderRootMessage, renderStageReply, renderSummary } from "./deployment-message.js";
import { renderFlagChange } from "./feature-flag.js";
import { renderApprovalCard, renderChecklist } from "./gates.js";
import { renderAnalysis, renderIncident } from "./watch.js";

/** One message of a deployment's thread, as it should read now. */
export interface ThreadMessage {
  /** Posted in another channel than the deployment's (the incident alert); never in the thread. */
  readonly channel?: string;
  /** Stable name: `root`, `stage2`, `summary`… */
  readonly name: string;
  /** A live message is edited whenever what it shows changes; the others are posted once. */
  readonly live: boolean;
  readonly inThread: boolean;
  /** `rootTs`: where the root message is, once posted. */
  render(rootTs?: string): SlackMessage;
}

/** Every message the deployment's root and thread should hold, in the order they appear. */
export function threadMessages(d: Deployment, now: number): ThreadMessage[] {
  const messages: ThreadMessage[] = [
    { name: "root", live: true, inThread: false, render: () => renderRootMessage(d, now) },
  ];
  if (d.checklist && d.checklist.length > 0) {
    messages.push({ name: "checklist", live: true, inThread: true, render: () => renderChecklist(d) });
  }
  if (d.approval) {
    messages.push({ name: "approval", live: true, inThread: true, render: () => renderApprovalCard(d) });
  }
  d.stages.forEach((stage, index) => {
    if (stage.status === "succeeded" || stage.status === "failed") {
      messages.push({ name: `stage${index}`, live: false, inThread: true, render: () => renderStageReply(d, index) });
    }
  });
  for (const record of [...(d.analyses ?? [])].sort((a, b) => a.stageIndex - b.stageIndex || a.at - b.at)) {
    messages.push({
      name: `analysis${record.stageIndex}`,
      live: true,
      inThread: true,
      render: () => renderAnalysis(d, record),
    });
  }
  if (d.rollback?.checklist) {
    messages.push({ name: "validation", live: true, inThread: true, render: () => renderRollbackValidation(d) });
  }
  if (isFinal(d.state)) {
    messages.push({ name: "summary", live: false, inThread: true, render: () => renderSummary(d, now) });
  }
  for (const change of d.flagChanges ?? []) {
    messages.push({ name: `flag${change.seq}`, live: true, inThread: true, render: () => renderFlagChange(d, change) });
  }
  const alerting =
    d.incident !== undefined || d.stuck !== undefined || d.state === "failed" || d.state === "rolled_back";
  if (alerting && d.incidentChannel) {
    messages.push({
      name: "incident",
      live: true,
      inThread: false,
      channel: d.incidentChannel,
      render: (rootTs) => renderIncident(d, rootTs),
    });
  }
  return messages;
}
