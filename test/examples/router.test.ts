import { afterEach, describe, expect, it } from "vitest";
import { eventually } from "../support/eventually.js";
import { adminCall, alive, byVersion, get, hit, type Member, start, startStack, stopAll } from "./stack.js";

async function router() {
  const started = await start("examples/router/router.mjs", ["--port", "0"]);
  const admin = started.line.admin as string;
  return { admin, url: `http://127.0.0.1:${started.line.port}/`, pid: started.line.pid };
}

async function service(version: string, instance = 1): Promise<Member> {
  const { line } = await start("examples/service/server.mjs", ["--version", version, "--instance", `${instance}`]);
  return { version, port: line.port as number, pid: line.pid as number, instance };
}

afterEach(stopAll);

describe("examples/router/router.mjs", () => {
  it("splits traffic by weight and round-robins within a pool", async () => {
    const { admin, url } = await router();
    const stable = [await service("v1.1.0", 1), await service("v1.1.0", 2)];
    await adminCall(admin, "PUT", "/pool/stable", { members: stable });
    await adminCall(admin, "PUT", "/pool/candidate", { members: [await service("v1.3.0")] });
    expect((await adminCall(admin, "PUT", "/weight", { weight: 25 })).weight).toBe(25);

    const answers = await hit(url, 1000);
    const share = (byVersion(answers)["v1.3.0"] ?? 0) / 1000;
    expect(Math.abs(share - 0.25)).toBeLessThanOrEqual(0.05);
    const state = await adminCall(admin, "GET", "/state");
    expect(state.total).toBe(1000);
    expect(state.counters["v1.3.0"]?.["200"]).toBe(byVersion(answers)["v1.3.0"]);
    expect(state.counters["v1.1.0"]?.["200"]).toBe(byVersion(answers)["v1.1.0"]);
    const onStable = answers.filter((a) => a.version === "v1.1.0");
    const first = onStable.filter((a) => a.instance === 1).length;
    expect(Math.abs(first - onStable.length / 2)).toBeLessThanOrEqual(20);

    expect((await adminCall(admin, "POST", "/counters/reset")).total).toBe(0);
  });

  it("promotes the candidate, keeps the old stable as previous, and restores it", async () => {
    const { admin, url } = await router();
    const blue = await service("v1.1.0");
    const green = await service("v1.2.0");
    await adminCall(admin, "PUT", "/pool/stable", { members: [blue] });
    expect((await adminCall(admin, "PUT", "/pool/stable", { members: [blue] })).retired).toEqual([]);
    await adminCall(admin, "PUT", "/pool/candidate", { members: [green] });
    await adminCall(admin, "PUT", "/weight", { weight: 100 });
    expect(byVersion(await hit(url, 10))).toEqual({ "v1.2.0": 10 });

    const promoted = await adminCall(admin, "POST", "/promote");
    expect(promoted.pools).toEqual({ stable: [green], candidate: [], previous: [blue] });
    expect(promoted.weight).toBe(0);
    expect(promoted.retired).toEqual([]);
    expect(byVersion(await hit(url, 10))).toEqual({ "v1.2.0": 10 });
    await expect(adminCall(admin, "POST", "/promote")).rejects.toMatchObject({ status: 409 });

    const restored = await adminCall(admin, "POST", "/restore-previous");
    expect(restored.pools).toEqual({ stable: [blue], candidate: [], previous: [] });
    expect(restored.retired).toEqual([green]);
    expect(byVersion(await hit(url, 10))).toEqual({ "v1.1.0": 10 });
    await expect(adminCall(admin, "POST", "/restore-previous")).rejects.toMatchObject({ status: 409 });
  });

  it("answers 502 for a dead backend and counts it", async () => {
    const { admin, url } = await router();
    const dead = await service("v1.1.0");
    process.kill(dead.pid, "SIGTERM");
    await eventually("the backend to stop", () => !alive(dead.pid));
    await adminCall(admin, "PUT", "/pool/stable", { members: [dead] });
    expect((await get(url)).status).toBe(502);
    expect((await adminCall(admin, "GET", "/state")).counters).toEqual({ "v1.1.0": { "502": 1 } });
  });

  it("passes enabled flags to a share of requests and rejects bad input", async () => {
    const { admin, url } = await router();
    await adminCall(admin, "PUT", "/pool/stable", { members: [await service("v1.1.0")] });
    const flagged = await adminCall(admin, "PUT", "/flag/new-checkout", { enabled: true, percent: 50 });
    expect(flagged.flags).toEqual({ "new-checkout": { enabled: true, percent: 50 } });
    const answers = await hit(url, 100);
    expect(answers.filter((a) => a.flags?.includes("new-checkout")).length).toBe(50);

    await expect(adminCall(admin, "PUT", "/weight", { weight: 150 })).rejects.toMatchObject({ status: 400 });
    await expect(adminCall(admin, "PUT", "/pool/stable", { members: [{}] })).rejects.toMatchObject({ status: 400 });
    await expect(adminCall(admin, "PUT", "/pool/blue", { members: [] })).rejects.toMatchObject({ status: 404 });
  });

  it("start-stack serves the stable version and everything stops with it", async () => {
    const stack = await startStack("v1.1.0", 2);
    expect(byVersion(await hit(stack.url, 10))).toEqual({ "v1.1.0": 10 });
    const pids = [stack.routerPid, ...stack.stable.map((m) => m.pid)];
    stack.process.child.kill("SIGTERM");
    await stack.process.exited;
    await eventually("router and services to stop", () => pids.every((pid) => !alive(pid)), 5000);
  });
});
