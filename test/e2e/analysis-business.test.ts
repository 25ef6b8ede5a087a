import { beforeEach, describe, expect, it } from "vitest";
import { formatPercent } from "../../src/domain/analysis.js";
import type { Deployment } from "../../src/domain/deployment.js";
import { ACTION_IDS } from "../../src/slack/action-ids.js";
import { slackTime } from "../../src/slack/renderers/slack-time.js";
import { permalink } from "../../src/slack/renderers/watch.js";
import type { StoredMessage } from "../../src/standin/message-store.js";
import {
  type AnalysisRig,
  CHANNEL,
  DEPLOYER,
  ENVIRONMENT,
  INCIDENTS,
  ONCALL,
  SERVICE,
} from "../support/analysis-rig.js";
import { buttonsOf, GOOD, incidentAlert, numbers, rolledBack, sharedRig } from "../support/analysis-scenarios.js";

/*
 * Canary analysis and automatic rollback end to end: `slipway all` against
 * the Slack stand-in deploys the sample service behind its router while
 * load.mjs sends steady traffic through it, and judges each canary step
 * from real metrics (Slipway's scrape source reading GET
 * /_admin/metrics/{{version}}), here the service's own metrics, and the
 * immediate and extended monitoring windows after 100%. Tests wait on events:
 * the stand-in's messages, and the router's and the store's state polled
 * under a deadline.
 */

/* Business metrics ----------------------------------------------------------- */

describe("the service's own metrics with the scrape source, and the two monitoring windows", () => {
  // The example's metrics.custom: p50, p99 and active users are shown only, the conversion rate (conversions per
  // visit) rolls back below 10% or half the stable version's. After 100% the immediate window (4s, every 2s)
  // leaves active users and conversion rate to the extended window (20s, every 4s: long enough for several full
  // intervals and a last one cut short), which watches the succeeded deployment with production free.
  const EXTENDED_INTERVAL_MS = 4_000;
  const shared = sharedRig({
    label: "e2e-analysis-business",
    source: "scrape",
    holdSeconds: 12,
    businessMetrics: true,
    extended: { seconds: 20, intervalSeconds: EXTENDED_INTERVAL_MS / 1000 },
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
