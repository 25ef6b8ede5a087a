import { afterEach, describe, expect, it } from "vitest";
import { parseExposition, type Sample } from "../../src/metrics/exposition.js";
import { adminCall, byVersion, hit, type Member, start, stopAll } from "./stack.js";

async function router() {
  const started = await start("examples/router/router.mjs", ["--port", "0"]);
  const admin = started.line.admin as string;
  return { admin, url: `http://127.0.0.1:${started.line.port}/` };
}

async function service(version: string, instance = 1): Promise<Member> {
  const { line } = await start("examples/service/server.mjs", ["--version", version, "--instance", `${instance}`]);
  return { version, port: line.port as number, pid: line.pid as number, instance };
}

async function metrics(admin: string, path = "/metrics"): Promise<{ status: number; text: string }> {
  const res = await fetch(`${admin}${path}`);
  return { status: res.status, text: await res.text() };
}

function sum(samples: readonly Sample[], name: string, labels: Record<string, string>): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

afterEach(stopAll);

describe("GET /_admin/metrics of examples/router/router.mjs", () => {
  it("serves every member's metrics as one exposition, each sample labelled with its version and backend", async () => {
    const { admin, url } = await router();
    const stable = [await service("v1.1.0", 1), await service("v1.1.0", 2)];
    const canary = await service("v1.3.0-bad");
    await adminCall(admin, "PUT", "/pool/stable", { members: stable });
    await adminCall(admin, "PUT", "/pool/candidate", { members: [canary] });
    await adminCall(admin, "PUT", "/weight", { weight: 50 });
    const answers = await hit(url, 200);
    const state = await adminCall(admin, "GET", "/state");

    const { status, text } = await metrics(admin);
    expect(status).toBe(200);
    const parsed = parseExposition(text);
    expect(parsed.problems).toEqual([]);
    // One HELP and one TYPE per family, whatever the number of backends.
    for (const family of ["http_requests_total", "http_request_duration_seconds", "process_cpu_seconds_total"]) {
      expect(text.split("\n").filter((l) => l.startsWith(`# TYPE ${family} `))).toHaveLength(1);
      expect(text.split("\n").filter((l) => l.startsWith(`# HELP ${family} `))).toHaveLength(1);
    }
    expect(parsed.types.get("http_request_duration_seconds")).toBe("histogram");
    // Every sample names its version and its backend; process metrics gained the version label.
    const backends = new Set([...stable, canary].map((m) => `127.0.0.1:${m.port}`));
    for (const sample of parsed.samples) {
      expect(sample.labels.version, JSON.stringify(sample)).toMatch(/^v1\.(1\.0|3\.0-bad)$/);
      expect(backends.has(sample.labels.backend ?? ""), JSON.stringify(sample)).toBe(true);
    }
    const cpu = parsed.samples.filter((s) => s.name === "process_cpu_seconds_total");
    expect(cpu.map((s) => `${s.labels.version} ${s.labels.backend}`).sort()).toEqual(
      [...stable, canary].map((m) => `${m.version} 127.0.0.1:${m.port}`).sort(),
    );
    // The requests each version counted are the ones the router proxied to it.
    const served = byVersion(answers);
    for (const version of ["v1.1.0", "v1.3.0-bad"]) {
      const counted = sum(parsed.samples, "http_requests_total", { version });
      expect(counted).toBe(served[version] ?? 0);
      const proxied = Object.values(state.counters[version] ?? {}).reduce((a, b) => a + b, 0);
      expect(counted).toBe(proxied);
      expect(sum(parsed.samples, "http_request_duration_seconds_count", { version })).toBe(counted);
    }
    expect(sum(parsed.samples, "http_requests_total", { version: "v1.3.0-bad", status: "500" })).toBeGreaterThan(0);
    expect(sum(parsed.samples, "http_requests_total", { version: "v1.1.0", status: "500" })).toBe(0);
  });

  it("serves one version's members at /_admin/metrics/:version, and 404 for a version nobody runs", async () => {
    const { admin, url } = await router();
    const stable = [await service("v1.1.0", 1), await service("v1.1.0", 2)];
    const canary = await service("v1.2.0");
    await adminCall(admin, "PUT", "/pool/stable", { members: stable });
    await adminCall(admin, "PUT", "/pool/candidate", { members: [canary] });
    await adminCall(admin, "PUT", "/weight", { weight: 25 });
    const served = byVersion(await hit(url, 100));

    const one = await metrics(admin, `/metrics/${encodeURIComponent("v1.1.0")}`);
    expect(one.status).toBe(200);
    const parsed = parseExposition(one.text);
    expect(parsed.problems).toEqual([]);
    expect(new Set(parsed.samples.map((s) => s.labels.version))).toEqual(new Set(["v1.1.0"]));
    expect(new Set(parsed.samples.map((s) => s.labels.backend))).toEqual(
      new Set(stable.map((m) => `127.0.0.1:${m.port}`)),
    );
    expect(sum(parsed.samples, "http_requests_total", {})).toBe(served["v1.1.0"]);

    const missing = await metrics(admin, "/metrics/v9.9.9");
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toEqual({ error: "no member runs v9.9.9" });
  });

  it("leaves out a member that does not answer", async () => {
    const { admin } = await router();
    const alive = await service("v1.1.0", 1);
    // Port 1 refuses connections; the pid is above Linux's largest, so no process has it.
    const gone = { version: "v1.1.0", port: 1, pid: 2 ** 22 + 1, instance: 2 };
    await adminCall(admin, "PUT", "/pool/stable", { members: [alive, gone] });
    const { status, text } = await metrics(admin);
    expect(status).toBe(200);
    const parsed = parseExposition(text);
    expect(parsed.problems).toEqual([]);
    expect(new Set(parsed.samples.map((s) => s.labels.backend))).toEqual(new Set([`127.0.0.1:${alive.port}`]));
  });
});
