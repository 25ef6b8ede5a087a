import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { eventually } from "../support/eventually.js";
import {
  adminCall,
  alive,
  byVersion,
  hit,
  ledger,
  mustRun,
  runScript,
  type Stack,
  start,
  startStack,
  stopAll,
} from "./stack.js";

/** The variables Slipway's command target sets for one step of a deployment. */
function step(stack: Stack, key: string, vars: Record<string, string>): Record<string, string> {
  return {
    ...stack.env,
    SLIPWAY_ENVIRONMENT: "staging",
    SLIPWAY_DEPLOYMENT_ID: "d-1",
    SLIPWAY_STAGE: key,
    SLIPWAY_IDEMPOTENCY_KEY: `d-1:${key}`,
    ...vars,
  };
}

const versionsIn = (members: { version: string }[]) => members.map((m) => m.version);

afterEach(stopAll);

describe("example target scripts driving the router", () => {
  it("run a canary 5% → 25% → 50% → 100%, promote, and roll back to the previous version", async () => {
    const stack = await startStack("v1.1.0", 2);
    const canary = { SLIPWAY_VERSION: "v1.2.0", SLIPWAY_STRATEGY: "canary", SLIPWAY_PREVIOUS_VERSION: "v1.1.0" };
    await mustRun("verify-rollback.mjs", step(stack, "verify-rollback", canary));
    await mustRun("deploy.mjs", step(stack, "deploy", canary));
    let state = await adminCall(stack.admin, "GET", "/state");
    expect(versionsIn(state.pools.candidate)).toEqual(["v1.2.0"]);
    expect(state.weight).toBe(0);
    expect((await mustRun("health-check.mjs", step(stack, "health-check", canary))).stdout).toContain(
      "1/1 instances healthy",
    );

    for (const weight of [5, 25, 50]) {
      const vars = { ...canary, SLIPWAY_TRAFFIC_WEIGHT: `${weight}` };
      await mustRun("set-traffic.mjs", step(stack, `canary-${weight}`, vars));
      await adminCall(stack.admin, "POST", "/counters/reset");
      const answers = await hit(stack.url, 200);
      expect(answers.every((a) => a.status === 200)).toBe(true);
      const share = ((byVersion(answers)["v1.2.0"] ?? 0) / 200) * 100;
      expect(Math.abs(share - weight)).toBeLessThanOrEqual(5);
      expect((await adminCall(stack.admin, "GET", "/state")).counters["v1.2.0"]?.["200"]).toBe(share * 2);
    }

    const promote = { ...canary, SLIPWAY_TRAFFIC_WEIGHT: "100", SLIPWAY_PROMOTE: "1" };
    await mustRun("set-traffic.mjs", step(stack, "canary-100", promote));
    state = await adminCall(stack.admin, "GET", "/state");
    expect(versionsIn(state.pools.stable)).toEqual(["v1.2.0"]);
    expect(versionsIn(state.pools.previous)).toEqual(["v1.1.0", "v1.1.0"]);
    expect(byVersion(await hit(stack.url, 20))).toEqual({ "v1.2.0": 20 });

    const promoted = state.pools.stable[0]?.pid as number;
    const rollback = await mustRun("rollback.mjs", step(stack, "rollback", canary));
    expect(rollback.stdout).toContain("100% of traffic on v1.1.0");
    state = await adminCall(stack.admin, "GET", "/state");
    expect(state.pools.stable).toEqual(stack.stable);
    expect(state.pools.previous).toEqual([]);
    expect(alive(promoted)).toBe(false);
    expect(byVersion(await hit(stack.url, 20))).toEqual({ "v1.1.0": 20 });
    expect(ledger(stack.state).map((e) => e.action)).toEqual([
      "deploy",
      "setTraffic",
      "setTraffic",
      "setTraffic",
      "setTraffic",
      "rollback",
    ]);
  });

  it("switch blue to green and back while load runs, with no failed request", async () => {
    const stack = await startStack("v1.1.0", 2);
    const green = { SLIPWAY_VERSION: "v1.2.0", SLIPWAY_STRATEGY: "blue-green", SLIPWAY_PREVIOUS_VERSION: "v1.1.0" };
    await mustRun("deploy.mjs", step(stack, "deploy", green));
    await mustRun("health-check.mjs", step(stack, "health-check", green));
    expect(versionsIn((await adminCall(stack.admin, "GET", "/state")).pools.candidate)).toEqual(["v1.2.0", "v1.2.0"]);

    const report = join(stack.state, "load.json");
    const load = await start(
      "examples/load/load.mjs",
      ["--url", stack.url, "--rps", "50", "--duration", "30s", "--report", report],
      {},
      "started",
    );
    const served = async (n: number) => (await adminCall(stack.admin, "GET", "/state")).total >= n;
    await eventually("load on blue", () => served(25));
    const switched = { ...green, SLIPWAY_TRAFFIC_WEIGHT: "100", SLIPWAY_PROMOTE: "1" };
    await mustRun("set-traffic.mjs", step(stack, "switch-traffic", switched));
    const atSwitch = (await adminCall(stack.admin, "GET", "/state")).total;
    await eventually("load on green", () => served(atSwitch + 25));
    await mustRun("rollback.mjs", step(stack, "rollback", green));
    const atRollback = (await adminCall(stack.admin, "GET", "/state")).total;
    await eventually("load on blue again", () => served(atRollback + 25));
    load.child.kill("SIGTERM");
    expect(await load.exited).toBe(0);

    const result = JSON.parse(await readFile(report, "utf8"));
    expect(result.failures).toEqual([]);
    expect(result.failed).toBe(0);
    expect(result.ok).toBe(result.sent);
    expect(result.sent).toBeGreaterThanOrEqual(75);
    expect(result.byVersion["v1.1.0"]).toBeGreaterThanOrEqual(50);
    expect(result.byVersion["v1.2.0"]).toBeGreaterThanOrEqual(25);
    expect(result.latencyMs.p95).toBeGreaterThan(0);
    expect(versionsIn((await adminCall(stack.admin, "GET", "/state")).pools.stable)).toEqual(["v1.1.0", "v1.1.0"]);
  });

  it("roll instance by instance and stop at the first unhealthy one", async () => {
    const stack = await startStack("v1.1.0", 3);
    const roll = async (version: string, previous: string) => {
      for (let i = 1; i <= 3; i++) {
        const vars = {
          SLIPWAY_VERSION: version,
          SLIPWAY_STRATEGY: "rolling",
          SLIPWAY_PREVIOUS_VERSION: previous,
          SLIPWAY_INSTANCE: `${i}`,
          SLIPWAY_INSTANCES: "3",
        };
        await mustRun("deploy.mjs", step(stack, `${version}-deploy-${i}`, vars));
        const check = await runScript("health-check.mjs", step(stack, `${version}-verify-${i}`, vars));
        if (check.code !== 0) return { stoppedAt: i, check };
      }
      return { stoppedAt: undefined, check: undefined };
    };
    const instances = async () =>
      (await adminCall(stack.admin, "GET", "/state")).pools.stable.map((m) => `${m.instance} ${m.version}`);

    expect((await roll("v1.2.0", "v1.1.0")).stoppedAt).toBeUndefined();
    expect(await instances()).toEqual(["1 v1.2.0", "2 v1.2.0", "3 v1.2.0"]);
    expect(stack.stable.some((m) => alive(m.pid))).toBe(false);
    const all = await mustRun("health-check.mjs", step(stack, "after-roll", { SLIPWAY_VERSION: "v1.2.0" }));
    expect(all.stdout).toContain("3/3 instances healthy");

    const { stoppedAt, check } = await roll("v1.3.0-unhealthy", "v1.2.0");
    expect(stoppedAt).toBe(1);
    expect(check?.code).toBe(1);
    expect(check?.stderr).toContain("health check failed: 1/1 unhealthy (v1.3.0-unhealthy instance 1)");
    expect(await instances()).toEqual(["1 v1.3.0-unhealthy", "2 v1.2.0", "3 v1.2.0"]);

    const back = {
      SLIPWAY_VERSION: "v1.3.0-unhealthy",
      SLIPWAY_STRATEGY: "rolling",
      SLIPWAY_PREVIOUS_VERSION: "v1.2.0",
    };
    await mustRun("rollback.mjs", step(stack, "rollback", back));
    expect(await instances()).toEqual(["1 v1.2.0", "2 v1.2.0", "3 v1.2.0"]);
    await mustRun("health-check.mjs", step(stack, "post-rollback", back));
  });

  it("do each step once per idempotency key", async () => {
    const stack = await startStack("v1.1.0", 1);
    const vars = step(stack, "deploy", { SLIPWAY_VERSION: "v1.2.0", SLIPWAY_STRATEGY: "canary" });
    await mustRun("deploy.mjs", vars);
    const first = (await adminCall(stack.admin, "GET", "/state")).pools.candidate;
    const again = await mustRun("deploy.mjs", vars);
    expect(again.stdout).toContain("already done: deploy for key d-1:deploy");
    expect((await adminCall(stack.admin, "GET", "/state")).pools.candidate).toEqual(first);

    const traffic = step(stack, "canary-5", { SLIPWAY_VERSION: "v1.2.0", SLIPWAY_TRAFFIC_WEIGHT: "5" });
    await mustRun("set-traffic.mjs", traffic);
    await adminCall(stack.admin, "PUT", "/weight", { weight: 0 });
    expect((await mustRun("set-traffic.mjs", traffic)).stdout).toContain("already done");
    expect((await adminCall(stack.admin, "GET", "/state")).weight).toBe(0);

    expect(ledger(stack.state).map((e) => `${e.key} ${e.action}`)).toEqual([
      "d-1:deploy deploy",
      "d-1:canary-5 setTraffic",
    ]);
  });

  it("deploy dark and flip a feature flag", async () => {
    const stack = await startStack("v1.1.0", 1);
    const dark = { SLIPWAY_VERSION: "v1.2.0", SLIPWAY_STRATEGY: "feature-flag" };
    await mustRun("deploy.mjs", step(stack, "deploy", dark));
    expect(byVersion(await hit(stack.url, 10))).toEqual({ "v1.2.0": 10 });
    const flag = { ...dark, SLIPWAY_FLAG: "new-checkout", SLIPWAY_FLAG_PERCENT: "50" };
    await mustRun("set-flag.mjs", step(stack, "flag", flag));
    expect((await adminCall(stack.admin, "GET", "/state")).flags).toEqual({
      "new-checkout": { enabled: true, percent: 50 },
    });
    const answers = await hit(stack.url, 20);
    expect(answers.filter((a) => a.flags?.includes("new-checkout")).length).toBe(10);
  });

  it("refuse to shift traffic to a version that was never deployed", async () => {
    const stack = await startStack("v1.1.0", 1);
    const result = await runScript(
      "set-traffic.mjs",
      step(stack, "canary-5", { SLIPWAY_VERSION: "v9.9.9", SLIPWAY_TRAFFIC_WEIGHT: "5" }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no candidate runs v9.9.9");
    expect(ledger(stack.state)).toEqual([]);
  });
});

describe("example target scripts without a router", () => {
  it("print what they would do and keep the ledger", async () => {
    const state = await mkdtemp(join(tmpdir(), "slipway-plain-"));
    const vars = { SLIPWAY_EXAMPLE_STATE: state, SLIPWAY_IDEMPOTENCY_KEY: "d-1:deploy", SLIPWAY_VERSION: "v1.2.0" };
    expect((await mustRun("deploy.mjs", vars)).stdout).toContain("2/2 instances running v1.2.0");
    expect((await mustRun("health-check.mjs", vars)).stdout).toContain("GET /healthz 200");
    expect(ledger(state).map((e) => e.action)).toEqual(["deploy"]);
  });
});
