import type { Deployment } from "../../domain/deployment.js";
import { isFinal } from "../../domain/deployment-state.js";
import type { SlackMessage } from "./blocks.js";
import { renderRootMessage, renderStageReply, renderSummary } from "./deployment-message.js";
import { renderApprovalCard, renderChecklist } from "./gates.js";

/** One message of a deployment's thread, as it should read now. */
export interface ThreadMessage {
  /** Stable name: `root`, `stage2`, `summary`… */
  readonly name: string;
  /** A live message is edited whenever what it shows changes; the others are posted once. */
  readonly live: boolean;
  readonly inThread: boolean;
  render(): SlackMessage;
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
  if (isFinal(d.state)) {
    messages.push({ name: "summary", live: false, inThread: true, render: () => renderSummary(d, now) });
  }
  return messages;
}
