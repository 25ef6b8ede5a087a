import { describe, expect, it } from "vitest";
import { exampleTargetYaml } from "../../src/demo/example-target.js";
import type { Deployment, StageRun } from "../../src/domain/deployment.js";
import { ACTION_IDS, flagActionId } from "../../src/slack/action-ids.js";
import { cleanupAfterEach } from "../support/cleanups.js";
import { holdingManifest } from "../support/holding-manifest.js";
import { RouterWatch } from "../support/router-watch.js";
import {
  flaggedCount,
  type Load,
  type SampleStack,
  startLoad,
  startSampleStack,
  versionsServing,
} from "../support/sample-stack.js";
import { SignedWebhook } from "../support/signed-webhook.js";
import { ROOT } from "../support/slipway-process.js";
import { SlipwayScene } from "../support/slipway-scene.js";

/*
 * Progressive delivery end to end: `slipway all` against the Slack stand-in,
 * deploying the sample service of examples/ behind its router (started per
 * test with v1.1.0 × 3), through the example target scripts. Tests wait on
 * events: the stand-in's messages, Slipway's log lines, and the router's and
 * the store's state polled under a deadline, never a fixed sleep.
 */

const DEPLOYER = "U0DEPLOY01";
const ONCALL = "U0ONCALL01";
const USERS = { [DEPLOYER]: "dana", [ONCALL]: "oncall" };
const CHANNEL = "C0STOREFRONT";
const OLD = "v1.1.0";
const NEW = "v1.2.0";
/** Traffic split tolerance, in percentage points. */
const TOLERANCE = 7;
const HOLD_MS = 2_000;

/* Manifests ---------------------------------------------------------------- */

const STOREFRONT = `service: storefront
channels:
  deploy: ${CHANNEL}
${exampleTargetYaml(ROOT, ["deploy", "setTraffic", "healthCheck", "backup", "verifyRollback", "rollback", "setFlag"])}environments:
  canary:
    strategy: canary
    approval: { required: false }
    canary:
      steps:
        - { weight: 5, hold: 2s }
        - { weight: 25, hold: 2s }
        - { weight: 50, hold: 2s }
    stages:
      - { name: verify-rollback, action: verifyRollback }
      - { name: deploy, action: deploy }
      - { name: health-check, action: healthCheck }
  steered:
    strategy: canary
    canary:
      steps:
        - { weight: 5, hold: 2s }
        - { weight: 25, hold: 2s }
        - { weight: 50, hold: 2s }
        - { weight: 75, hold: 2s }
    stages:
      - { name: deploy, action: deploy }
      - { name: health-check, action: healthCheck }
  bluegreen:
    strategy: blue-green
    blueGreen: { keepBlueFor: 2s }
    stages:
      - { name: backup, action: backup }
      - { name: deploy, action: deploy }
      - { name: health-check, action: healthCheck }
  rolling:
    strategy: rolling
    rolling: { instances: 3 }
    stages:
      - { name: deploy, action: deploy }
  flagged:
    strategy: feature-flag
    featureFlag: { flag: new-checkout, percent: 100 }
    stages:
      - { name: deploy, action: deploy }
      - { name: health-check, action: healthCheck }
`;

/* Helpers ------------------------------------------------------------------ */

function stage(d: Deployment, name: string): StageRun {
  const found = d.stages.find((s) => s.name === name);
  if (!found) throw new Error(`${d.id} has no stage ${name} (stages: ${d.stages.map((s) => s.name).join(", ")})`);
  return found;
}

/** Holding after `name`: it succeeded and the next step waits for its time. */
function holdingAfter(name: string) {
  return (d: Deployment) => stage(d, name).status === "succeeded" && d.holdUntil !== undefined && !d.abort;
}

/** Things to stop after each test, last started first. */
const cleanups = cleanupAfterEach();

/** The sample stack, Slipway pointed at it, and a watch on the router. */
async function storefront(label: string): Promise<{ stack: SampleStack; scene: SlipwayScene; watch: RouterWatch }> {
  const stack = await startSampleStack(OLD, 3);
  cleanups.push(() => stack.stop());
  const scene = await SlipwayScene.start({
    label,
    manifests: { "storefront.yaml": STOREFRONT },
    env: { SLIPWAY_EXAMPLE_ROUTER: stack.admin },
    users: USERS,
  });
  cleanups.push(async () => {
    const code = await scene.close();
    expect(code, scene.slipway.describe()).toBe(0);
  });
  const watch = RouterWatch.start(stack);
  cleanups.push(() => watch.stop());
  return { stack, scene, watch };
}

/** Load through the router, stopped after the test if it is still running. */
async function load(stack: SampleStack, watch: RouterWatch, rps: number): Promise<Load> {
  const started = await startLoad(stack.url, rps);
  let stopped = false;
  cleanups.push(async () => {
    if (!stopped) await started.stop();
  });
  await watch.waitFor("the load reaching the service", (s) => (s.counters[OLD]?.["200"] ?? 0) >= 10);
  return {
    stop() {
      stopped = true;
      return started.stop();
    },
  };
}

/* Scenarios ---------------------------------------------------------------- */

describe("progressive delivery end to end on the sample stack", () => {
  it("runs a canary 5% → 25% → 50% → 100% under load, splitting traffic as each step says", async () => {
    const { stack, scene, watch } = await storefront("e2e-canary");
    const traffic = await load(stack, watch, 60);
    const id = await scene.deploy(DEPLOYER, CHANNEL, `canary ${NEW}`);

    for (const weight of [5, 25, 50]) {
      await watch.waitFor(`${NEW} at ${weight}%`, (s) => s.weight === weight && s.candidate.includes(NEW));
    }
    const d = await scene.ended(id, "succeeded");
    const report = await traffic.stop();
    const promoted = await watch.waitFor(`${NEW} stable`, (s) => s.weight === 0 && s.stable.every((v) => v === NEW));
    await watch.stop();

    // The plan the strategy made, all done, each hold respected.
    expect(d.stages.map((s) => `${s.name} ${s.status}`)).toEqual([
      "verify-rollback succeeded",
      "deploy succeeded",
      "health-check succeeded",
      "canary-5% succeeded",
      "canary-25% succeeded",
      "canary-50% succeeded",
      "canary-100% succeeded",
    ]);
    for (const [held, next] of [
      ["canary-5%", "canary-25%"],
      ["canary-25%", "canary-50%"],
      ["canary-50%", "canary-100%"],
    ] as const) {
      const gap = (stage(d, next).startedAt ?? 0) - (stage(d, held).finishedAt ?? 0);
      expect(gap, `hold after ${held}`).toBeGreaterThanOrEqual(HOLD_MS - 50);
    }

    // At each hold the router sent the step's share of live traffic to the canary.
    const phases = watch.phases();
    for (const weight of [5, 25, 50]) {
      const phase = phases.find((p) => p.weight === weight);
      expect(phase, `a phase at ${weight}% in ${JSON.stringify(phases)}`).toBeDefined();
      if (!phase) continue;
      expect(phase.total, `requests seen at ${weight}%`).toBeGreaterThanOrEqual(40);
      const share = ((phase.byVersion[NEW] ?? 0) / phase.total) * 100;
      expect(Math.abs(share - weight), `${NEW} share at ${weight}%: ${share.toFixed(1)}%`).toBeLessThanOrEqual(
        TOLERANCE,
      );
      expect(Object.keys(phase.byVersion).sort()).toEqual([NEW, OLD].sort());
    }
    expect(watch.weights().filter((w) => w !== 0 && w !== 100)).toEqual([5, 25, 50]);

    // The new version is stable and serves everything; nobody saw an error.
    expect(promoted.candidate).toEqual([]);
    expect(await versionsServing(stack.url, 12)).toEqual({ [NEW]: 12 });
    expect(report.failed, JSON.stringify(report.failures)).toBe(0);
    expect(report.byVersion[OLD]).toBeGreaterThan(0);
    expect(report.byVersion[NEW]).toBeGreaterThan(0);

    // The root message showed the canary's weight, the next step's time and the controls while it held.
    const history = await scene.rootHistory(id);
    for (const weight of [5, 25, 50]) {
      expect(
        history.some((text) => text.includes(`*Canary weight:* ${weight}% of traffic on ${NEW}`)),
        `a root version showing ${weight}%:\n${history.join("\n---\n")}`,
      ).toBe(true);
    }
    const holding = history.filter((text) => text.includes("*Canary weight:* 25%"));
    expect(holding.some((text) => /\*Next step:\* <!date\^\d+\^/.test(text))).toBe(true);
    expect(holding.some((text) => /\[Pause\] \[Promote\] \[Abort\]/.test(text))).toBe(true);
    const final = history.at(-1) ?? "";
    expect(final).toContain("*Succeeded*");
    expect(final).toContain(`*Canary weight:* 100% of traffic on ${NEW}`);
    expect(final).not.toContain("[Abort]");
  });

  it("switches blue to green with no failed request, keeps blue for keepBlueFor, and says blue stays unarchived when the target cannot archive", async () => {
    const { stack, scene, watch } = await storefront("e2e-bluegreen");
    const traffic = await load(stack, watch, 60);
    const id = await scene.deploy(DEPLOYER, CHANNEL, `bluegreen ${NEW}`);

    const green = await watch.waitFor("green ready at 0%", (s) => s.candidate.length === 3 && s.weight === 0);
    expect(green.candidate).toEqual([NEW, NEW, NEW]);
    const switched = await watch.waitFor("the switch", (s) => s.stable.every((v) => v === NEW));
    expect(switched.stable).toHaveLength(3);
    await watch.waitFor("green serving", (s) => (s.counters[NEW]?.["200"] ?? 0) >= 20);
    const d = await scene.ended(id, "succeeded");
    const report = await traffic.stop();
    const after = await stack.state();

    expect(d.stages.map((s) => `${s.name} ${s.status}`)).toEqual([
      "backup succeeded",
      "deploy succeeded",
      "health-check succeeded",
      "switch-traffic succeeded",
      "keep-blue succeeded",
      "archive-blue skipped",
    ]);
    // This target declares no archive action: the step is skipped, and the root and the thread say so.
    const unarchived = `not archived: the target declares no archive action`;
    expect(stage(d, "archive-blue").skippedBecause).toBe("the target declares no archive action");
    // Slipway deployed nothing here before, so it names blue by its colour alone.
    expect((await scene.rootHistory(id)).at(-1)).toContain(`*Blue:* kept, ${unarchived}`);
    await scene.chat.replyOf(id, [/archive-blue\* skipped: the target declares no archive action/]);
    // Zero failed requests from the load generator during the whole deployment.
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.ok).toBe(report.sent);
    expect(report.byVersion[OLD]).toBeGreaterThanOrEqual(20);
    expect(report.byVersion[NEW]).toBeGreaterThanOrEqual(20);
    // All traffic on green, blue kept as the way back.
    expect(after.weight).toBe(0);
    expect(after.pools.stable.map((m) => m.version)).toEqual([NEW, NEW, NEW]);
    expect(after.pools.previous.map((m) => m.version)).toEqual([OLD, OLD, OLD]);
    expect(await versionsServing(stack.url, 9)).toEqual({ [NEW]: 9 });
    // keepBlueFor: 2s — the deployment stays open (Abort still possible) that long after the switch.
    const switchedAt = stage(d, "switch-traffic").finishedAt ?? 0;
    expect(
      (d.finishedAt ?? 0) - switchedAt,
      "time between the switch and the end of the deployment (keep-blue hold)",
    ).toBeGreaterThanOrEqual(HOLD_MS - 50);
  });

  it("rolls over three instances, and at the first unhealthy one stops and rolls that instance back", async () => {
    const { stack, scene } = await storefront("e2e-rolling");
    const good = await scene.deploy(DEPLOYER, CHANNEL, `rolling ${NEW}`);
    const rolled = await scene.ended(good, "succeeded");
    expect(rolled.stages.map((s) => `${s.name} ${s.status}`)).toEqual([
      "deploy-1-of-3 succeeded",
      "verify-1-of-3 succeeded",
      "deploy-2-of-3 succeeded",
      "verify-2-of-3 succeeded",
      "deploy-3-of-3 succeeded",
      "verify-3-of-3 succeeded",
    ]);
    expect(await stack.instances()).toEqual({ 1: NEW, 2: NEW, 3: NEW });
    expect(await versionsServing(stack.url, 9)).toEqual({ [NEW]: 9 });

    const sick = "v1.3.0-unhealthy";
    const bad = await scene.deploy(DEPLOYER, CHANNEL, `rolling ${sick}`);
    const stopped = await scene.ended(bad, "rolled_back");
    expect(stopped.stages.map((s) => `${s.name} ${s.status}`)).toEqual([
      "deploy-1-of-3 succeeded",
      "verify-1-of-3 failed",
      "deploy-2-of-3 pending",
      "verify-2-of-3 pending",
      "deploy-3-of-3 pending",
      "verify-3-of-3 pending",
    ]);
    expect(stopped.rollback?.reason).toBe("automatic rollback: stage verify-1-of-3 exited with code 1");
    expect(stage(stopped, "verify-1-of-3").outputTail).toContain(
      `health check failed: 1/1 unhealthy (${sick} instance 1)`,
    );
    // The roll stopped at the first instance, and the way back returned it: no instance is left on the sick version.
    expect(await stack.instances()).toEqual({ 1: NEW, 2: NEW, 3: NEW });
    const reply = await scene.chat.replyOf(bad, [/verify-1-of-3/, /exited with code 1/]);
    expect(scene.slack.textOf(reply)).toContain(`health check failed: 1/1 unhealthy (${sick} instance 1)`);
    const root = scene.slack.textOf(await scene.chat.rootOf(bad, /\*Rolled back\*/));
    expect(root).toContain("❌ verify-1-of-3");
    expect(root).toContain("⏳ deploy-2-of-3");
  });

  it("aborts mid-canary from the button: traffic back on stable, rolled back, and says who", async () => {
    const { stack, scene, watch } = await storefront("e2e-abort");
    const id = await scene.deploy(DEPLOYER, CHANNEL, `canary ${NEW}`);
    await watch.waitFor(`${NEW} at 25%`, (s) => s.weight === 25);
    await scene.until(id, "holding at 25%", holdingAfter("canary-25%"));

    expect(await scene.clickControl(id, ONCALL, ACTION_IDS.abort)).toBe(
      `Aborting \`${id}\`: traffic goes back to the stable version, then it is rolled back.`,
    );
    const d = await scene.ended(id, "rolled_back");
    const back = await watch.waitFor("traffic back on stable", (s) => s.weight === 0 && s.candidate.length === 0);
    await watch.stop();

    expect(back.stable).toEqual([OLD, OLD, OLD]);
    expect(watch.weights()).not.toContain(50);
    expect(await versionsServing(stack.url, 9)).toEqual({ [OLD]: 9 });
    expect(d.rollback?.by).toBe(ONCALL);
    expect(d.rollback?.reason).toBe(`aborted by <@${ONCALL}>`);
    expect(d.rollback?.actions.map((a) => `${a.name} ${a.ok}`)).toEqual(["traffic-to-stable true", "rollback true"]);
    expect(d.stages.map((s) => `${s.name} ${s.status}`).slice(-3)).toEqual([
      "canary-25% succeeded",
      "canary-50% pending",
      "canary-100% pending",
    ]);
    expect(scene.stageStarts(id, "canary-50%")).toBe(0);

    // Who aborted, in the root message; the thread closes with the outcome.
    const root = await scene.chat.rootOf(id, /\*Rolled back\*/);
    const rootText = scene.slack.textOf(root);
    expect(rootText).toContain(`*Rollback:* aborted by <@${ONCALL}>`);
    expect(rootText).toContain("✅ traffic-to-stable");
    expect(rootText).not.toContain("[Abort]");
    const summary = await scene.chat.replyOf(id, [/Deployment rolled back/]);
    expect(scene.slack.textOf(summary)).toContain(`storefront ${NEW} → canary`);

    // A late click changes nothing.
    expect(await scene.clickControl(id, ONCALL, ACTION_IDS.abort)).toBe(
      `\`${id}\` has already ended (rolled back); nothing to abort.`,
    );
  });

  it("pauses and resumes during holds, and Promote skips the remaining traffic steps", async () => {
    const { stack, scene, watch } = await storefront("e2e-steer");
    const id = await scene.deploy(DEPLOYER, CHANNEL, `steered ${NEW}`);

    // Pause then Resume while a step runs: the step finishes and runs once.
    await scene.slipway.waitForLog(
      (l) => l.deploymentId === id && l.msg === "stage started" && l.stage === "health-check",
    );
    expect(await scene.clickControl(id, DEPLOYER, ACTION_IDS.pause)).toMatch(/^Paused /);
    expect(await scene.clickControl(id, DEPLOYER, ACTION_IDS.resume)).toBe(`Resumed \`${id}\`.`);
    const checked = await scene.until(id, "past health-check", (d) => stage(d, "health-check").status === "succeeded");
    // Resume's job finds the step running under another job and leaves it be.
    expect(scene.stageStarts(id, "health-check"), "health-check started").toBe(1);
    expect(stage(checked, "health-check").attempts, "health-check attempts").toBe(1);

    // Pause then Resume within the 5% hold: the next step still waits out the hold, and runs once.
    await scene.until(id, "holding at 5%", holdingAfter("canary-5%"));
    expect(await scene.clickControl(id, DEPLOYER, ACTION_IDS.pause)).toBe(
      `Paused \`${id}\`. The current step finishes; nothing new starts until someone resumes.`,
    );
    expect(await scene.clickControl(id, DEPLOYER, ACTION_IDS.resume)).toBe(`Resumed \`${id}\`.`);
    const at25 = await scene.until(id, "holding at 25%", holdingAfter("canary-25%"));
    const gap = (stage(at25, "canary-25%").startedAt ?? 0) - (stage(at25, "canary-5%").finishedAt ?? 0);
    expect(gap, "the 5% hold, paused and resumed inside it").toBeGreaterThanOrEqual(HOLD_MS - 50);
    // The held job and Resume's, both due at the hold's end: one starts the step, the other finds it taken.
    expect(stage(at25, "canary-25%").attempts, "canary-25% attempts").toBe(1);
    expect(scene.stageStarts(id, "canary-25%"), "canary-25% started").toBe(1);

    // Pause in the 25% hold and let the hold run out: nothing moves until Resume.
    const logsBefore = scene.slipway.logs.length;
    expect(await scene.clickControl(id, ONCALL, ACTION_IDS.pause)).toMatch(/^Paused /);
    await scene.slipway.waitForLog(
      (l) =>
        scene.slipway.logs.indexOf(l) >= logsBefore &&
        l.deploymentId === id &&
        l.msg === "deployment is paused; Resume continues it",
      15_000,
    );
    const paused = await scene.chat.rootOf(id, /paused by <@U0ONCALL01>/);
    expect(scene.slack.textOf(paused)).toContain("[Resume]");
    expect((await stack.state()).weight).toBe(25);
    expect(stage(await scene.deployment(id), "canary-50%").status).toBe("pending");
    expect(await scene.clickControl(id, ONCALL, ACTION_IDS.pause)).toBe(`Already paused by <@${ONCALL}>.`);
    expect(await scene.clickControl(id, ONCALL, ACTION_IDS.resume)).toBe(`Resumed \`${id}\`.`);

    // Promote in the 50% hold: 75% is skipped, straight to 100%.
    await watch.waitFor(`${NEW} at 50%`, (s) => s.weight === 50);
    await scene.until(id, "holding at 50%", holdingAfter("canary-50%"));
    expect(await scene.clickControl(id, DEPLOYER, ACTION_IDS.promote)).toBe(
      `Promoting \`${id}\`: skipped canary-75%; going to 100%.`,
    );
    const d = await scene.ended(id, "succeeded");
    await watch.waitFor(`${NEW} stable`, (s) => s.weight === 0 && s.stable.every((v) => v === NEW));
    await watch.stop();

    expect(d.stages.map((s) => `${s.name} ${s.status}`).slice(-5)).toEqual([
      "canary-5% succeeded",
      "canary-25% succeeded",
      "canary-50% succeeded",
      "canary-75% skipped",
      "canary-100% succeeded",
    ]);
    expect(scene.stageStarts(id, "canary-75%")).toBe(0);
    expect(watch.weights()).not.toContain(75);
    expect(await versionsServing(stack.url, 6)).toEqual({ [NEW]: 6 });
    const final = scene.slack.textOf(await scene.chat.rootOf(id, /\*Succeeded\*/));
    expect(final).toContain("⏭️ canary-75%");
  });
});

/* Feature flags ------------------------------------------------------------ */

describe("a feature-flag release", () => {
  it("deploys dark with --percent=0, then the root's buttons ramp the flag up and turn it off", async () => {
    const { stack, scene } = await storefront("e2e-flag");
    const FLAG = "new-checkout";
    const id = await scene.deploy(DEPLOYER, CHANNEL, `flagged ${NEW} --flag=${FLAG} --percent=0`);
    const d = await scene.ended(id, "succeeded");
    expect(d.stages.map((s) => `${s.name} ${s.status}`)).toEqual([
      "deploy succeeded",
      "health-check succeeded",
      `flag-${FLAG}-0% succeeded`,
    ]);
    // Dark: the new version serves everything, the flag reaches nobody.
    expect(await versionsServing(stack.url, 6)).toEqual({ [NEW]: 6 });
    expect((await stack.state()).flags).toEqual({ [FLAG]: { enabled: true, percent: 0 } });
    expect(await flaggedCount(stack.url, 20, FLAG)).toBe(0);
    const dark = scene.slack.textOf(await scene.chat.rootOf(id, /\*Feature flag:\* `new-checkout` off \(0%\)/));
    expect(dark).toContain("[Flag 25%]");
    expect(dark).not.toContain("[Flag off]");

    // 25% from the button: the target sets it, a quarter of requests carry it, the thread says who.
    expect(await scene.clickControl(id, DEPLOYER, flagActionId(25))).toBe(
      `Setting ${FLAG} to 25% for \`${id}\`; the thread says when it is done.`,
    );
    await scene.chat.replyOf(id, [/🚩 \*new-checkout\* → 25% set in/, new RegExp(`asked by <@${DEPLOYER}>`)]);
    expect((await stack.state()).flags[FLAG]).toEqual({ enabled: true, percent: 25 });
    expect(await flaggedCount(stack.url, 20, FLAG)).toBe(5);
    await scene.chat.rootOf(id, /\*Feature flag:\* `new-checkout` 25% of requests/);
    expect(await scene.clickControl(id, DEPLOYER, flagActionId(25))).toBe(`${FLAG} is already at 25%.`);

    // 100%, then off: the quickest way back for a feature that misbehaves.
    expect(await scene.clickControl(id, DEPLOYER, flagActionId(100))).toMatch(/^Setting new-checkout to 100%/);
    await scene.chat.replyOf(id, [/→ 100% set in/]);
    expect(await flaggedCount(stack.url, 10, FLAG)).toBe(10);
    expect(await scene.clickControl(id, ONCALL, flagActionId(0))).toMatch(/^Setting new-checkout to 0%/);
    await scene.chat.replyOf(id, [/→ 0% set in/, new RegExp(`asked by <@${ONCALL}>`)]);
    expect(await flaggedCount(stack.url, 10, FLAG)).toBe(0);

    // Each change ran the target once, under its own idempotency key, and is in the audit log.
    const changes = (await scene.deployment(id)).flagChanges ?? [];
    expect(changes.map((c) => `${c.seq} ${c.percent} ${c.status} ${c.by}`)).toEqual([
      `1 25 done ${DEPLOYER}`,
      `2 100 done ${DEPLOYER}`,
      `3 0 done ${ONCALL}`,
    ]);
    const audit = await scene.chat.command(DEPLOYER, CHANNEL, "/deploy", "audit storefront flagged");
    expect(audit).toContain("new-checkout → 0%");

    // Once a newer deployment is live, this one's buttons no longer move the flag.
    const next = await scene.deploy(DEPLOYER, CHANNEL, "flagged v1.3.0 --percent=10");
    await scene.ended(next, "succeeded");
    expect(await scene.clickControl(id, DEPLOYER, flagActionId(50))).toBe(
      `\`${id}\` is no longer the live deployment of storefront flagged; change the flag from the live one.`,
    );
  });

  it("refuses flag options that do not fit, saying how to write them", async () => {
    const { scene } = await storefront("e2e-flag-refusals");
    expect(
      await scene.chat.command(DEPLOYER, CHANNEL, "/deploy", `canary ${NEW} --strategy=canary --flag=x`),
    ).toContain("--flag and --percent go with the feature-flag strategy, not canary");
    expect(await scene.chat.command(DEPLOYER, CHANNEL, "/deploy", `flagged ${NEW} --percent=150`)).toContain(
      "'150' is not a percentage; write a whole number from 0 to 100",
    );
    expect(await scene.slack.messages(CHANNEL)).toEqual([]);
  });
});

/* Many holds, two workers -------------------------------------------------- */

const BULK = 100;
const BULK_HOLD_MS = 8_000;
const bulkName = (i: number) => `bulk-${String(i).padStart(3, "0")}`;
const bulkChannel = (i: number) => `C0BULK${String(i).padStart(3, "0")}`;

/** A service whose deploy is `node -e 0`, then one canary step held 8s, then 100%. */
function bulkManifest(i: number): string {
  return holdingManifest({
    service: bulkName(i),
    channel: bulkChannel(i),
    deploy: ["node", "-e", "0"],
    weight: 50,
    hold: `${BULK_HOLD_MS / 1000}s`,
  });
}

/** The most intervals open at one instant. */
function peakOverlap(intervals: readonly { from: number; to: number }[]): number {
  const edges = intervals.flatMap(({ from, to }) => [
    { at: from, step: 1 },
    { at: to, step: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let open = 0;
  let peak = 0;
  for (const edge of edges) {
    open += edge.step;
    peak = Math.max(peak, open);
  }
  return peak;
}

describe("holds are delayed jobs, not busy workers", () => {
  it(`holds ${BULK} deployments at once with two workers and finishes them all`, async () => {
    const manifests = Object.fromEntries(
      Array.from({ length: BULK }, (_, i) => [`${bulkName(i)}.yaml`, bulkManifest(i)]),
    );
    const scene = await SlipwayScene.start({
      label: "e2e-bulk",
      manifests,
      env: { SLIPWAY_WORKER_CONCURRENCY: "2" },
      users: USERS,
    });
    cleanups.push(async () => {
      const code = await scene.close();
      expect(code, scene.slipway.describe()).toBe(0);
    });

    const started = Date.now();
    const ids: string[] = [];
    for (let batch = 0; batch < BULK; batch += 10) {
      const queued = await Promise.all(
        Array.from({ length: Math.min(10, BULK - batch) }, (_, k) =>
          scene.deploy(DEPLOYER, bulkChannel(batch + k), `load v1.0.0 ${bulkName(batch + k)}`),
        ),
      );
      ids.push(...queued);
    }
    expect(new Set(ids).size).toBe(BULK);

    const finished = await waitAll(scene, ids, 120_000);
    const elapsed = Math.max(...finished.map((d) => d.finishedAt ?? 0)) - started;

    expect(finished.map((d) => d.state).filter((s) => s !== "succeeded")).toEqual([]);
    // Every deployment reached its hold and waited it out before its last step.
    const holds = finished.map((d) => {
      const from = stage(d, "canary-50%").finishedAt ?? 0;
      return { id: d.id, from, to: from + BULK_HOLD_MS, next: stage(d, "canary-100%").startedAt ?? 0 };
    });
    for (const hold of holds) expect(hold.next - hold.from, `hold of ${hold.id}`).toBeGreaterThanOrEqual(BULK_HOLD_MS);
    // Many held at the same time, ten times more than the two worker slots, and the whole run took a small part
    // of what running the holds two at a time would take (100 × 8 s / 2 = 400 s; about 25 s on two idle cores).
    const peak = peakOverlap(holds);
    const spread = Math.max(...holds.map((h) => h.from)) - Math.min(...holds.map((h) => h.from));
    expect(peak, `deployments holding at once (holds began over ${spread} ms)`).toBeGreaterThanOrEqual(20);
    expect(elapsed).toBeLessThan((BULK * BULK_HOLD_MS) / 2 / 4);
  }, 150_000);
});

/** Every deployment once it has ended, checked every 250 ms. */
async function waitAll(scene: SlipwayScene, ids: readonly string[], timeoutMs: number): Promise<Deployment[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ds = await Promise.all(ids.map((id) => scene.deployment(id)));
    if (ds.every((d) => d.finishedAt !== undefined)) return ds;
    if (Date.now() > deadline) {
      const open = ds.filter((d) => d.finishedAt === undefined);
      throw new Error(`${open.length} deployments still open after ${timeoutMs} ms, e.g. ${JSON.stringify(open[0])}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/* The http target ---------------------------------------------------------- */

describe("the http target", () => {
  const SECRET = "webhook-signing-secret";

  function hookManifest(service: string, channel: string, url: string, secretEnv: string): string {
    return `service: ${service}
channels:
  deploy: ${channel}
target:
  type: http
  url: ${url}
  secretEnv: ${secretEnv}
  actions: [deploy]
  timeoutSeconds: 10
  pollIntervalSeconds: 0.05
environments:
  live:
    stages:
      - { name: deploy, action: deploy }
`;
  }

  it("deploys through a signed webhook and its status URL, and fails clearly on a refused signature", async () => {
    const webhook = await SignedWebhook.start(SECRET);
    cleanups.push(() => webhook.close());
    const scene = await SlipwayScene.start({
      label: "e2e-http",
      manifests: {
        "hooked.yaml": hookManifest("hooked", "C0HOOKED01", webhook.url, "HOOK_SECRET"),
        "forged.yaml": hookManifest("forged", "C0FORGED01", webhook.url, "FORGED_HOOK_SECRET"),
      },
      env: { HOOK_SECRET: SECRET, FORGED_HOOK_SECRET: "not-the-webhook-secret" },
      users: USERS,
    });
    cleanups.push(async () => {
      const code = await scene.close();
      expect(code, scene.slipway.describe()).toBe(0);
    });

    const good = await scene.deploy(DEPLOYER, "C0HOOKED01", "live v2.0.0 hooked");
    const done = await scene.ended(good, "succeeded");
    expect(stage(done, "deploy").outputTail).toBe("deploy v2.0.0: done after 1 poll(s)");
    const [post, poll, ...rest] = webhook.calls;
    expect(rest).toEqual([]);
    expect(post).toMatchObject({ method: "POST", path: "/slipway", signatureOk: true, status: 202 });
    expect(post?.idempotencyKey).toBe(`${good}:deploy`);
    expect(post?.body).toMatchObject({
      action: "deploy",
      SLIPWAY_SERVICE: "hooked",
      SLIPWAY_ENVIRONMENT: "live",
      SLIPWAY_VERSION: "v2.0.0",
      SLIPWAY_DEPLOYMENT_ID: good,
      SLIPWAY_STAGE: "deploy",
      SLIPWAY_IDEMPOTENCY_KEY: `${good}:deploy`,
    });
    expect(poll).toMatchObject({ method: "GET", path: "/slipway/status/job-1", signatureOk: true, status: 200 });
    expect(poll?.idempotencyKey).toBe(`${good}:deploy`);
    expect(scene.slack.textOf(await scene.chat.replyOf(good, [/\*deploy\* succeeded in/]))).toContain("deploy");

    const forged = await scene.deploy(DEPLOYER, "C0FORGED01", "live v2.0.0 forged");
    const failed = await scene.ended(forged, "failed");
    expect(webhook.calls.slice(2)).toEqual([
      expect.objectContaining({ method: "POST", path: "/slipway", signatureOk: false, status: 401 }),
    ]);
    const tail = stage(failed, "deploy").outputTail ?? "";
    expect(tail).toContain(`deploy failed: POST ${webhook.url} answered 401`);
    expect(tail).toContain("bad signature");
    const reply = scene.slack.textOf(await scene.chat.replyOf(forged, [/\*deploy\*/]));
    expect(reply).toContain("answered 401");
    // The reason people read first should name what happened, not an exit code no process had.
    const root = scene.slack.textOf(await scene.chat.rootOf(forged, /\*Failed\*/));
    expect(failed.failureReason).toMatch(/401/);
    expect(root).not.toMatch(/exited with code/);
  });
});
