import { beforeEach, describe, expect, it } from "vitest";
import { ACTION_IDS } from "../../src/slack/action-ids.js";
import { type AnalysisRig, ENVIRONMENT, ONCALL, SERVICE } from "../support/analysis-rig.js";
import {
  BAD,
  buttonsOf,
  failedCheck,
  GOOD,
  NEWER,
  numbers,
  sharedRig,
  stageStatuses,
} from "../support/analysis-scenarios.js";
import { deploymentIdIn } from "../support/chat-ops.js";
import { versionsServing } from "../support/sample-stack.js";

/*
 * Canary analysis and automatic rollback end to end: `slipway all` against
 * the Slack stand-in deploys the sample service behind its router while
 * load.mjs sends steady traffic through it, and judges each canary step
 * from real metrics (Slipway's scrape source reading GET
 * /_admin/metrics/{{version}}), here after each step of a rolling update
 * and of a blue-green switch, at once or in steps. Tests wait on events: the
 * stand-in's messages, and the router's and the store's state polled under a
 * deadline.
 */

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
