import { type Check, dashboardSummary, formatObserved, type Verdict } from "../../domain/analysis.js";
import { type AnalysisRecord, type Deployment, touchedTraffic } from "../../domain/deployment.js";
import { isFinal } from "../../domain/deployment-state.js";
import { EXTENDED_WATCH_INDEX } from "../../domain/monitoring-windows.js";
import { formatDuration } from "../../domain/progress.js";
import { ACTION_IDS } from "../action-ids.js";
import {
  actions,
  type Block,
  button,
  context,
  escapeExceptMentions,
  escapeMrkdwn,
  fitMessage,
  requester,
  type SlackMessage,
  section,
  title,
} from "./blocks.js";
import { slackTime } from "./slack-time.js";
import { stuckWords } from "./stuck-report.js";

const OUTCOME_MARK: Record<Verdict["outcome"], string> = { pass: "✅", fail: "🚨", inconclusive: "❔" };
const CHECK_MARK: Record<Check["status"], string> = { pass: "✅", fail: "❌", inconclusive: "❔", skipped: "➖" };

/** The latest analysis of the deployment, whichever step it was for. */
export function latestAnalysis(d: Deployment): AnalysisRecord | undefined {
  return (d.analyses ?? []).reduce<AnalysisRecord | undefined>(
    (latest, a) => (!latest || a.at > latest.at ? a : latest),
    undefined,
  );
}

/** The seed's dashboard lines for the root message: health, errors vs baseline, response vs target, traffic. */
export function dashboardLines(d: Deployment): string[] {
  const latest = latestAnalysis(d);
  if (!latest) return [];
  const { verdict } = latest;
  const health = verdict.checks.find((c) => c.name === "health");
  const summary = dashboardSummary({
    canary: verdict.canary,
    ...(verdict.baseline ? { baseline: verdict.baseline } : {}),
    ...(verdict.responseLimits ? { limits: verdict.responseLimits } : {}),
  });
  return [
    `*Health:* ${health?.status === "fail" ? `❌ ${escapeMrkdwn(health.text)}` : health?.status === "pass" ? "✅ All systems normal" : "❔ not measured"}`,
    `*Errors:* ${summary.errors}`,
    `*Response:* ${summary.response}`,
    `*Traffic:* ${summary.traffic}`,
    ...customLine(verdict),
    `*Last analysis:* ${OUTCOME_MARK[verdict.outcome]} ${verdict.outcome} at ${slackTime(latest.at)}`,
  ];
}

/** The service's own metrics in one line: `p99 latency 40ms · conversion rate ❌ 5%`. */
function customLine(verdict: Verdict): string[] {
  const custom = verdict.checks.filter((c) => c.name === "custom");
  if (custom.length === 0) return [];
  const shown = custom.map((c) => {
    const mark = c.status === "fail" ? "❌ " : c.status === "inconclusive" ? "❔ " : "";
    return `${escapeMrkdwn(c.metricTitle ?? c.metric ?? "metric")} ${mark}${formatObserved(c)}`;
  });
  return [`*Metrics:* ${shown.join(" · ")}`];
}

function stepLabel(d: Deployment, record: AnalysisRecord): string {
  if (record.stageIndex === -1) return d.extendedWatch ? "Immediate window" : "Post-deployment monitoring";
  if (record.stageIndex === EXTENDED_WATCH_INDEX) return "Extended window";
  const step = d.stages[record.stageIndex - 1];
  return `After ${escapeMrkdwn(step?.name ?? `step ${record.stageIndex}`)}${record.weight !== undefined ? ` (${record.weight}% of traffic)` : ""}`;
}

/**
 * The metric snapshot of one step, edited in place at each analysis: every
 * check with observed value, baseline and threshold, and what was missing.
 */
export function renderAnalysis(d: Deployment, record: AnalysisRecord): SlackMessage {
  const { verdict } = record;
  const lines = verdict.checks.map((c) => `${CHECK_MARK[c.status]} ${escapeMrkdwn(c.text)}`);
  const blocks: Block[] = [
    section(
      `📈 *${stepLabel(d, record)}* — ${OUTCOME_MARK[verdict.outcome]} *${verdict.outcome}* (analysis ${record.rounds}, ${slackTime(record.at)})`,
    ),
    section(lines.join("\n") || "no checks ran"),
  ];
  if (verdict.missing.length > 0) blocks.push(context(`Missing: ${escapeMrkdwn(verdict.missing.join("; "))}`));
  if (verdict.outcome === "inconclusive") {
    blocks.push(
      context(
        record.stageIndex === EXTENDED_WATCH_INDEX
          ? d.extendedWatch?.ended
            ? "The extended window stopped without the data it needs: never counted as a pass."
            : "Not enough data yet: analysed again at the extended window's next interval; never counted as a pass."
          : d.paused
            ? "Not promoted on missing data: the rollout is paused until someone resumes it."
            : "Not enough data yet: analysed again at the next interval; never promoted without it.",
      ),
    );
  }
  return fitMessage({ text: `${stepLabel(d, record)}: ${verdict.outcome} — ${verdict.summary}`, blocks });
}

/** Permalink of a message, in the form Slack's clients open. */
export function permalink(channel: string, ts: string): string {
  return `https://slack.com/archives/${channel}/p${ts.replace(".", "")}`;
}

/** Whether the alert offers Roll back: a failed deployment that changed something, or a stuck one, nobody is taking back. */
function offersRollBack(d: Deployment): boolean {
  if (d.state === "failed") return touchedTraffic(d);
  // A /rollback under way is the way back already.
  return !isFinal(d.state) && d.state !== "rolling_back" && d.abort === undefined && d.rollbackOf === undefined;
}

/** Why a /rollback (or Roll back) deployment alerts: who took the environment back, from what, to what. */
function manualRollbackWords(d: Deployment & { rollbackOf: string }): string {
  const how = d.state === "succeeded" ? "done" : isFinal(d.state) ? d.state.replace("_", " ") : "under way";
  return `*Why:* ${requester(d)} rolled ${escapeMrkdwn(d.environment)} back from ${escapeMrkdwn(d.rollbackOf)} to ${escapeMrkdwn(d.version)} (${how})`;
}

/**
 * The alert in the incident channel: what tripped (observed vs baseline vs
 * threshold), what Slipway already did and how long it took, and buttons to
 * acknowledge it, open the deployment's thread and, when that is not done
 * yet, roll back.
 */
export function renderIncident(d: Deployment, rootTs: string | undefined): SlackMessage {
  const incident = d.incident;
  const automatic = incident !== undefined;
  const what = automatic
    ? d.rollbackOf !== undefined
      ? `automatic rollback of ${d.service} ${d.rollbackOf} → ${d.environment}`
      : `automatic rollback of ${title(d)}`
    : d.rollbackOf !== undefined
      ? `rollback of ${d.service} ${d.rollbackOf} → ${d.environment}`
      : `${title(d)} ${d.paused && !isFinal(d.state) ? "paused" : d.state.replace("_", " ")}`;
  const done = d.rollback
    ? [
        ...d.rollback.actions.map((a) => `${a.ok ? "✅" : "❌"} ${escapeMrkdwn(a.name)}`),
        d.state === "rolled_back"
          ? `✅ back on ${escapeMrkdwn(d.previousVersion ?? "the previous version")}`
          : undefined,
      ].filter((line): line is string => line !== undefined)
    : d.rollbackOf !== undefined && d.state === "succeeded"
      ? [`✅ back on ${escapeMrkdwn(d.version)}`]
      : [];
  const lines = [
    `🚨 *${escapeMrkdwn(what)}* — ${escapeMrkdwn(d.service)} in ${escapeMrkdwn(d.environment)}`,
    automatic
      ? `*What tripped:* ${escapeMrkdwn(incident.summary)}`
      : d.stuck && !d.failureReason
        ? stuckWords(d.stuck)
        : d.rollbackOf !== undefined && !d.failureReason
          ? manualRollbackWords({ ...d, rollbackOf: d.rollbackOf })
          : `*Why:* ${escapeExceptMentions(d.failureReason ?? d.rollback?.reason ?? "unknown")}`,
    done.length ? `*What Slipway did:* ${done.join(" · ")}` : undefined,
    incident?.trafficRestoredMs !== undefined
      ? `*Traffic back on stable in:* ${formatDuration(incident.trafficRestoredMs)}`
      : undefined,
    incident?.acknowledgedBy
      ? `👀 Acknowledged by <@${incident.acknowledgedBy}>${incident.acknowledgedAt ? ` at ${slackTime(incident.acknowledgedAt)}` : ""}`
      : undefined,
  ].filter((line): line is string => line !== undefined);
  const buttons = [
    ...(incident && !incident.acknowledgedBy ? [button("Acknowledge", ACTION_IDS.acknowledge, d.id, "primary")] : []),
    ...(rootTs ? [{ ...button("Open thread", ACTION_IDS.openThread, d.id), url: permalink(d.channel, rootTs) }] : []),
    ...(offersRollBack(d)
      ? [
          button("Roll back", ACTION_IDS.rollBack, d.id, "danger", {
            title: "Roll back?",
            text: `${d.environment} goes back to the last good version of ${escapeMrkdwn(d.service)}.`,
            yes: "Roll back",
          }),
        ]
      : []),
  ];
  return fitMessage({
    text: `Incident: ${what}`,
    blocks: [
      section(lines.join("\n")),
      ...(buttons.length ? [actions("incident", buttons)] : []),
      context(`\`${d.id}\` · requested by ${requester(d)}`),
    ],
  });
}
