import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatMilliseconds, formatPercent } from "../../src/domain/analysis.js";
import { ACTION_IDS } from "../../src/slack/action-ids.js";
import {
  AnalysisRig,
  CHANNEL,
  DEPLOYER,
  ENVIRONMENT,
  INCIDENTS,
  INITIAL,
  ONCALL,
  SERVICE,
  UNDEPLOYED,
} from "../support/analysis-rig.js";
import {
  BAD,
  buttonsOf,
  failedCheck,
  GOOD,
  incidentAlert,
  NEWER,
  numbers,
  promotedAt,
  rolledBack,
  sharedRig,
  stageStatuses,
} from "../support/analysis-scenarios.js";
import { deploymentIdIn } from "../support/chat-ops.js";
import { findPrometheus, PROMETHEUS_SKIP_REASON } from "../support/prometheus-server.js";
import { versionsServing } from "../support/sample-stack.js";

/*
 * Canary analysis and automatic rollback end to end: `slipway all` against
 * the Slack stand-in deploys the sample service behind its router while
 * load.mjs sends steady traffic through it, and judges each canary step
 * from real metrics — a real Prometheus scraping every backend through the
 * router (GET /_admin/metrics), or Slipway's own scrape source reading
 * GET /_admin/metrics/{{version}}. The other analysis-*.test.ts files
 * cover the rollout strategies, the seed's other triggers and the service's
 * own metrics.
 *
 * The Prometheus scenarios share one stack, one Prometheus and one Slipway,
 * as one environment's history: each starts by making sure of the good
 * versions it needs (deploying them all at once when they are missing), so
 * any one of them can also run alone. Tests wait on events: the stand-in's
 * messages, and the router's and the store's state polled under a deadline.
 */

const SLOW = "v1.3.1-slow";
const QUIET = "v1.3.2";

const PROMETHEUS = findPrometheus();
if (PROMETHEUS === undefined) console.warn(`Skipping the Prometheus scenarios: ${PROMETHEUS_SKIP_REASON}`);

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
