import { beforeEach, describe, expect, it } from "vitest";
import { type Check, formatPercent } from "../../src/domain/analysis.js";
import type { Deployment } from "../../src/domain/deployment.js";
import type { AnalysisRig } from "../support/analysis-rig.js";
import { failedCheck, GOOD, incidentAlert, numbers, rolledBack, sharedRig } from "../support/analysis-scenarios.js";

/*
 * Canary analysis and automatic rollback end to end: `slipway all` against
 * the Slack stand-in deploys the sample service behind its router while
 * load.mjs sends steady traffic through it, and judges each canary step
 * from real metrics (Slipway's scrape source reading GET
 * /_admin/metrics/{{version}}): the seed's triggers besides errors and
 * latency (analysis-sources.test.ts), each tripped by a version made to trip
 * it. Tests wait on events: the stand-in's messages, and the router's and the
 * store's state polled under a deadline.
 */

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
