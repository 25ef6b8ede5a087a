import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { Check } from "../../src/domain/analysis.js";
import type { Deployment } from "../../src/domain/deployment.js";
import { ACTION_IDS } from "../../src/slack/action-ids.js";
import { permalink } from "../../src/slack/renderers/watch.js";
import type { StoredMessage } from "../../src/standin/message-store.js";
import { AnalysisRig, CHANNEL, ENVIRONMENT, type RigOptions, SERVICE } from "./analysis-rig.js";
import type { Snapshot } from "./router-watch.js";
import { versionsServing } from "./sample-stack.js";

/*
 * What the canary-analysis scenarios (test/e2e/analysis-*.test.ts) share:
 * the versions they deploy, a rig per describe, and the checks of a
 * rollback and its incident alert. Versions misbehave by name: `bad`
 * answers 20% 500s, `slow` takes 3× as long.
 */

export const GOOD = "v1.2.0";
export const BAD = "v1.3.0-bad";
export const NEWER = "v1.4.0";

export function stageStatuses(d: Deployment): string[] {
  return d.stages.map((s) => `${s.name} ${s.status}`);
}

/** The check of the latest analysis that failed, with its numbers. */
export function failedCheck(d: Deployment, name: Check["name"]): Check {
  const failing = (d.analyses ?? []).filter((a) => a.verdict.outcome === "fail");
  const check = failing.at(-1)?.verdict.checks.find((c) => c.name === name);
  if (!check) throw new Error(`${d.id} has no failed analysis with a ${name} check: ${JSON.stringify(d.analyses)}`);
  return check;
}

export function numbers(check: Check): { observed: number; baseline: number; threshold: number } {
  const { observed, baseline, threshold } = check;
  if (observed === undefined || baseline === undefined || threshold === undefined) {
    throw new Error(`check ${check.name} lacks a number: ${JSON.stringify(check)}`);
  }
  return { observed, baseline, threshold };
}

export type Button = { action_id?: string; url?: string; value?: string; text?: { text?: string } };

export function buttonsOf(message: StoredMessage): Button[] {
  return message.blocks.flatMap((block) =>
    block.type === "actions" && Array.isArray(block.elements) ? (block.elements as Button[]) : [],
  );
}

/** The first router snapshot with `version` in the stable pool: when it was promoted, if ever. */
export function promotedAt(snapshots: readonly Snapshot[], version: string): Snapshot | undefined {
  return snapshots.find((s) => s.stable.includes(version));
}

/**
 * The scenario of a version the analysis must roll back: deployed under
 * load, at 25% when the trigger trips, traffic back on the good version.
 */
export async function rolledBack(rig: AnalysisRig, version: string, good: string) {
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
export async function incidentAlert(rig: AnalysisRig, d: Deployment, good: string): Promise<StoredMessage> {
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
export function sharedRig(options: RigOptions): () => AnalysisRig {
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
