import {
  type Deployment,
  durationMs,
  liveWeight,
  progressPercent,
  type StageRun,
  touchedTraffic,
} from "../../domain/deployment.js";
import { type DeploymentState, describeState } from "../../domain/deployment-state.js";
import type { FlagStanding } from "../../domain/feature-flag.js";
import type { PushedCommit } from "../../domain/git-push.js";
import { formatDuration, progressBar } from "../../domain/progress.js";
import { ARCHIVE_BLUE } from "../../domain/stage-plan.js";
import { ACTION_IDS } from "../action-ids.js";
import { restoreLine } from "./backup-restore.js";
import {
  actions,
  type Block,
  button,
  codeTail,
  context,
  divider,
  escapeExceptMentions,
  escapeMrkdwn,
  fitMessage,
  header,
  requester,
  type SlackMessage,
  section,
  title,
} from "./blocks.js";
import { rangeWords } from "./changes.js";
import { validationLines } from "./checklist-items.js";
import { watchEndWords } from "./extended-window.js";
import { flagControls, flagLine, LIVE } from "./feature-flag.js";
import { hotfixPathLine } from "./hotfix-path.js";
import { slackTime } from "./slack-time.js";
import { stuckWords } from "./stuck-report.js";
import { dashboardLines } from "./watch.js";

export const STATE_EMOJI: Record<DeploymentState, string> = {
  requested: "🕓",
  checking: "📋",
  awaiting_approval: "✋",
  running: "🚀",
  monitoring: "👀",
  succeeded: "✅",
  failed: "❌",
  rolling_back: "↩️",
  rolled_back: "↩️",
  rejected: "🚫",
  cancelled: "⏹️",
  expired: "⌛",
};

const STAGE_MARK: Record<StageRun["status"], string> = {
  pending: "⏳",
  running: "🔄",
  succeeded: "✅",
  failed: "❌",
  skipped: "⏭️",
};

function stageLine(stage: StageRun): string {
  const took =
    stage.startedAt !== undefined && stage.finishedAt !== undefined
      ? ` (${formatDuration(stage.finishedAt - stage.startedAt)})`
      : "";
  return `${STAGE_MARK[stage.status]} ${escapeMrkdwn(stage.name)}${took}`;
}

/**
 * After 100%: which window runs and when it ends. The immediate one holds
 * the environment; once it passed, the deployment succeeded and its extended
 * window watches it with the environment free, then says how it ended.
 */
function monitoringLine(d: Deployment): string | undefined {
  const watch = d.extendedWatch;
  if (d.state === "monitoring" && d.monitorUntil !== undefined) {
    return watch
      ? `*Monitoring:* immediate window until ${slackTime(d.monitorUntil)}, then extended until ${slackTime(watch.until)}`
      : `*Monitoring until:* ${slackTime(d.monitorUntil)}`;
  }
  if (d.state !== "succeeded" || !watch) return undefined;
  return watch.ended
    ? `*Extended window:* ${watchEndWords(watch.ended, slackTime)}`
    : `*Monitoring:* extended window until ${slackTime(watch.until)}; ${escapeMrkdwn(d.environment)} is free for the next deployment`;
}

/**
 * The root message: the deployment's live dashboard, edited in place as it
 * moves. It shows nothing that changes with the clock alone, so an edit is
 * only made when the deployment itself changed, or (`standing`) when the
 * restore of another deployment's backup starts or ends holding its
 * environment, which its flag buttons wait for.
 */
export function renderRootMessage(d: Deployment, now: number, standing: FlagStanding = LIVE): SlackMessage {
  const percent = progressPercent(d);
  const current = d.stages.find((s) => s.status === "running");
  const status = `${STATE_EMOJI[d.state]} *${describeState(d.state)}*`;
  const weight = liveWeight(d);
  const lines = [
    `*Status:* ${status}${d.paused ? ` — ⏸️ paused by ${who(d.paused.by)}` : ""}`,
    d.push ? pushLine(d.push) : undefined,
    hotfixPathLine(d),
    changesLine(d),
    `*Progress:* \`${progressBar(percent)}\``,
    current ? `*Current stage:* ${escapeMrkdwn(current.name)}` : undefined,
    weightLine(d, weight),
    blueLine(d),
    flagLine(d, standing),
    d.holdUntil !== undefined && !d.paused ? `*Next step:* ${slackTime(d.holdUntil)}` : undefined,
    ...dashboardLines(d),
    monitoringLine(d),
    d.stuck ? `⚠️ ${stuckWords(d.stuck)}` : undefined,
    d.paused?.reason ? `*Paused because:* ${escapeMrkdwn(d.paused.reason)}` : undefined,
    d.rollback ? `*Rollback:* ${escapeExceptMentions(d.rollback.reason)}${rollbackProgress(d)}` : undefined,
    restoreLine(d),
    ...validationLines(d, true),
    d.failureReason ? `*Why:* ${escapeExceptMentions(d.failureReason)}` : undefined,
  ].filter((line): line is string => line !== undefined);
  const flags = [d.strategy, d.hotfix ? "hotfix" : undefined, d.bypass ? `${d.bypass} bypassed` : undefined]
    .filter(Boolean)
    .join(" · ");
  const blocks = [
    header(`${d.hotfix ? "🚑" : "🚀"} ${title(d)}`),
    section(lines.join("\n")),
    section(`*Stages*\n${d.stages.map(stageLine).join("\n")}`),
    ...controls(d),
    ...flagControls(d, standing),
    divider(),
    context(
      `\`${d.id}\` · requested by ${requester(d)} · ${flags} · ${
        d.finishedAt === undefined ? `started ${slackTime(d.createdAt)}` : `took ${formatDuration(durationMs(d, now))}`
      }`,
    ),
  ];
  return fitMessage({ text: `${title(d)}: ${describeState(d.state)} (${percent}%)`, blocks });
}

/** What the release brings, in one line; the commits themselves are in the thread's first reply. */
function changesLine(d: Deployment): string | undefined {
  const what = d.whatChanged;
  if (!what) return undefined;
  if (what.problem !== undefined) return "*Changes:* could not be listed from git (the thread says why)";
  return `*Changes:* ${rangeWords(what, d.version)} — listed in the thread`;
}

/**
 * Where traffic really is: a canary's weight, or blue-green's share moved to
 * green (blue, the version live before, serves the rest). Once the way back
 * has taken it to stable, the new version's old weight is not shown.
 */
function weightLine(d: Deployment, weight: number | undefined): string | undefined {
  if (weight === undefined) return undefined;
  if (weight === 0 && d.rollback) {
    const stable = d.previousVersion ? ` (${escapeMrkdwn(d.previousVersion)})` : "";
    return `*Traffic:* all on the stable version${stable}, none on ${escapeMrkdwn(d.version)}`;
  }
  if (d.strategy === "blue-green") {
    const blue = weight < 100 && d.previousVersion ? `, the rest on blue (${escapeMrkdwn(d.previousVersion)})` : "";
    return `*Traffic on green:* ${weight}% (${escapeMrkdwn(d.version)})${blue}`;
  }
  return `*Canary weight:* ${weight}% of traffic on ${escapeMrkdwn(d.version)}`;
}

/**
 * Blue-green after the switch: blue kept as the way back until the keep
 * window ends, then archived through the target, or kept because the target
 * cannot archive it. Nothing once the deployment was rolled back.
 */
function blueLine(d: Deployment): string | undefined {
  if (d.strategy !== "blue-green" || d.rollback || d.rollbackOf) return undefined;
  const switched = d.stages.some((s) => s.step.promote && s.status === "succeeded");
  if (!switched) return undefined;
  const blue = d.previousVersion ? `${escapeMrkdwn(d.previousVersion)} ` : "";
  const keep = d.stages.find((s) => s.name === "keep-blue");
  const archive = d.stages.find((s) => s.name === ARCHIVE_BLUE);
  if (archive?.status === "succeeded") return `*Blue:* ${blue}archived after the keep window`;
  if (archive?.status === "skipped") {
    return `*Blue:* ${blue}kept, not archived: ${escapeMrkdwn(archive.skippedBecause ?? "the archive step was skipped")}`;
  }
  if (keep?.status === "succeeded" && d.holdUntil !== undefined) {
    return `*Blue:* ${blue}kept as the way back until ${slackTime(d.holdUntil)}${archive ? ", then archived" : ""}`;
  }
  return keep || archive ? undefined : `*Blue:* ${blue}kept`;
}

/** Who pushed what: "*Commit:* <compare|1a2b3c4> Fix the total — alice on develop". */
export function pushLine(push: PushedCommit): string {
  const id = /^https:\/\/[^\s<>|]+$/.test(push.compareUrl)
    ? `<${push.compareUrl}|${push.shortId}>`
    : `\`${push.shortId}\``;
  const by = push.pusher ? `${push.author}, pushed by ${push.pusher}` : push.author;
  return `*Commit:* ${id} ${escapeMrkdwn(push.title)} — ${escapeMrkdwn(by)} on ${escapeMrkdwn(push.branch)}`;
}

/** A person as a mention, or Slipway itself. */
export function who(by: string): string {
  return by === "slipway" ? "Slipway" : `<@${by}>`;
}

function rollbackProgress(d: Deployment): string {
  const actions = d.rollback?.actions ?? [];
  if (actions.length === 0) return "";
  return ` (${actions.map((a) => `${a.ok ? "✅" : "❌"} ${escapeMrkdwn(a.name)}`).join(", ")})`;
}

/**
 * Pause / Resume, Promote and Abort while a rollout can still be steered
 * (Abort reads Roll back while monitoring after 100%); Roll back once it succeeded, or once it failed after changing something
 * (an environment whose onFailure is stop leaves that rollback to a person).
 */
function controls(d: Deployment): Block[] {
  if (d.state === "succeeded" || (d.state === "failed" && touchedTraffic(d))) {
    return [
      actions("controls", [
        button("Roll back", ACTION_IDS.rollBack, d.id, "danger", {
          title: "Roll back?",
          text: `${d.environment} goes back to the last good version before ${escapeMrkdwn(d.version)}.`,
          yes: "Roll back",
        }),
      ]),
    ];
  }
  if ((d.state !== "running" && d.state !== "monitoring") || d.abort) return [];
  const promotable = d.stages.some((s) => s.step.rollout && s.status === "pending");
  return [
    actions("controls", [
      d.paused ? button("Resume", ACTION_IDS.resume, d.id, "primary") : button("Pause", ACTION_IDS.pause, d.id),
      ...(promotable ? [button("Promote", ACTION_IDS.promote, d.id)] : []),
      // Live at 100% and watched (either monitoring window), stopping it is rolling it back: say so.
      d.state === "monitoring"
        ? button("Roll back", ACTION_IDS.abort, d.id, "danger", {
            title: "Roll back?",
            text: `${escapeMrkdwn(d.version)} is rolled back: ${d.environment} goes back to the stable version.`,
            yes: "Roll back",
          })
        : button("Abort", ACTION_IDS.abort, d.id, "danger", {
            title: "Abort this deployment?",
            text: `Traffic goes back to the stable version and ${escapeMrkdwn(d.version)} is rolled back.`,
            yes: "Abort",
          }),
    ]),
  ];
}

/** One thread reply per finished stage: name, duration, outcome, the output tail on failure, the tag a tag stage made. */
export function renderStageReply(d: Deployment, stageIndex: number): SlackMessage {
  const stage = d.stages[stageIndex];
  if (!stage) throw new RangeError(`deployment ${d.id} has no stage ${stageIndex}`);
  const took =
    stage.startedAt !== undefined && stage.finishedAt !== undefined
      ? formatDuration(stage.finishedAt - stage.startedAt)
      : "—";
  const outcome =
    stage.status === "succeeded"
      ? "succeeded"
      : stage.skippedBecause
        ? `skipped: ${stage.skippedBecause}`
        : (stage.error ?? stage.status);
  const during = stage.skippedBecause ? "" : ` in ${took}`;
  const blocks = [
    section(`${STAGE_MARK[stage.status]} *${escapeMrkdwn(stage.name)}* ${escapeMrkdwn(outcome)}${during}`),
  ];
  if (stage.status === "failed" && stage.outputTail) blocks.push(section(codeTail(stage.outputTail)));
  // A tag stage's one line of output is what it made: the release candidate's name.
  if (stage.status === "succeeded" && stage.step.tag && stage.outputTail) {
    blocks.push(section(`🏷️ ${escapeMrkdwn(stage.outputTail)}`));
  }
  return fitMessage({ text: `${stage.name}: ${outcome}${during}`, blocks });
}

/** The closing reply: how the deployment ended. */
export function renderSummary(d: Deployment, now: number): SlackMessage {
  const done = d.stages.filter((s) => s.status === "succeeded").length;
  const lines = [
    `${STATE_EMOJI[d.state]} *Deployment ${describeState(d.state).toLowerCase()}*: ${escapeMrkdwn(title(d))}`,
    `Duration: ${formatDuration(durationMs(d, now))} · stages: ${done}/${d.stages.length} succeeded`,
    d.failureReason ? `Why: ${escapeExceptMentions(d.failureReason)}` : undefined,
    ...validationLines(d, false),
  ].filter((line): line is string => line !== undefined);
  return fitMessage({
    text: `${title(d)} ${describeState(d.state).toLowerCase()}`,
    blocks: [section(lines.join("\n"))],
  });
}

/** `/deploy status`: active deployments first, then recent ones. */
export function renderStatusList(deployments: readonly Deployment[], now: number): SlackMessage {
  if (deployments.length === 0) {
    return { text: "No deployments yet. Start one with /deploy <environment> <version>.", blocks: [] };
  }
  const line = (d: Deployment) =>
    `${STATE_EMOJI[d.state]} \`${d.id}\` ${escapeMrkdwn(title(d))} — ${describeState(d.state)}, ${progressPercent(d)}% · ${formatDuration(durationMs(d, now))} · ${requester(d)}`;
  const active = deployments.filter((d) => d.finishedAt === undefined);
  const recent = deployments.filter((d) => d.finishedAt !== undefined);
  const blocks = [
    section(`*Active (${active.length})*\n${active.length ? active.map(line).join("\n") : "none"}`),
    section(`*Recent*\n${recent.length ? recent.map(line).join("\n") : "none"}`),
  ];
  return fitMessage({ text: `${active.length} active, ${recent.length} recent deployments`, blocks });
}
