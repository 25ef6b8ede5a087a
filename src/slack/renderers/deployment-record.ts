import { formatMilliseconds, formatPercent, type PerformanceImpact } from "../../domain/analysis.js";
import type { RestoreRecord } from "../../domain/backup.js";
import type { ItemResult } from "../../domain/checklist.js";
import type { Deployment } from "../../domain/deployment.js";
import {
  type DeploymentRecord,
  type IncidentSummary,
  recordOf,
  type TimelineEntry,
} from "../../domain/deployment-record.js";
import type { ExtendedWatch } from "../../domain/monitoring-windows.js";
import { REVIEW_QUESTIONS } from "../../domain/review.js";
import { labelFromName, testLine } from "../../domain/test-counts.js";
import {
  context,
  escapeExceptMentions,
  escapeMrkdwn,
  fitMessage,
  type SlackMessage,
  section,
  title,
} from "./blocks.js";
import { type ChangesRoom, recordChangeLines } from "./changes.js";
import { itemLine, validationSummary } from "./checklist-items.js";
import { renderSummary, who } from "./deployment-message.js";
import { watchEndWords } from "./extended-window.js";
import { slackTime } from "./slack-time.js";
import { permalink } from "./watch.js";

/*
 * The deployment record in the seed's template: as markdown for
 * `/deploy record` (the template's layout line for line), and as the
 * closing reply of the thread (the summary, then the same sections). Both
 * come from one list of sections, so they always say the same. After the
 * template's metrics, the validations that ran (the deployment validation
 * after the last step, the post-rollback validation) list each item with its
 * evidence as the thread does, and a restore from backup says how it went.
 */

/** Where the record's incident record was posted, to link it. */
export interface RecordLinks {
  readonly incident?: string;
}

interface RecordSection {
  readonly title: string;
  readonly lines: readonly string[];
}

/** "2026-12-06 23:40 UTC" */
export function utcMinute(at: number): string {
  return `${new Date(at).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function durationWords(ms: number): string {
  if (ms < 60_000) {
    const s = Math.round(ms / 1000);
    return `${s} second${s === 1 ? "" : "s"}`;
  }
  const m = Math.round(ms / 60_000);
  return `${m} minute${m === 1 ? "" : "s"}`;
}

/** Room for "Changes Included": the markdown answer has several sections, the thread's record one. */
const MARKDOWN_ROOM: ChangesRoom = { maxChanges: 60, maxChars: 4_000 };
const THREAD_ROOM: ChangesRoom = { maxChanges: 25, maxChars: 2_400 };

function changesIncluded(r: DeploymentRecord, room: ChangesRoom): string[] {
  const what = r.whatChanged;
  if (what === undefined) return ["None listed"];
  if (what.problem !== undefined) return [`Not listed: ${escapeMrkdwn(what.problem)}`];
  if (what.total === 0) return [`No commits${what.since !== undefined ? ` since ${escapeMrkdwn(what.since)}` : ""}`];
  return recordChangeLines(what, room);
}

function relative(observed: number, baseline: number): string {
  if (baseline === 0) return "";
  const change = Math.round(((observed - baseline) / baseline) * 100);
  return ` (${change > 0 ? "+" : change < 0 ? "−" : "±"}${Math.abs(change)}%)`;
}

export function performanceWords(p: PerformanceImpact | undefined): string {
  if (p === undefined) return "Not measured (no analysis against a baseline)";
  const parts = [
    p.p95Ms
      ? `p95 ${formatMilliseconds(p.p95Ms.observed)} vs baseline ${formatMilliseconds(p.p95Ms.baseline)}${relative(p.p95Ms.observed, p.p95Ms.baseline)}`
      : undefined,
    p.errorRate
      ? `error rate ${formatPercent(p.errorRate.observed)} vs baseline ${formatPercent(p.errorRate.baseline)}`
      : undefined,
  ].filter((part): part is string => part !== undefined);
  return parts.length > 0 ? parts.join("; ") : "Not measured (the last analysis had no baseline figures)";
}

function deployerWords(r: DeploymentRecord): string {
  const approved = r.approvers.length > 0 ? ` (approved by ${r.approvers.map((u) => `<@${u}>`).join(", ")})` : "";
  return `${who(r.requestedBy)}${approved}`;
}

function lessons(r: DeploymentRecord): string[] {
  if (r.review) {
    const answered = REVIEW_QUESTIONS.flatMap(({ key, lesson }) => {
      const answer = r.review?.answers[key];
      return answer ? [`${lesson}: ${escapeMrkdwn(answer)}`] : [];
    });
    return [...answered, `(review by ${who(r.review.by)}, ${utcMinute(r.review.at)})`];
  }
  return r.reviewWanted
    ? ["Post-deployment review not written yet: Write review in the deployment's thread"]
    : ["None recorded"];
}

/** A validation's section: whether it passed, then each item with its mark and evidence; none when it did not run. */
function validationSection(name: string, items: readonly ItemResult[] | undefined): RecordSection[] {
  if (items === undefined) return [];
  return [{ title: name, lines: [validationSummary(items), ...items.map(itemLine)] }];
}

/** The restore from backup: which backup, who asked, and how it went with the last line of its output. */
function restoreSection(restore: RestoreRecord | undefined): RecordSection[] {
  if (restore === undefined) return [];
  const backup = `backup \`${escapeMrkdwn(restore.backupId)}\` (taken by \`${restore.takenBy}\`), asked by <@${restore.by}> at ${utcMinute(restore.at)}`;
  const last = restore.output?.trim().split("\n").at(-1);
  const evidence = last ? ` — ${escapeMrkdwn(last)}` : "";
  const outcome =
    restore.ok === undefined
      ? restore.afterEnd
        ? `⏳ Restoring ${backup}, after the rollback`
        : `⏳ Not restored: ${backup}; the way back ended before the restore ran`
      : restore.ok
        ? `✅ Restored ${backup}${evidence}`
        : `❌ Restore failed: ${backup}${evidence}`;
  // A restore after the end checks the post-rollback validation again.
  const validation = restore.validation
    ? [`Validation after the restore: ${validationSummary(restore.validation)}`, ...restore.validation.map(itemLine)]
    : [];
  return [{ title: "Restore from Backup", lines: [outcome, ...validation] }];
}

/** The extended window that watched the succeeded deployment: until when, or how it ended. */
function extendedWindowSection(watch: ExtendedWatch | undefined): RecordSection[] {
  if (watch === undefined) return [];
  const line = watch.ended ? watchEndWords(watch.ended, utcMinute) : `👀 watching until ${utcMinute(watch.until)}`;
  return [{ title: "Extended Monitoring", lines: [line] }];
}

function sections(r: DeploymentRecord, links: RecordLinks, room: ChangesRoom): RecordSection[] {
  const incident = r.incident
    ? `Incident: ${r.incident.automatic ? "automatic rollback" : "rolled back"} (${escapeExceptMentions(r.incident.summary)})${
        links.incident ? ` — <${links.incident}|incident record>` : ""
      }`
    : undefined;
  return [
    {
      title: "Changes Included",
      lines: changesIncluded(r, room),
    },
    {
      title: "Test Results",
      lines: r.tests.length > 0 ? r.tests.map((t) => escapeMrkdwn(testLine(t))) : ["No test reports"],
    },
    {
      title: "Deployment Metrics",
      lines: [
        `Downtime: ${durationWords(r.downtimeMs)}`,
        `Rollback Required: ${r.rollbackRequired ? "Yes" : "No"}`,
        `Issues Found: ${r.issues.length > 0 ? escapeExceptMentions(r.issues.join("; ")) : "None"}`,
        `Performance Impact: ${performanceWords(r.performance)}`,
        ...(incident ? [incident] : []),
      ],
    },
    ...validationSection("Deployment Validation", r.deploymentValidation),
    ...validationSection("Post-rollback Validation", r.rollbackValidation),
    ...restoreSection(r.restore),
    ...extendedWindowSection(r.extendedWindow),
    { title: "Lessons Learned", lines: lessons(r) },
  ];
}

function headLines(r: DeploymentRecord): string[] {
  return [
    `Date: ${utcMinute(r.startedAt ?? r.requestedAt)}`,
    `Environment: ${labelFromName(r.environment)}`,
    `Deployer: ${deployerWords(r)}`,
    `Duration: ${durationWords(r.durationMs)}`,
  ];
}

/** The record in the seed's "Deployment Record Template" layout, as markdown. */
export function recordMarkdown(r: DeploymentRecord, links: RecordLinks = {}): string {
  return [
    `## Deployment: ${escapeMrkdwn(r.version)}`,
    ...headLines(r),
    ...sections(r, links, MARKDOWN_ROOM).flatMap((s) => ["", `### ${s.title}`, ...s.lines.map((line) => `- ${line}`)]),
  ].join("\n");
}

/** Lines of text cut into pieces that each fit a section. */
function chunks(lines: readonly string[], max = 2_900): string[] {
  const out: string[] = [];
  let current = "";
  for (const line of lines) {
    const next = current === "" ? line : `${current}\n${line}`;
    if (next.length > max && current !== "") {
      out.push(current);
      current = line;
    } else current = next;
  }
  if (current !== "") out.push(current);
  return out;
}

/** `/deploy record <id>`: the markdown, in as many sections as it needs. */
export function renderRecordAnswer(r: DeploymentRecord, links: RecordLinks = {}): SlackMessage {
  const markdown = recordMarkdown(r, links);
  return fitMessage({
    text: `Deployment record of ${r.id}: ${r.service} ${r.version} → ${r.environment}`,
    blocks: [
      ...chunks(markdown.split("\n")).map((text) => section(text)),
      context(`\`${r.id}\` · ${escapeMrkdwn(r.service)} · ${r.state.replace("_", " ")}`),
    ],
  });
}

/** The thread's closing reply: how the deployment ended, then its record. */
export function renderClosingRecord(d: Deployment, now: number, links: RecordLinks = {}): SlackMessage {
  const r = recordOf(d);
  const summary = renderSummary(d, now);
  const head = `*Deployment record*\n${headLines(r).join("\n")}`;
  return fitMessage({
    text: summary.text,
    blocks: [
      ...summary.blocks,
      section(head),
      ...sections(r, links, THREAD_ROOM).map((s) =>
        section(`*${s.title}*\n${s.lines.map((line) => `• ${line}`).join("\n")}`),
      ),
      context(`\`/deploy record ${d.id}\` gives this record as markdown`),
    ],
  });
}

function entryWords(e: TimelineEntry): string {
  switch (e.kind) {
    case "first-bad-sample":
      return `First bad sample: ${escapeMrkdwn(e.detail)}`;
    case "stage-failed":
      return `Stage ${escapeMrkdwn(e.stage)} failed: ${escapeMrkdwn(e.detail)}`;
    case "rollback-started":
      return `Rollback started by ${who(e.by)}: ${escapeExceptMentions(e.detail)}`;
    case "traffic-on-stable":
      return e.at === undefined
        ? "Traffic back on the stable version: not yet"
        : `Traffic back on the stable version${e.version ? ` ${escapeMrkdwn(e.version)}` : ""}`;
    case "validation":
      if (e.total === undefined) return "Post-rollback validation: not yet";
      if (e.total === 0) return "Post-rollback validation: no validation items declared";
      return e.failed && e.failed.length > 0
        ? `Post-rollback validation failed: ${escapeMrkdwn(e.failed.join(", "))}`
        : `Post-rollback validation passed (${e.total}/${e.total})`;
    case "acknowledged":
      if (e.by) return `Acknowledged by <@${e.by}>`;
      return e.asked ? "Acknowledgement: not yet" : "Acknowledgement: none asked (a person rolled it back)";
    default: {
      const unreachable: never = e;
      return unreachable;
    }
  }
}

/** The incident record, in the incident alert's thread: what tripped and its timeline, edited as it grows. */
export function renderIncidentRecord(
  d: Deployment,
  incident: IncidentSummary,
  rootTs: string | undefined,
): SlackMessage {
  const lines = incident.timeline.map((e) => `• ${e.at === undefined ? "—" : slackTime(e.at)} ${entryWords(e)}`);
  return fitMessage({
    text: `Incident record: ${title(d)}`,
    blocks: [
      section(
        `📝 *Incident record* — ${escapeMrkdwn(title(d))}\n*What happened:* ${escapeExceptMentions(incident.summary)}`,
      ),
      section(`*Timeline*\n${lines.join("\n")}`),
      context(
        `\`${d.id}\`${rootTs ? ` · <${permalink(d.channel, rootTs)}|deployment thread>` : ""} · linked from its deployment record`,
      ),
    ],
  });
}
