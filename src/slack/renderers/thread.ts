import { type Deployment, postRollbackChecks } from "../../domain/deployment.js";
import { incidentOf, recordOf } from "../../domain/deployment-record.js";
import { isFinal } from "../../domain/deployment-state.js";
import type { FlagStanding } from "../../domain/feature-flag.js";
import { renderRestoreReply } from "./backup-restore.js";
import type { SlackMessage } from "./blocks.js";
import { renderWhatChanged } from "./changes.js";
import { renderValidation } from "./checklist-items.js";
import { renderRootMessage, renderStageReply } from "./deployment-message.js";
import { renderClosingRecord, renderIncidentRecord } from "./deployment-record.js";
import { LIVE, renderFlagChange } from "./feature-flag.js";
import { renderApprovalCard, renderChecklist } from "./gates.js";
import { renderReviewReminder, renderReviewRequest } from "./review.js";
import { renderSensitiveHeadsUp, sensitiveStarted } from "./sensitive-heads-up.js";
import { renderStuckReport } from "./stuck-report.js";
import { permalink, renderAnalysis, renderIncident } from "./watch.js";

/** One message of a deployment's thread, as it should read now. */
export interface ThreadMessage {
  /** Posted in another channel than the deployment's (the incident alert); never in the thread. */
  readonly channel?: string;
  /** Stable name: `root`, `stage2`, `summary`… */
  readonly name: string;
  /** A live message is edited whenever what it shows changes; the others are posted once. */
  readonly live: boolean;
  readonly inThread: boolean;
  /** Posted in the thread of this other message (by name) instead; waits until that one is posted. */
  readonly threadOf?: string;
  /** `rootTs`: where the root message is, once posted; `tsOf`: where another message (by name) is. */
  render(rootTs?: string, tsOf?: (name: string) => string | undefined): SlackMessage;
}

/**
 * Every message the deployment's root and thread should hold, in the order
 * they appear; `standing`, where the deployment stands for its flag (see
 * renderRootMessage).
 */
export function threadMessages(d: Deployment, now: number, standing: FlagStanding = LIVE): ThreadMessage[] {
  const messages: ThreadMessage[] = [
    { name: "root", live: true, inThread: false, render: () => renderRootMessage(d, now, standing) },
  ];
  const what = d.whatChanged;
  if (what) {
    messages.push({ name: "changes", live: false, inThread: true, render: () => renderWhatChanged(d, what) });
  }
  if (d.checklist && d.checklist.length > 0) {
    messages.push({ name: "checklist", live: true, inThread: true, render: () => renderChecklist(d) });
  }
  if (d.approval) {
    messages.push({ name: "approval", live: true, inThread: true, render: () => renderApprovalCard(d) });
  }
  d.stages.forEach((stage, index) => {
    if (stage.status === "succeeded" || stage.status === "failed" || stage.skippedBecause) {
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
  const stuck = d.stuck;
  if (stuck) {
    messages.push({ name: "stuck", live: false, inThread: true, render: () => renderStuckReport({ ...d, stuck }) });
  }
  if (d.restore) {
    messages.push({ name: "restore", live: true, inThread: true, render: () => renderRestoreReply(d) });
  }
  if (d.deploymentValidation) {
    messages.push({
      name: "deployment-validation",
      live: true,
      inThread: true,
      render: () => renderValidation(d, "post-deployment"),
    });
  }
  if (postRollbackChecks(d)) {
    messages.push({
      name: "validation",
      live: true,
      inThread: true,
      render: () => renderValidation(d, "post-rollback"),
    });
  }
  const incident = incidentOf(d);
  // A /rollback in production is an incident too: it alerts, and its record lives in the alert's thread.
  const alerting =
    d.incident !== undefined ||
    d.stuck !== undefined ||
    d.state === "failed" ||
    d.state === "rolled_back" ||
    (d.rollbackOf !== undefined && incident !== undefined);
  const incidentChannel = alerting ? d.incidentChannel : undefined;
  if (incidentChannel) {
    messages.push({
      name: "incident",
      live: true,
      inThread: false,
      channel: incidentChannel,
      render: (rootTs) => renderIncident(d, rootTs),
    });
    if (incident) {
      messages.push({
        name: "incident-record",
        live: true,
        inThread: false,
        channel: incidentChannel,
        threadOf: "incident",
        render: (rootTs) => renderIncidentRecord(d, incident, rootTs),
      });
    }
  }
  if (d.incidentChannel && sensitiveStarted(d)) {
    const channel = d.incidentChannel;
    messages.push({
      name: "sensitive-start",
      live: false,
      inThread: false,
      channel,
      render: (rootTs) => renderSensitiveHeadsUp(d, "start", rootTs),
    });
    if (isFinal(d.state)) {
      messages.push({
        name: "sensitive-end",
        live: false,
        inThread: false,
        channel,
        render: (rootTs) => renderSensitiveHeadsUp(d, "end", rootTs),
      });
    }
  }
  if (isFinal(d.state)) {
    // The closing reply is the deployment record; it is edited when a review or an acknowledgement reaches it.
    messages.push({
      name: "summary",
      live: true,
      inThread: true,
      render: (_rootTs, tsOf) => {
        const incidentTs = incidentChannel && incident ? tsOf?.("incident-record") : undefined;
        return renderClosingRecord(
          d,
          now,
          incidentTs ? { incident: permalink(incidentChannel ?? "", incidentTs) } : {},
        );
      },
    });
    if (recordOf(d).reviewWanted) {
      messages.push({ name: "review", live: true, inThread: true, render: () => renderReviewRequest(d) });
      if (d.reviewRemindedAt !== undefined && !d.review) {
        messages.push({ name: "review-reminder", live: false, inThread: true, render: () => renderReviewReminder(d) });
      }
    }
  }
  for (const change of d.flagChanges ?? []) {
    messages.push({ name: `flag${change.seq}`, live: true, inThread: true, render: () => renderFlagChange(d, change) });
  }
  return messages;
}
