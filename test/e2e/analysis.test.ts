import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Check, formatMilliseconds, formatPercent } from "../../src/domain/analysis.js";
import type { Deployment } from "../../src/domain/deployment.js";
import { ACTION_IDS } from "../../src/slack/action-ids.js";
import { slackTime } from "../../src/slack/renderers/slack-time.js";
import { permalink } from "../../src/slack/renderers/watch.js";
import type { StoredMessage } from "../../src/standin/message-store.js";
import {
  AnalysisRig,
  CHANNEL,
  DEPLOYER,
  ENVIRONMENT,
  INCIDENTS,
  INITIAL,
  ONCALL,
  type RigOptions,
  SERVICE,
  UNDEPLOYED,
} from "../support/analysis-rig.js";
import { deploymentIdIn } from "../support/chat-ops.js";
import { findPrometheus, PROMETHEUS_SKIP_REASON } from "../support/prometheus-server.js";
import type { Snapshot } from "../support/router-watch.js";
import { versionsServing } from "../support/sample-stack.js";

/*
 * Canary analysis and automatic rollback end to end: `slipway all` against
 * the Slack stand-in deploys the sample service behind its router while
 * load.mjs sends steady traffic through it, and judges each canary step
 * from real metrics — a real Prometheus scraping every backend through the
 * router (GET /_admin/metrics), or Slipway's own scrape source reading
 * GET /_admin/metrics/{{version}}. Versions misbehave by name: `bad` answers
 * 20% 500s, `slow` takes 3× as long.
 *
 * The Prometheus scenarios share one stack, one Prometheus and one Slipway,
 * as one environment's history: each starts by making sure of the good
 * versions it needs (deploying them all at once when they are missing), so
 * any one of them can also run alone. Tests wait on events: the stand-in's
 * messages, and the router's and the store's state polled under a deadline.
 */

const GOOD = "v1.2.0";
const BAD = "v1.3.0-bad";
const SLOW = "v1.3.1-slow";
const QUIET = "v1.3.2";
const NEWER = "v1.4.0";

const PROMETHEUS = findPrometheus();
if (PROMETHEUS === undefined) console.warn(`Skipping the Prometheus scenarios: ${PROMETHEUS_SKIP_REASON}`);

/* Helpers ------------------------------------------------------------------ */

function stageStatuses(d: Deployment): string[] {
  return d.stages.map((s) => `${s.name} ${s.status}`);
}

/** The check of the latest analysis that failed, with its numbers. */
function failedCheck(d: Deployment, name: Check["name"]): Check {
  const failing = (d.analyses ?? []).filter((a) => a.verdict.outcome === "fail");
  const check = failing.at(-1)?.verdict.checks.find((c) => c.name === name);
  if (!check) throw new Error(`${d.id} has no failed analysis with a ${name} check: ${JSON.stringify(d.analyses)}`);
  return check;
}

function numbers(check: Check): { observed: number; baseline: number; threshold: number } {
  const { observed, baseline, threshold } = check;
  if (observed === undefined || baseline === undefined || threshold === undefined) {
    throw new Error(`check ${check.name} lacks a number: ${JSON.stringify(check)}`);
  }
  return { observed, baseline, threshold };
}

type Button = { action_id?: string; url?: string; value?: string; text?: { text?: string } };

function buttonsOf(message: StoredMessage): Button[] {
  return message.blocks.flatMap((block) =>
    block.type === "actions" && Array.isArray(block.elements) ? (block.elements as Button[]) : [],
  );
}

/** The first router snapshot with `version` in the stable pool: when it was promoted, if ever. */
function promotedAt(snapshots: readonly Snapshot[], version: string): Snapshot | undefined {
  return snapshots.find((s) => s.stable.includes(version));
}

/**
 * The scenario of a version the analysis must roll back: deployed under
 * load, at 25% when the trigger trips, traffic back on the good version.
 */
async function rolledBack(rig: AnalysisRig, version: string, good: string) {
  const { scene, watch, stack } = rig;
  const id = await rig.deploy(version);
  const canary = await watch.waitFor(`${version} at 25%`, (s) => s.weight === 25 && s.candidate.includes(version));
  const d = await scene.ended(id, "rolled_back", 45_000);
  const back = await watch.waitFor(
    "traffic back on stable",
    (s) => s.at > canary.at && s.weight === 0 && s.candidate.length === 0,
  );

  // Rolled back by Slipway before 100%: the canary never became stable, and stable serves everything.
  expect(d.rollback?.by).toBe("slipway");
  expect(d.rollback?.reason).toMatch(/^automatic rollback: rollback triggered: /);
  expect(d.rollback?.actions.map((a) => `${a.name} ${a.ok}`)).toEqual(["traffic-to-stable true", "rollback true"]);
  expect(d.stages.find((s) => s.name === "canary-100%")?.status).toBe("pending");
  expect(promotedAt(watch.snapshots, version)).toBeUndefined();
  expect(back.stable.every((v) => v === good)).toBe(true);
  const after = await stack.state();
  expect(after.weight).toBe(0);
  expect(after.pools.candidate).toEqual([]);
  expect(await versionsServing(stack.url, 12)).toEqual({ [good]: 12 });

  // The incident: when the trigger tripped, and how soon traffic was back on stable.
  expect(d.incident?.summary).toMatch(/^rollback triggered: /);
  expect(d.incident?.trafficRestoredMs).toBeGreaterThanOrEqual(0);
  expect(d.incident?.trafficRestoredMs).toBeLessThan(rig.intervalMs + 5_000);
  return { id, d };
}

/** The alert in the incident channel once it shows the whole way back; checks what it says Slipway did. */
async function incidentAlert(rig: AnalysisRig, d: Deployment, good: string): Promise<StoredMessage> {
  const alert = await rig.incidentAlert(d.id, new RegExp(`back on ${good.replaceAll(".", "\\.")}`));
  const text = rig.scene.slack.textOf(alert);
  expect(text).toContain(`*automatic rollback of ${SERVICE} ${d.version} → ${ENVIRONMENT}*`);
  expect(text).toContain(`*What tripped:* ${d.incident?.summary}`);
  expect(text).toContain(`*What Slipway did:* ✅ traffic-to-stable · ✅ rollback · ✅ back on ${good}`);
  expect(text).toMatch(/\*Traffic back on stable in:\* \d/);
  const root = await rig.scene.chat.rootOf(d.id);
  const buttons = buttonsOf(alert);
  expect(buttons.find((b) => b.action_id === ACTION_IDS.acknowledge)?.value).toBe(d.id);
  expect(buttons.find((b) => b.action_id === ACTION_IDS.openThread)?.url).toBe(permalink(CHANNEL, root.ts));
  return alert;
}

/**
 * One rig for the tests of the calling describe: started before the first,
 * any deployment a test left active aborted after each, stopped (exiting 0)
 * after the last. Returns the running rig.
 */
function sharedRig(options: RigOptions): () => AnalysisRig {
  let rig: AnalysisRig | undefined;
  beforeAll(async () => {
    rig = await AnalysisRig.start(options);
  }, 60_000);
  afterEach(async () => {
    await rig?.settle();
  }, 60_000);
  afterAll(async () => {
    const code = await rig?.close();
    expect(code, rig?.scene.slipway.describe()).toBe(0);
  }, 60_000);
  return () => {
    if (!rig) throw new Error(`the ${options.label} rig did not start`);
    return rig;
  };
}

/* Against a real Prometheus ------------------------------------------------- */

describe.skipIf(PROMETHEUS === undefined)("canary analysis against a real Prometheus", () => {
  const shared = sharedRig({ label: "e2e-analysis-prom", source: "prometheus", prometheus: PROMETHEUS });
  let rig: AnalysisRig;
  beforeEach(() => {
    rig = shared();
  });

  it("promotes a good version step by step, each step analysed against the stable one", async () => {
    await rig.ensureGood(INITIAL);
    const { scene, watch, stack } = rig;
    const id = await rig.deploy(GOOD);
    for (const weight of [25, 50]) {
      await watch.waitFor(`${GOOD} at ${weight}%`, (s) => s.weight === weight && s.candidate.includes(GOOD));
    }
    const d = await scene.ended(id, "succeeded", 60_000);

    expect(stageStatuses(d)).toEqual([
      "deploy succeeded",
      "health-check succeeded",
      "canary-25% succeeded",
      "canary-50% succeeded",
      "canary-100% succeeded",
    ]);
    // Each hold and the monitoring window were analysed, compared with the stable version, and passed.
    const analysed = (d.analyses ?? []).map((a) => `${a.stageIndex} ${a.weight ?? "-"} ${a.verdict.outcome}`);
    expect(analysed).toEqual(["3 25 pass", "4 50 pass", "-1 100 pass"]);
    for (const record of d.analyses ?? []) {
      // Against the stable version while it serves; after promotion, against absolute limits.
      expect(record.verdict.baseline?.version).toBe(record.stageIndex === -1 ? undefined : INITIAL);
      const statuses = Object.fromEntries(record.verdict.checks.map((c) => [c.name, c.status]));
      expect(statuses).toEqual({
        traffic: "pass",
        errorRate: "pass",
        // Latency is compared with the baseline, so there is none to compare with after promotion.
        latency: record.stageIndex === -1 ? "skipped" : "pass",
        health: "pass",
        memory: "pass",
        cpu: "pass",
      });
    }
    expect(d.incident).toBeUndefined();

    // The thread holds a metric snapshot per analysed step, with observed value, baseline and limit.
    const step = await rig.analysisReply(id, [/After canary-25% \(25% of traffic\)/, /✅ \*pass\*/]);
    const stepText = scene.slack.textOf(step);
    expect(stepText).toMatch(/✅ traffic \d+ requests in 10s/);
    expect(stepText).toMatch(/✅ error rate [\d.]+% vs baseline [\d.]+% \(limit: baseline \+ 5 points = [\d.]+%\)/);
    expect(stepText).toMatch(/✅ p95 latency [\d.]+ms vs baseline [\d.]+ms \(limit: 2× baseline = [\d.]+ms\)/);
    await rig.analysisReply(id, [/After canary-50% \(50% of traffic\)/, /✅ \*pass\*/]);
    await rig.analysisReply(id, [/Post-deployment monitoring/, /✅ \*pass\*/]);
    // The root message's dashboard showed errors vs baseline, response time vs target, and traffic.
    const history = await scene.rootHistory(id);
    expect(
      history.some((t) => /\*Errors:\* [\d.]+% \(baseline: [\d.]+%\)/.test(t)),
      history.join("\n---\n"),
    ).toBe(true);
    expect(history.some((t) => /\*Response:\* [\d.]+ms \(target: <[\d.]+ms, 2× baseline\)/.test(t))).toBe(true);
    expect(history.some((t) => /\*Traffic:\* [\d.]+ req\/s \(new version: [\d.]+ req\/s\)/.test(t))).toBe(true);

    // The good version serves everything; no alert was raised.
    const promoted = await watch.waitFor(`${GOOD} stable`, (s) => s.weight === 0 && s.stable.every((v) => v === GOOD));
    expect(promoted.candidate).toEqual([]);
    expect(await versionsServing(stack.url, 12)).toEqual({ [GOOD]: 12 });
    expect((await stack.state()).counters[GOOD]?.["500"]).toBeUndefined();
    expect(scene.slack.messages(INCIDENTS).filter((m) => scene.slack.textOf(m).includes(id))).toEqual([]);
    expect(await rig.lastSucceeded()).toBe(GOOD);
  }, 120_000);

  it("rolls back a version answering 20% errors, alerts the incident channel, and records who acknowledged", async () => {
    await rig.ensureGood(GOOD);
    const { scene } = rig;
    const { id, d } = await rolledBack(rig, BAD, GOOD);

    // The error-rate trigger tripped: observed vs baseline vs threshold, the same numbers everywhere.
    const check = failedCheck(d, "errorRate");
    const { observed, baseline, threshold } = numbers(check);
    expect(observed).toBeGreaterThan(threshold);
    expect(baseline).toBeLessThan(1);
    expect(threshold).toBeCloseTo(baseline + 5, 9);
    const words = `error rate ${formatPercent(observed)} vs baseline ${formatPercent(baseline)} (limit: baseline + 5 points = ${formatPercent(threshold)})`;
    expect(check.text).toBe(words);
    expect(d.incident?.summary).toContain(words);

    const alert = await incidentAlert(rig, d, GOOD);
    expect(scene.slack.textOf(alert)).toContain(words);
    const step = await rig.analysisReply(id, [/🚨 \*fail\*/]);
    expect(scene.slack.textOf(step)).toContain(`❌ ${words}`);
    const root = scene.slack.textOf(await scene.chat.rootOf(id, /\*Rolled back\*/));
    expect(root).toContain(`*Rollback:* automatic rollback: rollback triggered: ${words}`);

    // Acknowledge records who, once; the alert then says so and loses its button.
    expect(await rig.clickAlert(alert, ONCALL, ACTION_IDS.acknowledge)).toBe(`Acknowledged the incident of \`${id}\`.`);
    const acknowledged = await rig.incidentAlert(id, /Acknowledged by <@U0ONCALL01>/);
    expect(buttonsOf(acknowledged).map((b) => b.action_id)).toEqual([ACTION_IDS.openThread]);
    const stored = await rig.deployment(id);
    expect(stored.incident?.acknowledgedBy).toBe(ONCALL);
    expect(stored.incident?.acknowledgedAt).toBeGreaterThanOrEqual(stored.incident?.at ?? Number.POSITIVE_INFINITY);
    expect(await rig.clickAlert(acknowledged, DEPLOYER, ACTION_IDS.acknowledge, id)).toBe(
      `Already acknowledged by <@${ONCALL}>.`,
    );
    expect((await rig.deployment(id)).incident?.acknowledgedBy).toBe(ONCALL);
  }, 90_000);

  it("rolls back a version three times as slow as the stable one", async () => {
    await rig.ensureGood(GOOD);
    const { id, d } = await rolledBack(rig, SLOW, GOOD);

    const check = failedCheck(d, "latency");
    const { observed, baseline, threshold } = numbers(check);
    expect(observed).toBeGreaterThan(threshold);
    expect(threshold).toBeCloseTo(baseline * 2, 6);
    const words = `p95 latency ${formatMilliseconds(observed)} vs baseline ${formatMilliseconds(baseline)} (limit: 2× baseline = ${formatMilliseconds(threshold)})`;
    expect(check.text).toBe(words);
    // Slow, not failing: the error rate stayed within its limit.
    const errors = (d.analyses ?? []).at(-1)?.verdict.checks.find((c) => c.name === "errorRate");
    expect(errors?.status).toBe("pass");

    const alert = await incidentAlert(rig, d, GOOD);
    expect(rig.scene.slack.textOf(alert)).toContain(words);
    expect(rig.scene.slack.textOf(await rig.analysisReply(id, [/🚨 \*fail\*/]))).toContain(`❌ ${words}`);
  }, 90_000);

  it("pauses and never promotes when the canary gets no traffic, saying what was missing", async () => {
    await rig.ensureGood(GOOD);
    const { scene, watch } = rig;
    await rig.stopLoad();
    const id = await rig.deploy(QUIET);
    const paused = await scene.until(id, "paused by Slipway", (d) => d.paused !== undefined, 30_000);
    const at25 = await watch.waitFor(`${QUIET} at 25%`, (s) => s.weight === 25 && s.candidate.includes(QUIET));

    expect(paused.paused?.by).toBe("slipway");
    expect(paused.paused?.reason).toMatch(
      new RegExp(`^inconclusive analysis: inconclusive, not promoting: traffic of ${QUIET} unknown`),
    );
    expect(paused.state).toBe("running");
    expect(paused.incident).toBeUndefined();
    // Missing data was looked at again through the hold, and paused the rollout only when the hold was over.
    expect(paused.analyses?.at(-1)?.rounds).toBeGreaterThan(1);
    expect(paused.paused?.at).toBeGreaterThanOrEqual(paused.holdUntil ?? Number.POSITIVE_INFINITY);
    const verdict = paused.analyses?.at(-1)?.verdict;
    expect(verdict?.outcome).toBe("inconclusive");
    expect(verdict?.missing.some((m) => m.startsWith(`canary ${QUIET} requestRate: no data`))).toBe(true);

    // The thread says the analysis was inconclusive, what was missing, and that nothing is promoted.
    const reply = await rig.analysisReply(id, [/❔ \*inconclusive\*/, /Not promoted on missing data/]);
    const text = scene.slack.textOf(reply);
    expect(text).toContain("After canary-25% (25% of traffic)");
    expect(text).toContain(`❔ traffic of ${QUIET} unknown: no request count or rate`);
    expect(text).toMatch(new RegExp(`Missing: canary ${QUIET.replaceAll(".", "\\.")} requestRate: no data`));
    const root = scene.slack.textOf(await scene.chat.rootOf(id, /\*Paused because:\* inconclusive analysis: /));
    expect(root).toMatch(/⏸️ paused by/);
    expect(root).toContain("[Resume]");
    expect(scene.slack.messages(INCIDENTS).filter((m) => scene.slack.textOf(m).includes(id))).toEqual([]);

    // Nothing is scheduled to move it on, and the hold runs out without a promotion.
    expect(await rig.pendingSteps(id)).toEqual([]);
    const holdEnd = (paused.holdUntil ?? paused.updatedAt) + 1_000;
    await watch.waitFor("the hold to run out", (s) => s.at > holdEnd);
    const since = watch.snapshots.filter((s) => s.at >= at25.at);
    expect(since.every((s) => s.weight === 25 && s.candidate.join() === QUIET)).toBe(true);
    const still = await rig.deployment(id);
    expect(still.paused?.by).toBe("slipway");
    expect(stageStatuses(still).slice(3)).toEqual(["canary-50% pending", "canary-100% pending"]);
    expect(promotedAt(watch.snapshots, QUIET)).toBeUndefined();

    // Someone ends it: Abort brings traffic back to the good version.
    await scene.clickControl(id, ONCALL, ACTION_IDS.abort);
    await scene.ended(id, "rolled_back");
    await watch.waitFor("traffic back on stable", (s) => s.weight === 0 && s.candidate.length === 0);
    await rig.startLoad();
  }, 90_000);

  it("/rollback after a success deploys the previous good version again", async () => {
    await rig.ensureHistory([INITIAL, GOOD]);
    const { scene, watch, stack } = rig;
    const answer = await rig.command(ONCALL, "/rollback", `${ENVIRONMENT} ${SERVICE}`);
    expect(answer).toMatch(
      new RegExp(
        `^Rolling ${SERVICE} ${ENVIRONMENT} back from ${GOOD.replaceAll(".", "\\.")} to ${INITIAL.replaceAll(".", "\\.")} as \`d-[a-z0-9]+\`\\. Follow it in <#${CHANNEL}>\\.$`,
      ),
    );
    const id = deploymentIdIn(answer);
    const d = await scene.ended(id, "succeeded", 45_000);
    expect(d.version).toBe(INITIAL);
    expect(d.rollbackOf).toBe(GOOD);
    expect(d.requestedBy).toBe(ONCALL);

    // The router's stable pool runs the previous version again, and it serves everything.
    const back = await watch.waitFor(
      `${INITIAL} stable`,
      (s) => s.weight === 0 && s.stable.every((v) => v === INITIAL),
    );
    expect(back.candidate).toEqual([]);
    expect(await versionsServing(stack.url, 12)).toEqual({ [INITIAL]: 12 });
    // The version rolled back from is no longer a way back; the only good one left is live.
    expect(await rig.command(ONCALL, "/rollback", `${ENVIRONMENT} ${SERVICE}`)).toBe(
      `${SERVICE} ${ENVIRONMENT} has had only one good version (${INITIAL}); there is no earlier one to roll back to. Deploy a fix instead, or name a version: \`/rollback ${ENVIRONMENT} ${SERVICE} v1.2.3\`.`,
    );
  }, 90_000);

  it("refuses /rollback where nothing succeeded before, saying why", async () => {
    expect(await rig.command(ONCALL, "/rollback", `${ENVIRONMENT} ${UNDEPLOYED}`)).toBe(
      `${UNDEPLOYED} has no successful deployment in ${ENVIRONMENT} yet, so there is nothing to roll back to.`,
    );
    const id = await rig.scene.deploy(DEPLOYER, "C0CHECKOUT", `${ENVIRONMENT} v2.0.0 ${UNDEPLOYED}`);
    await rig.scene.ended(id, "succeeded");
    expect(await rig.command(ONCALL, "/rollback", `${ENVIRONMENT} ${UNDEPLOYED}`)).toBe(
      `${UNDEPLOYED} ${ENVIRONMENT} has had only one good version (v2.0.0); there is no earlier one to roll back to. Deploy a fix instead, or name a version: \`/rollback ${ENVIRONMENT} ${UNDEPLOYED} v1.2.3\`.`,
    );
  }, 60_000);

  it("/rollback during the monitoring window takes traffic back to the previous version", async () => {
    await rig.ensureGood(INITIAL);
    const { scene, watch, stack } = rig;
    const id = await rig.deploy(NEWER, "--strategy=all-at-once");
    await scene.until(id, "monitoring", (d) => d.state === "monitoring", 30_000);
    const answer = await rig.command(ONCALL, "/rollback", `${ENVIRONMENT} ${SERVICE}`);
    expect(answer).toBe(`Rolling back \`${id}\` (${NEWER}) to ${INITIAL}. Follow it in its thread.`);
    const d = await scene.until(id, "to end", (x) => x.finishedAt !== undefined, 45_000);
    expect(
      { state: d.state, failureReason: d.failureReason, actions: d.rollback?.actions.map((a) => `${a.name} ${a.ok}`) },
      d.rollback?.actions.map((a) => a.output).join("\n"),
    ).toEqual({ state: "rolled_back", failureReason: undefined, actions: ["rollback true"] });
    await watch.waitFor(`${INITIAL} stable again`, (s) => s.weight === 0 && s.stable.every((v) => v === INITIAL));
    expect(await versionsServing(stack.url, 12)).toEqual({ [INITIAL]: 12 });
  }, 90_000);
});

/* The scrape source ---------------------------------------------------------- */

describe("canary analysis with the scrape source, through the router", () => {
  let rig: AnalysisRig | undefined;

  afterEach(async () => {
    const running = rig;
    rig = undefined;
    if (!running) return;
    await running.settle().catch(() => undefined);
    const code = await running.close();
    expect(code, running.scene.slipway.describe()).toBe(0);
  }, 60_000);

  it("promotes a good version, each step and the monitoring window analysed against the stable one", async () => {
    // Monitoring lasts three analyses, so it is judged also after the stable version stopped taking traffic.
    // The manifest sets an absolute p95 limit: the dashboard's response-time target.
    rig = await AnalysisRig.start({
      label: "e2e-analysis-scrape-good",
      source: "scrape",
      monitorSeconds: 6,
      triggers: "{ latencyMaxMs: 500 }",
    });
    await rig.ensureGood(INITIAL);
    const id = await rig.deploy(GOOD);
    const d = await rig.scene.until(id, "to end or pause", (x) => x.finishedAt !== undefined || !!x.paused, 60_000);
    expect({ state: d.state, paused: d.paused?.reason }).toEqual({ state: "succeeded", paused: undefined });
    const analysed = (d.analyses ?? []).map((a) => `${a.stageIndex} ${a.verdict.outcome}`);
    expect(analysed).toEqual(["3 pass", "4 pass", "-1 pass"]);
    const step = await rig.analysisReply(id, [/After canary-25% \(25% of traffic\)/, /✅ \*pass\*/]);
    expect(rig.scene.slack.textOf(step)).toMatch(/✅ error rate [\d.]+% vs baseline [\d.]+%/);
    expect(rig.scene.slack.textOf(step)).toMatch(/✅ p95 latency [\d.]+ms vs baseline [\d.]+ms \(limit: 500ms\)/);
    const history = await rig.scene.rootHistory(id);
    expect(
      history.some((t) => /\*Response:\* [\d.]+ms \(target: <500ms\)/.test(t)),
      history.join("\n---\n"),
    ).toBe(true);
    await rig.watch.waitFor(`${GOOD} stable`, (s) => s.weight === 0 && s.stable.every((v) => v === GOOD));
    expect(await versionsServing(rig.stack.url, 12)).toEqual({ [GOOD]: 12 });
  }, 120_000);

  it("rolls back a version answering 20% errors, alerts the incident channel, and keeps the incident record with its timeline in the alert's thread", async () => {
    rig = await AnalysisRig.start({ label: "e2e-analysis-scrape-bad", source: "scrape" });
    await rig.ensureGood(GOOD);
    const { d } = await rolledBack(rig, BAD, GOOD);
    const check = failedCheck(d, "errorRate");
    const { observed, threshold } = numbers(check);
    expect(observed).toBeGreaterThan(threshold);
    const alert = await incidentAlert(rig, d, GOOD);
    expect(rig.scene.slack.textOf(alert)).toContain(check.text);

    // The incident record, in the alert's thread: the timeline from the first bad sample to the validation,
    // completed by the acknowledgement; the deployment's record links it.
    const incidentRecord = (pattern: RegExp) =>
      rig?.scene.slack.waitForMessage(
        (m) => m.channel === INCIDENTS && m.threadTs === alert.ts && pattern.test(rig?.scene.slack.textOf(m) ?? ""),
      );
    const timeline = rig.scene.slack.textOf((await incidentRecord(/Post-rollback validation passed/)) ?? { text: "" });
    expect(timeline).toContain(`📝 *Incident record* — ${SERVICE} ${BAD} → ${ENVIRONMENT}`);
    expect(timeline).toContain(`*What happened:* ${d.incident?.summary}`);
    expect(timeline).toMatch(
      new RegExp(
        [
          "• <!date[^>]+> First bad sample: rollback triggered: error rate [^\\n]+",
          "• <!date[^>]+> Rollback started by Slipway: automatic rollback: rollback triggered: [^\\n]+",
          `• <!date[^>]+> Traffic back on the stable version ${GOOD.replaceAll(".", "\\.")}`,
          "• <!date[^>]+> Post-rollback validation passed \\(5/5\\)",
          "• — Acknowledgement: not yet",
        ].join("\n"),
      ),
    );
    await rig.clickAlert(alert, ONCALL, ACTION_IDS.acknowledge);
    await incidentRecord(new RegExp(`• <!date[^>]+> Acknowledged by <@${ONCALL}>`));
    await rig.scene.chat.replyOf(d.id, [/\*Deployment record\*/, /Incident: automatic rollback .*\|incident record>/]);

    // The post-rollback validation, item by item with its evidence, and whether it passed, in the root and summary.
    expect(d.rollback?.checklist?.map((i) => `${i.id} ${i.status}`)).toEqual([
      "previous-version-running passed",
      "services-healthy passed",
      "performance-normal passed",
      "no-data-corruption passed",
      "users-can-access passed",
    ]);
    const { chat, slack } = rig.scene;
    const validation = slack.textOf(await chat.replyOf(d.id, [/🩺 \*Post-rollback validation\* — ✅ passed \(5\/5\)/]));
    expect(validation).toContain("*Rollback validation*");
    expect(validation).toContain(
      `✅ Previous version running — exit 0: stable: 3/3 instances on ${GOOD} (${GOOD}); 0% to a canary`,
    );
    expect(validation).toContain(`✅ All services healthy — exit 0: checking health of ${SERVICE} ${GOOD}`);
    expect(validation).toContain("3/3 instances healthy");
    expect(validation).toContain("✅ Performance normal — 145 ≤ 200");
    expect(validation).toContain(
      "✅ No data corruption — exit 0: row counts and checksums match the pre-deployment backup",
    );
    expect(validation).toMatch(
      /✅ Users can access system — exit 0: GET http:\/\/127\.0\.0\.1:\d+\/ × 5: 200 200 200 200 200/,
    );
    expect(slack.textOf(await chat.rootOf(d.id, /\*Rolled back\*/))).toContain(
      "*Post-rollback validation:* ✅ passed (5/5)",
    );
    expect(slack.textOf(await chat.replyOf(d.id, [/Deployment rolled back/]))).toContain(
      "Post-rollback validation: ✅ passed (5/5)",
    );
  }, 90_000);
});

/* Every seed trigger ------------------------------------------------------- */

describe("the seed's other triggers with the scrape source: health, memory, sustained CPU", () => {
  // No health-check stage: an unhealthy canary gets its traffic, and the analysis's health check catches it.
  // CPU must stay above 80% for 8s (four analyses 2s apart) to trip. The latency trigger is off, so that each
  // version is judged by the trigger it is made to trip (a leak's allocations also slow it down).
  const shared = sharedRig({
    label: "e2e-analysis-triggers",
    source: "scrape",
    holdSeconds: 12,
    healthStage: false,
    triggers: "{ cpuSustained: 8s, latencyFactor: false }",
  });
  let rig: AnalysisRig;
  beforeEach(() => {
    rig = shared();
  });

  /** The tripped check's words are in the analysis reply (❌) and in the alert. */
  async function shownEverywhere(id: string, d: Deployment, name: Check["name"]): Promise<Check> {
    const check = failedCheck(d, name);
    expect(d.incident?.summary).toContain(check.text);
    const alert = await incidentAlert(rig, d, GOOD);
    expect(rig.scene.slack.textOf(alert)).toContain(check.text);
    expect(rig.scene.slack.textOf(await rig.analysisReply(id, [/🚨 \*fail\*/]))).toContain(`❌ ${check.text}`);
    return check;
  }

  it("rolls back a version whose health check fails once it has traffic", async () => {
    await rig.ensureGood(GOOD);
    const version = "v1.5.0-unhealthy";
    const { id, d } = await rolledBack(rig, version, GOOD);
    const check = await shownEverywhere(id, d, "health");
    expect({ observed: check.observed, threshold: check.threshold }).toEqual({ observed: 0, threshold: 1 });
    expect(check.text).toBe(
      `health checks failing: health check failed: 1/1 unhealthy (${version} instance 1) (rule: every health check passes)`,
    );
  }, 90_000);

  it("rolls back a version whose memory passes 90% of its limit", async () => {
    await rig.ensureGood(GOOD);
    const { id, d } = await rolledBack(rig, "v1.5.1-leak", GOOD);
    const check = await shownEverywhere(id, d, "memory");
    const { observed, baseline, threshold } = numbers(check);
    expect(threshold).toBe(90);
    expect(observed).toBeGreaterThan(90);
    expect(baseline).toBeLessThan(90);
    expect(check.text).toBe(
      `memory ${formatPercent(observed)} of its limit vs baseline ${formatPercent(baseline)} (limit: 90%)`,
    );
  }, 90_000);

  it("rolls back a version whose CPU stays above 80% for the sustained period", async () => {
    await rig.ensureGood(GOOD);
    const { id, d } = await rolledBack(rig, "v1.5.2-cpu", GOOD);
    const check = await shownEverywhere(id, d, "cpu");
    const { observed, baseline, threshold } = numbers(check);
    expect(threshold).toBe(80);
    expect(observed).toBeGreaterThan(80);
    expect(baseline).toBeLessThan(80);
    const [before, after] = [
      `CPU ${formatPercent(observed)} vs baseline ${formatPercent(baseline)}, above 80% for `,
      " (limit: 80% sustained for 8s)",
    ];
    expect(check.text.startsWith(before) && check.text.endsWith(after), check.text).toBe(true);
    // It tripped only once CPU had been above the limit for the whole sustained period.
    const lasted = /above 80% for (\d+)s/.exec(check.text)?.[1];
    expect(Number(lasted)).toBeGreaterThanOrEqual(8);
  }, 90_000);

  it("does not roll back a CPU spike shorter than the sustained period", async () => {
    await rig.ensureGood(GOOD);
    const version = "v1.5.3-spike";
    const id = await rig.deploy(version);
    // Every analysis's CPU readings, as the deployment keeps them for the sustained window.
    const seen = new Map<number, number>();
    const d = await rig.scene.until(
      id,
      "to end",
      (x) => {
        for (const s of x.canaryHistory ?? []) if (s.cpu !== undefined) seen.set(s.at, s.cpu);
        return x.finishedAt !== undefined;
      },
      90_000,
    );
    expect({ state: d.state, incident: d.incident?.summary }).toEqual({ state: "succeeded", incident: undefined });
    // The spike was seen above 80%, and passed before it lasted 8s.
    expect(
      [...seen.values()].some((cpu) => cpu > 0.8),
      JSON.stringify([...seen]),
    ).toBe(true);
    expect(d.analyses?.every((a) => a.verdict.checks.find((c) => c.name === "cpu")?.status === "pass")).toBe(true);
    await rig.watch.waitFor(`${version} stable`, (s) => s.weight === 0 && s.stable.every((v) => v === version));
  }, 120_000);
});

/* Business metrics ----------------------------------------------------------- */

describe("the service's own metrics with the scrape source, and the two monitoring windows", () => {
  // The example's metrics.custom: p50, p99 and active users are shown only, the conversion rate (conversions per
  // visit) rolls back below 10% or half the stable version's. After 100% the immediate window (4s, every 2s)
  // leaves active users and conversion rate to the extended window (30s, every 4s), which watches the succeeded
  // deployment with production free.
  const EXTENDED_INTERVAL_MS = 4_000;
  const shared = sharedRig({
    label: "e2e-analysis-business",
    source: "scrape",
    holdSeconds: 12,
    businessMetrics: true,
    extended: { seconds: 30, intervalSeconds: EXTENDED_INTERVAL_MS / 1000 },
  });
  let rig: AnalysisRig;
  beforeEach(() => {
    rig = shared();
  });

  /** The conversion-rate check of the deployment's latest failed analysis, and that verdict. */
  function conversionFailure(d: Deployment) {
    const record = (d.analyses ?? []).filter((a) => a.verdict.outcome === "fail").at(-1);
    const check = record?.verdict.checks.find((c) => c.metric === "conversion-rate");
    if (!record || !check)
      throw new Error(`${d.id} has no failed conversion-rate check: ${JSON.stringify(d.analyses)}`);
    expect(check.status).toBe("fail");
    expect(record.verdict.checks.filter((c) => c.status === "fail").map((c) => c.metric ?? c.name)).toEqual([
      "conversion-rate",
    ]);
    return { record, check };
  }

  /** Roll back offered on the root: the abort control while monitoring, the /rollback button once succeeded. */
  const rollBackOffered = (root: StoredMessage) =>
    buttonsOf(root).some(
      (b) => (b.action_id === ACTION_IDS.abort || b.action_id === ACTION_IDS.rollBack) && b.text?.text === "Roll back",
    );

  /** The deployment once its extended window has ended. */
  const watchEnded = (id: string, timeoutMs = 60_000) =>
    rig.scene.until(id, "its extended window to end", (x) => x.extendedWatch?.ended !== undefined, timeoutMs);

  it("rolls back a canary whose conversion rate falls, with observed value, limit and rule in the thread and the alert", async () => {
    await rig.ensureGood(GOOD);
    const { id, d } = await rolledBack(rig, "v1.6.0-noconvert", GOOD);
    const { record, check } = conversionFailure(d);
    // 1 visit in 20 converts on the canary, 3 in 10 on the stable version.
    const { observed, baseline, threshold } = numbers(check);
    expect(observed).toBeLessThan(threshold);
    expect(baseline).toBeGreaterThan(20);
    expect(threshold).toBe(10);
    expect(check.text).toBe(
      `conversion rate ${formatPercent(observed)} vs baseline ${formatPercent(baseline)} (limit: ≥ 10%)`,
    );
    // The shown-only metrics are beside it, saying so.
    expect(
      record.verdict.checks.filter((c) => c.advisory).map((c) => [c.metric, c.text.endsWith(" — dashboard only")]),
    ).toEqual([
      ["p50", true],
      ["p99", true],
      ["active-users", true],
    ]);
    expect(d.incident?.summary).toContain(check.text);
    const alert = await incidentAlert(rig, d, GOOD);
    expect(rig.scene.slack.textOf(alert)).toContain(check.text);
    const reply = rig.scene.slack.textOf(await rig.analysisReply(id, [/🚨 \*fail\*/]));
    expect(reply).toContain(`❌ ${check.text}`);
    expect(reply).toMatch(/p99 latency \d+(\.\d+)?ms/);
    expect(reply).toMatch(/active users \d+/);
  }, 90_000);

  it("holds production through the immediate window, then has succeeded and its extended window watches it with production free", async () => {
    await rig.ensureGood(GOOD);
    const id = await rig.deploy("v1.6.1", "--strategy=all-at-once");
    const immediate = await rig.scene.chat.rootOf(id, /Monitoring:\* immediate window until .+, then extended until /);
    expect(rollBackOffered(immediate)).toBe(true);
    expect(await rig.activeId()).toBe(id);
    const d = await rig.scene.ended(id, "succeeded", 30_000);
    expect(d.extendedWatch?.until).toBeGreaterThan(d.finishedAt ?? 0);
    const extended = await rig.scene.chat.rootOf(
      id,
      new RegExp(`Monitoring:\\* extended window until .+; ${ENVIRONMENT} is free for the next deployment`),
    );
    expect(rollBackOffered(extended)).toBe(true);
    // Holding nothing, it is still listed as watched, until when, linked to its thread: in /deploy status and Home.
    const watchedLine = `👀 \`${id}\` ${SERVICE} v1.6.1 → ${ENVIRONMENT} — succeeded, watched until ${slackTime(d.extendedWatch?.until ?? 0)} · <${permalink(CHANNEL, extended.ts)}|thread>`;
    const status = () => rig.scene.chat.command(DEPLOYER, CHANNEL, "/deploy", `status ${SERVICE} ${ENVIRONMENT}`);
    const listed = await status();
    expect(listed).toContain("*Watching after success (1)*");
    expect(listed).toContain(watchedLine);
    expect(await rig.scene.openHome(ONCALL)).toContain(JSON.stringify(watchedLine).slice(1, -1));
    // The deployment record was written as it succeeded, not an extended window later.
    await rig.scene.chat.replyOf(id, [/Deployment succeeded/]);
    const watched = await watchEnded(id);
    expect(watched.extendedWatch?.ended?.outcome).toBe("passed");
    // Its watch over, it is no longer listed as watched.
    expect(await status()).not.toContain(`👀 \`${id}\``);
    expect(watched.incident).toBeUndefined();
    await rig.scene.chat.rootOf(id, /Extended window:\* ✅ passed/);
    const reply = rig.scene.slack.textOf(await rig.analysisReply(id, [/Extended window/, /✅ \*pass\*/]));
    expect(reply).toMatch(/conversion rate [\d.]+%/);
    // Immediate rounds every 2s, then extended ones every 4s (the last one cut short by the window's end).
    const immediateDelays = await rig.analysisDelays(id, -1);
    expect(immediateDelays.length, JSON.stringify(immediateDelays)).toBeGreaterThan(0);
    expect(immediateDelays.every((delay) => delay <= rig.intervalMs)).toBe(true);
    const extendedDelays = await rig.analysisDelays(id, -2);
    expect(
      extendedDelays.filter((delay) => delay === EXTENDED_INTERVAL_MS).length,
      JSON.stringify(extendedDelays),
    ).toBeGreaterThan(1);
    expect(extendedDelays.every((delay) => delay <= EXTENDED_INTERVAL_MS)).toBe(true);
  }, 120_000);

  it("rolls back in the extended window, as Slipway, a succeeded version whose conversion rate falls", async () => {
    await rig.ensureGood(GOOD);
    const version = "v1.6.2-noconvert";
    const id = await rig.deploy(version, "--strategy=all-at-once");
    await rig.scene.chat.rootOf(id, /Monitoring:\* immediate window until /);
    // The immediate window leaves the conversion rate to the extended one: the deployment succeeds.
    await rig.scene.ended(id, "succeeded", 45_000);
    const d = await rig.scene.until(
      id,
      "its extended window to trip and ask for the rollback",
      (x) => x.extendedWatch?.ended?.outcome === "tripped" && x.extendedWatch.ended.rollback !== undefined,
      45_000,
    );
    const trip = d.extendedWatch?.ended;
    if (trip?.outcome !== "tripped") throw new Error(`not tripped: ${JSON.stringify(d.extendedWatch)}`);
    expect(trip.rollback).toEqual({ started: true, deploymentId: trip.rollbackId, to: GOOD });
    const { record, check } = conversionFailure(d);
    // Tripped after the deployment succeeded, judging the extended window's own metrics only.
    expect(record.stageIndex).toBe(-2);
    expect(record.at).toBeGreaterThanOrEqual(d.finishedAt ?? Number.POSITIVE_INFINITY);
    expect(record.verdict.checks.map((c) => c.metric ?? c.name)).toEqual([
      "traffic",
      "active-users",
      "conversion-rate",
    ]);
    const { observed } = check;
    expect(observed).toBeLessThan(10);
    expect(check.text).toBe(`conversion rate ${formatPercent(observed ?? 0)} (limit: ≥ 10%)`);
    expect(trip.summary).toContain(check.text);

    // The rollback: a /rollback deployment asked for by Slipway, carrying what tripped, back on the good version.
    const back = await rig.scene.ended(trip.rollbackId, "succeeded", 45_000);
    expect(back).toMatchObject({ rollbackOf: version, version: GOOD, source: "slipway", requestedBy: "slipway" });
    expect(back.incident?.summary).toBe(trip.summary);
    expect(back.incident?.trafficRestoredMs).toBeGreaterThanOrEqual(0);
    await rig.watch.waitFor(`${GOOD} back`, (s) => s.stable.every((v) => v === GOOD));

    // Said in the watched deployment's root and thread, and alerted once in the incident channel.
    const root = rig.scene.slack.textOf(
      await rig.scene.chat.rootOf(id, new RegExp(`Extended window:\\* 🚨 tripped .+ in \`${trip.rollbackId}\``)),
    );
    expect(root).toContain(check.text);
    expect(root).toContain(`Slipway rolls it back to ${GOOD}`);
    const reply = rig.scene.slack.textOf(await rig.analysisReply(id, [/Extended window/, /🚨 \*fail\*/]));
    expect(reply).toContain(`❌ ${check.text}`);
    const alert = rig.scene.slack.textOf(
      await rig.incidentAlert(trip.rollbackId, new RegExp(`back on ${GOOD.replaceAll(".", "\\.")}`)),
    );
    expect(alert).toContain(`*automatic rollback of ${SERVICE} ${version} → ${ENVIRONMENT}*`);
    expect(alert).toContain(`*What tripped:* ${trip.summary}`);
    expect(alert).toMatch(/\*Traffic back on stable in:\* \d/);
    const alerts = rig.scene.slack
      .messages(INCIDENTS)
      .filter((m) => m.threadTs === undefined && rig.scene.slack.textOf(m).includes(version));
    expect(alerts).toHaveLength(1);
  }, 120_000);

  it("ends the extended window of a version once a newer deployment has replaced it", async () => {
    await rig.ensureGood(GOOD);
    const first = await rig.deploy("v1.6.3", "--strategy=all-at-once");
    await rig.scene.ended(first, "succeeded", 45_000);
    await rig.scene.chat.rootOf(first, /Monitoring:\* extended window until /);
    // Production is free: the next deployment starts at once, not queued or refused busy.
    const second = await rig.deploy("v1.6.4", "--strategy=all-at-once");
    expect(await rig.activeId()).toBe(second);
    const watched = await watchEnded(first);
    expect(watched.extendedWatch?.ended).toMatchObject({ outcome: "superseded", by: second });
    await rig.scene.chat.rootOf(
      first,
      new RegExp(`Extended window:\\* ended .+\`${second}\` has since changed what runs here`),
    );
    await rig.scene.ended(second, "succeeded", 45_000);
  }, 120_000);
});

/* Blue-green and rolling --------------------------------------------------- */

describe("analysis after a blue-green switch and each rolling step, with the scrape source", () => {
  const shared = sharedRig({ label: "e2e-analysis-strategies", source: "scrape" });
  let rig: AnalysisRig;
  beforeEach(() => {
    rig = shared();
  });

  it("rolls a good version instance by instance, each one analysed against the instances not yet updated", async () => {
    await rig.ensureGood(GOOD);
    const id = await rig.deploy(NEWER, "--strategy=rolling");
    const d = await rig.scene.ended(id, "succeeded", 60_000);
    const verified = d.stages.flatMap((s, i) => (s.name.startsWith("verify-") ? [i + 1] : []));
    expect(verified).toHaveLength(3);
    // Every rolling step was analysed; while old instances still served, against them.
    const rounds = (d.analyses ?? []).filter((a) => verified.includes(a.stageIndex));
    expect(rounds.map((a) => `${a.stageIndex} ${a.verdict.outcome} ${a.verdict.baseline?.version ?? "-"}`)).toEqual([
      `${verified[0]} pass ${GOOD}`,
      `${verified[1]} pass ${GOOD}`,
      `${verified[2]} pass -`,
    ]);
    await rig.analysisReply(id, [/After verify-1-of-3/, /✅ \*pass\*/, /vs baseline/]);
    expect(await versionsServing(rig.stack.url, 12)).toEqual({ [NEWER]: 12 });
  }, 120_000);

  it("stops a rolling update at the first instance whose errors trip the analysis, and rolls it back", async () => {
    await rig.ensureGood(GOOD);
    const id = await rig.deploy(BAD, "--strategy=rolling");
    const d = await rig.scene.ended(id, "rolled_back", 60_000);
    expect(stageStatuses(d).slice(0, 3)).toEqual([
      "deploy-1-of-3 succeeded",
      "verify-1-of-3 succeeded",
      "deploy-2-of-3 pending",
    ]);
    // Judged against the two instances still on the good version.
    const check = failedCheck(d, "errorRate");
    expect(numbers(check).baseline).toBeLessThan(5);
    expect(check.text).toContain(`vs baseline`);
    expect(d.rollback?.actions.map((a) => `${a.name} ${a.ok}`)).toEqual(["rollback true"]);
    const state = await rig.stack.state();
    expect(state.pools.stable.map((m) => m.version)).toEqual([GOOD, GOOD, GOOD]);
    expect(await versionsServing(rig.stack.url, 12)).toEqual({ [GOOD]: 12 });
    await rig.incidentAlert(id, new RegExp(`back on ${GOOD.replaceAll(".", "\\.")}`));
  }, 120_000);

  it("rolls back a blue-green release whose errors show after the switch, while blue is still kept", async () => {
    await rig.ensureGood(GOOD);
    const id = await rig.deploy(BAD, "--strategy=blue-green");
    await rig.watch.waitFor(`${BAD} switched in`, (s) => s.stable.includes(BAD));
    const d = await rig.scene.ended(id, "rolled_back", 60_000);
    expect(stageStatuses(d).slice(-3)).toEqual([
      "switch-traffic succeeded",
      "keep-blue succeeded",
      "archive-blue pending",
    ]);
    // After the switch blue serves nothing, so green is held to the absolute limits while blue is kept.
    const failing = (d.analyses ?? []).find((a) => a.verdict.outcome === "fail");
    expect(failing?.stageIndex).toBe(d.stages.length - 1);
    expect(failing?.verdict.baseline).toBeUndefined();
    expect(numbers({ ...failedCheck(d, "errorRate"), baseline: 0 }).observed).toBeGreaterThan(5);
    await rig.watch.waitFor(`${GOOD} back`, (s) => s.stable.every((v) => v === GOOD));
    expect(await versionsServing(rig.stack.url, 12)).toEqual({ [GOOD]: 12 });
    const alert = await rig.incidentAlert(id, new RegExp(`back on ${GOOD.replaceAll(".", "\\.")}`));
    // Rolled back already: the alert does not offer it again.
    expect(buttonsOf(alert).map((b) => b.action_id)).not.toContain(ACTION_IDS.rollBack);
  }, 120_000);

  it("watches a hotfix intensively: analysed three times as often as a normal deployment", async () => {
    await rig.ensureGood(GOOD);
    const normal = await rig.deploy(NEWER, "--strategy=all-at-once");
    await rig.scene.ended(normal, "succeeded", 60_000);
    const hotfix = await rig.deploy("v1.4.1", "--strategy=all-at-once --hotfix");
    const d = await rig.scene.ended(hotfix, "succeeded", 60_000);
    expect(d.hotfix).toBe(true);
    // metrics.interval is 2s here: monitoring analyses every 2s, a hotfix's every ⅓ of that (1s at least).
    expect(Math.max(...(await rig.analysisDelays(normal, -1)))).toBe(rig.intervalMs);
    const hotfixDelays = await rig.analysisDelays(hotfix, -1);
    expect(hotfixDelays.length).toBeGreaterThan(1);
    expect(Math.max(...hotfixDelays)).toBe(1_000);
  }, 120_000);

  it("offers Roll back in the alert of a failed deployment, and it brings back the last good version", async () => {
    await rig.ensureGood(GOOD);
    const failedVersion = "v1.3.3-unhealthy";
    const id = await rig.deploy(failedVersion);
    await rig.scene.ended(id, "failed", 60_000);
    const alert = await rig.incidentAlert(id, /\*Why:\* stage health-check/);
    expect(buttonsOf(alert).find((b) => b.action_id === ACTION_IDS.rollBack)?.value).toBe(id);

    const answer = await rig.clickAlert(alert, ONCALL, ACTION_IDS.rollBack);
    const escaped = (v: string) => v.replaceAll(".", "\\.");
    expect(answer).toMatch(
      new RegExp(
        `^Rolling ${SERVICE} ${ENVIRONMENT} back from ${escaped(failedVersion)} to ${escaped(GOOD)} as \`d-[a-z0-9]+\`\\.`,
      ),
    );
    const back = await rig.scene.ended(deploymentIdIn(answer), "succeeded", 60_000);
    expect({ version: back.version, rollbackOf: back.rollbackOf }).toEqual({
      version: GOOD,
      rollbackOf: failedVersion,
    });
    expect(await versionsServing(rig.stack.url, 12)).toEqual({ [GOOD]: 12 });

    // The old alert cannot undo what came after it.
    expect(await rig.clickAlert(alert, ONCALL, ACTION_IDS.rollBack)).toBe(
      `\`${id}\` is no longer the latest deployment of ${SERVICE} ${ENVIRONMENT} (\`${back.id}\` is); use \`/rollback ${ENVIRONMENT} ${SERVICE}\` instead.`,
    );
  }, 120_000);
});

/* Blue-green in steps -------------------------------------------------------- */

describe("blue-green switched in steps, with the scrape source", () => {
  const shared = sharedRig({
    label: "e2e-analysis-bluegreen-steps",
    source: "scrape",
    blueGreen: "{ steps: [{ weight: 25, hold: 6s }, { weight: 50, hold: 6s }, { weight: 100 }], keepBlueFor: 6s }",
  });
  let rig: AnalysisRig;
  beforeEach(() => {
    rig = shared();
  });

  it("moves traffic to green step by step, analysed at each, and archives blue after the keep window", async () => {
    await rig.ensureGood(GOOD);
    const { scene, watch, stack } = rig;
    const id = await rig.deploy(NEWER, "--strategy=blue-green");
    for (const weight of [25, 50]) {
      await watch.waitFor(`green at ${weight}%`, (s) => s.weight === weight && s.candidate.includes(NEWER));
    }
    await watch.waitFor("the switch to green", (s) => s.stable.length > 0 && s.stable.every((v) => v === NEWER));
    const d = await scene.ended(id, "succeeded", 90_000);

    expect(stageStatuses(d)).toEqual([
      "deploy succeeded",
      "health-check succeeded",
      "green-25% succeeded",
      "green-50% succeeded",
      "switch-traffic succeeded",
      "keep-blue succeeded",
      "archive-blue succeeded",
    ]);
    // Each step was analysed while it held (against blue while blue served), then green alone while blue was kept.
    const analysed = (d.analyses ?? []).map(
      (a) => `${a.stageIndex} ${a.weight ?? "-"} ${a.verdict.outcome} ${a.verdict.baseline?.version ?? "-"}`,
    );
    expect(analysed).toEqual([`3 25 pass ${GOOD}`, `4 50 pass ${GOOD}`, "6 100 pass -", "-1 100 pass -"]);
    await rig.analysisReply(id, [/After green-25% \(25% of traffic\)/, /✅ \*pass\*/]);
    await rig.analysisReply(id, [/After green-50% \(50% of traffic\)/, /✅ \*pass\*/]);

    // Blue was archived only once the keep window was over: its instances are gone.
    const keep = d.stages.find((s) => s.name === "keep-blue");
    const archive = d.stages.find((s) => s.name === "archive-blue");
    expect(archive?.startedAt).toBeGreaterThanOrEqual((keep?.finishedAt ?? 0) + 6_000);
    const after = await stack.state();
    expect(after.pools.previous).toEqual([]);
    expect(after.pools.stable.map((m) => m.version)).toEqual([NEWER, NEWER, NEWER]);
    expect(await versionsServing(stack.url, 12)).toEqual({ [NEWER]: 12 });

    // The root said how much traffic each step moved to green, that blue was kept as the way back, then archived.
    const history = await scene.rootHistory(id);
    for (const weight of [25, 50]) {
      expect(
        history.some((t) => t.includes(`*Traffic on green:* ${weight}% (${NEWER}), the rest on blue (${GOOD})`)),
      ).toBe(true);
    }
    expect(history.some((t) => t.includes("Canary weight"))).toBe(false);
    expect(
      history.some((t) =>
        new RegExp(`\\*Blue:\\* ${GOOD} kept as the way back until <!date\\^\\d+\\^[^>]*>, then archived`).test(t),
      ),
    ).toBe(true);
    expect(history.at(-1)).toContain(`*Blue:* ${GOOD} archived after the keep window`);
    await scene.chat.replyOf(id, [/\*archive-blue\* succeeded in/]);
  }, 150_000);
});
