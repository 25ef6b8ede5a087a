import { afterEach, describe, expect, it } from "vitest";
import { eventually } from "../support/eventually.js";
import { alive, get, hit, start, stopAll } from "./stack.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition format into samples and declared types. */
function parseMetrics(text: string): { samples: Sample[]; types: Record<string, string> } {
  const samples: Sample[] = [];
  const types: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types[type[1] as string] = type[2] as string;
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)) labels[key as string] = value as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return { samples, types };
}

async function scrape(port: number) {
  const { status, body } = await get(`http://127.0.0.1:${port}/metrics`);
  expect(status).toBe(200);
  return parseMetrics(body);
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function service(version: string) {
  const started = await start("examples/service/server.mjs", ["--version", version, "--port", "0"]);
  return { ...started, port: started.line.port as number, pid: started.line.pid as number };
}

afterEach(stopAll);

describe("examples/service/server.mjs", () => {
  it("serves its version, its health and Prometheus metrics", async () => {
    const { port } = await service("v1.2.0");
    const home = await get(`http://127.0.0.1:${port}/`);
    expect(home).toMatchObject({ status: 200, version: "v1.2.0" });
    expect((await get(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    await hit(`http://127.0.0.1:${port}/`, 19, 5);

    const { samples, types } = await scrape(port);
    expect(types).toMatchObject({
      http_requests_total: "counter",
      http_request_duration_seconds: "histogram",
      process_cpu_seconds_total: "counter",
      process_resident_memory_bytes: "gauge",
      process_max_memory_bytes: "gauge",
    });
    expect(value(samples, "http_requests_total", { version: "v1.2.0", status: "200" })).toBe(20);
    const buckets = samples.filter((s) => s.name === "http_request_duration_seconds_bucket");
    const bounds = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf"];
    expect(buckets.map((b) => b.labels.le)).toEqual(bounds);
    expect(buckets.every((b) => b.labels.version === "v1.2.0")).toBe(true);
    expect(buckets.map((b) => b.value)).toEqual([...buckets.map((b) => b.value)].sort((a, b) => a - b));
    expect(value(samples, "http_request_duration_seconds_count")).toBe(20);
    expect(value(samples, "http_request_duration_seconds_sum")).toBeGreaterThan(0.2);
    expect(value(samples, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(value(samples, "process_resident_memory_bytes")).toBeGreaterThan(10 * 1024 * 1024);
    expect(value(samples, "process_max_memory_bytes")).toBe(256 * 1024 * 1024);
  });

  it("a bad version answers about 20% of requests with 500", async () => {
    const { port } = await service("v1.3.0-bad");
    const answers = await hit(`http://127.0.0.1:${port}/`, 500);
    const errors = answers.filter((a) => a.status === 500).length;
    expect(errors / 500).toBeGreaterThan(0.14);
    expect(errors / 500).toBeLessThan(0.26);
    const { samples } = await scrape(port);
    expect(value(samples, "http_requests_total", { status: "500" })).toBe(errors);
    expect(value(samples, "http_requests_total", { status: "200" })).toBe(500 - errors);
  });

  // Only the delays the server itself adds are asserted: how fast a loaded machine answers is a benchmark's question.
  it("a slow version adds its delay to every request", async () => {
    const [normal, slow] = await Promise.all([service("v1.2.0"), service("v1.2.0-slow")]);
    await Promise.all([hit(`http://127.0.0.1:${normal.port}/`, 60, 10), hit(`http://127.0.0.1:${slow.port}/`, 60, 10)]);
    const [n, s] = [(await scrape(normal.port)).samples, (await scrape(slow.port)).samples];
    const mean = (samples: Sample[]) =>
      (value(samples, "http_request_duration_seconds_sum") as number) /
      (value(samples, "http_request_duration_seconds_count") as number);
    expect(mean(s)).toBeGreaterThan(mean(n));
    expect(value(s, "http_request_duration_seconds_bucket", { le: "0.025" })).toBe(0);
    expect(value(n, "http_request_duration_seconds_bucket", { le: "0.005" })).toBe(0);
  });

  it("an unhealthy version fails /healthz but still serves /", async () => {
    const { port } = await service("v1.4.0-unhealthy");
    expect((await get(`http://127.0.0.1:${port}/healthz`)).status).toBe(503);
    expect((await get(`http://127.0.0.1:${port}/`)).status).toBe(200);
  });

  it("a leak version's resident memory grows and a cpu version burns CPU", async () => {
    const [leak, cpu] = await Promise.all([service("v1.5.0-leak"), service("v1.5.0-cpu")]);
    const rss = async () => value((await scrape(leak.port)).samples, "process_resident_memory_bytes") as number;
    const cpuSeconds = async () => value((await scrape(cpu.port)).samples, "process_cpu_seconds_total") as number;
    const [rss0, cpu0] = [await rss(), await cpuSeconds()];
    await eventually("leak memory to grow by 10 MiB", async () => (await rss()) > rss0 + 10 * 1024 * 1024);
    await eventually("cpu to use 0.5 s of CPU", async () => (await cpuSeconds()) > cpu0 + 0.5);
  });

  it("stops on SIGTERM and when the process it watches is gone", async () => {
    const keeper = await start("examples/service/server.mjs", ["--version", "v0.0.1"]);
    const watcher = await start("examples/service/server.mjs", [
      "--version",
      "v0.0.2",
      "--parent",
      `${keeper.line.pid}`,
    ]);
    keeper.child.kill("SIGTERM");
    expect(await keeper.exited).toBe(0);
    expect(await watcher.exited).toBe(0);
    expect(alive(watcher.line.pid as number)).toBe(false);
  });
});
