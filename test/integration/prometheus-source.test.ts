/*
 * The metric sources against real endpoints: a small HTTP server serves
 * exposition text for three versions of an application (a stable one, a
 * good candidate and a bad one with 20 % errors), a real Prometheus scrapes
 * it every second, and the analysis must fail the bad candidate and pass the
 * good one, through Prometheus and through the scrape source alike.
 *
 * Needs the `prometheus` binary on PATH (Debian: apt-get install -y
 * prometheus); skipped, saying so, when it is absent.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyse, type Check, type Snapshot } from "../../src/domain/analysis.js";
import { PrometheusSource } from "../../src/metrics/prometheus-source.js";
import { ScrapeSource } from "../../src/metrics/scrape-source.js";
import type { SourceSnapshot } from "../../src/metrics/source.js";

function findOnPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

const PROMETHEUS = findOnPath("prometheus");
const SKIP_REASON = "no prometheus binary on PATH; install it with `apt-get install -y prometheus`";
const TITLE =
  PROMETHEUS === undefined
    ? `metric sources against a real Prometheus (SKIPPED: ${SKIP_REASON})`
    : "metric sources against a real Prometheus";
if (PROMETHEUS === undefined) console.warn(`Skipping ${import.meta.url.split("/").pop()}: ${SKIP_REASON}`);

const SERVICE = "web";
const ENVIRONMENT = "staging";
const STABLE = "v1.0.0";
const GOOD = "v1.1.0";
const BAD = "v1.2.0";

interface Behaviour {
  readonly requestsPerSecond: number;
  readonly serverErrors: number;
  readonly notFound: number;
}

const BEHAVIOUR: Readonly<Record<string, Behaviour>> = {
  [STABLE]: { requestsPerSecond: 100, serverErrors: 0, notFound: 0.01 },
  [GOOD]: { requestsPerSecond: 100, serverErrors: 0.005, notFound: 0.01 },
  [BAD]: { requestsPerSecond: 100, serverErrors: 0.2, notFound: 0.01 },
};

/** Cumulative share of requests at or under each bound: p95 is 0.25 s. */
const LATENCY: readonly [string, number][] = [
  ["0.05", 0.5],
  ["0.1", 0.8],
  ["0.25", 0.95],
  ["0.5", 0.99],
  ["+Inf", 1],
];

const MiB = 1024 * 1024;
const WINDOW_SECONDS = 5;

/** What an application of that version would serve after running for `seconds`. */
function exposition(version: string, behaviour: Behaviour, seconds: number): string {
  const total = Math.floor(behaviour.requestsPerSecond * seconds);
  const errors = Math.floor(total * behaviour.serverErrors);
  const notFound = Math.floor(total * behaviour.notFound);
  const v = `version="${version}"`;
  const lines = [
    "# HELP http_requests_total Requests served.",
    "# TYPE http_requests_total counter",
    `http_requests_total{${v},method="GET",status="200"} ${total - errors - notFound}`,
    `http_requests_total{${v},method="GET",status="404"} ${notFound}`,
  ];
  if (errors > 0) lines.push(`http_requests_total{${v},method="GET",status="500"} ${errors}`);
  lines.push("# HELP http_request_duration_seconds Response times.", "# TYPE http_request_duration_seconds histogram");
  for (const [le, share] of LATENCY) {
    lines.push(`http_request_duration_seconds_bucket{${v},le="${le}"} ${Math.floor(total * share)}`);
  }
  lines.push(
    `http_request_duration_seconds_sum{${v}} ${(total * 0.08).toFixed(3)}`,
    `http_request_duration_seconds_count{${v}} ${total}`,
    "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.",
    "# TYPE process_cpu_seconds_total counter",
    `process_cpu_seconds_total{${v}} ${(seconds * 0.1).toFixed(4)}`,
    "# HELP process_resident_memory_bytes Resident memory size in bytes.",
    "# TYPE process_resident_memory_bytes gauge",
    `process_resident_memory_bytes{${v}} ${100 * MiB}`,
    "# HELP process_max_memory_bytes Memory limit in bytes.",
    "# TYPE process_max_memory_bytes gauge",
    `process_max_memory_bytes{${v}} ${1024 * MiB}`,
  );
  return `${lines.join("\n")}\n`;
}

/** Serves `/<version>/metrics` for each version, counters growing with time since start. */
async function startApplication(): Promise<{ server: Server; port: number }> {
  const started = performance.now();
  const server = createServer((request, response) => {
    const match = /^\/([^/]+)\/metrics$/.exec(request.url ?? "");
    const version = match?.[1];
    const behaviour = version === undefined ? undefined : BEHAVIOUR[version];
    if (version === undefined || behaviour === undefined) {
      response.writeHead(404).end("not found\n");
      return;
    }
    const seconds = (performance.now() - started) / 1000;
    response.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
    response.end(exposition(version, behaviour, seconds));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the application server has no port");
  return { server, port: address.port };
}

async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

function prometheusConfig(appPort: number): string {
  const jobs = Object.keys(BEHAVIOUR).map(
    (version) => `  - job_name: app-${version.replaceAll(".", "-")}
    metrics_path: /${version}/metrics
    static_configs:
      - targets: ["127.0.0.1:${appPort}"]
        labels: { service: ${SERVICE}, environment: ${ENVIRONMENT} }`,
  );
  return `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
${jobs.join("\n")}
`;
}

async function waitFor<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

function errorCheck(canary: Snapshot, baseline: Snapshot | undefined): Check | undefined {
  return analyse({ canary, baseline, health: { healthy: true } }).checks.find((check) => check.name === "errorRate");
}

describe.skipIf(PROMETHEUS === undefined)(TITLE, () => {
  let app: { server: Server; port: number };
  let prometheus: ChildProcess | undefined;
  let prometheusUrl = "";
  let workdir = "";
  let output = "";
  const killOnExit = () => prometheus?.kill("SIGKILL");

  beforeAll(async () => {
    if (PROMETHEUS === undefined) return;
    app = await startApplication();
    workdir = mkdtempSync(join(tmpdir(), "slipway-prometheus-"));
    writeFileSync(join(workdir, "prometheus.yml"), prometheusConfig(app.port));
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    const child = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(workdir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(workdir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    prometheus = child;
    process.once("exit", killOnExit);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitFor("Prometheus to be ready", 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${output}`);
      try {
        const response = await fetch(`${prometheusUrl}/-/ready`);
        return response.ok ? true : undefined;
      } catch {
        return undefined;
      }
    });
  });

  afterAll(async () => {
    const child = prometheus;
    if (child !== undefined) {
      child.kill("SIGTERM");
      const stopped = await Promise.race([
        exited(child).then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000)),
      ]);
      if (!stopped) {
        child.kill("SIGKILL");
        await exited(child);
      }
      process.removeListener("exit", killOnExit);
      expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
    }
    if (app !== undefined) await new Promise<void>((resolve) => app.server.close(() => resolve()));
    if (workdir !== "") rmSync(workdir, { recursive: true, force: true });
  });

  /**
   * Snapshots of the candidate and the stable version once Prometheus holds
   * a full window of every target (a sample older than the window) and
   * every measure of both versions.
   */
  async function measured(source: PrometheusSource, version: string): Promise<SourceSnapshot> {
    const targets = Object.keys(BEHAVIOUR).length;
    await waitFor("a full window of scrapes", 30_000, async () => {
      const result = await source.query(
        `count(up{service="${SERVICE}",environment="${ENVIRONMENT}"} offset ${WINDOW_SECONDS + 1}s)`,
      );
      return result.ok && result.value === targets ? true : undefined;
    });
    return waitFor(`Prometheus to have data for ${version}`, 30_000, async () => {
      const result = await source.snapshot({
        version,
        baselineVersion: STABLE,
        service: SERVICE,
        environment: ENVIRONMENT,
      });
      return result.missing.length === 0 ? result : undefined;
    });
  }

  it("reports each version's error rate through the Prometheus API and fails only the bad one", async () => {
    const source = new PrometheusSource({ url: prometheusUrl, window: `${WINDOW_SECONDS}s`, timeoutMs: 5000 });

    const bad = await measured(source, BAD);
    expect(bad.canary.errorRate).toBeGreaterThan(0.19);
    expect(bad.canary.errorRate).toBeLessThan(0.21);
    expect(bad.baseline?.errorRate).toBe(0);
    expect(bad.canary.requestRate).toBeGreaterThan(85);
    expect(bad.canary.requestRate).toBeLessThan(115);
    expect(bad.canary.p95Seconds).toBeGreaterThan(0.22);
    expect(bad.canary.p95Seconds).toBeLessThan(0.28);
    expect(bad.canary.cpu).toBeGreaterThan(0.08);
    expect(bad.canary.cpu).toBeLessThan(0.12);
    expect(bad.canary.memory).toBeCloseTo(100 / 1024, 10);

    const badVerdict = analyse({ canary: bad.canary, baseline: bad.baseline, health: { healthy: true } });
    expect(badVerdict.outcome).toBe("fail");
    expect(errorCheck(bad.canary, bad.baseline)?.status).toBe("fail");
    expect(badVerdict.summary).toMatch(/^rollback triggered: error rate (19\.\d|20(\.\d)?)% vs baseline 0%/);

    const good = await measured(source, GOOD);
    expect(good.canary.errorRate).toBeGreaterThan(0.002);
    expect(good.canary.errorRate).toBeLessThan(0.008);
    const goodVerdict = analyse({ canary: good.canary, baseline: good.baseline, health: { healthy: true } });
    expect(goodVerdict.checks.filter((check) => check.status !== "pass")).toEqual([]);
    expect(goodVerdict.outcome).toBe("pass");
  });

  it("reports a version Prometheus has never seen as missing, so the analysis is inconclusive", async () => {
    const source = new PrometheusSource({ url: prometheusUrl, window: `${WINDOW_SECONDS}s` });
    const result = await source.snapshot({
      version: "v9.9.9",
      baselineVersion: STABLE,
      service: SERVICE,
      environment: ENVIRONMENT,
    });
    expect(result.missing.length).toBeGreaterThanOrEqual(5);
    expect(result.missing.some((line) => line.startsWith("canary v9.9.9 requestRate: no data"))).toBe(true);
    const verdict = analyse({
      canary: result.canary,
      baseline: result.baseline,
      missing: result.missing,
      health: { healthy: true },
    });
    expect(verdict.outcome).toBe("inconclusive");
  });

  it("reports a query Prometheus refuses as missing", async () => {
    const source = new PrometheusSource({
      url: prometheusUrl,
      queries: { cpu: "sum(rate(process_cpu_seconds_total[" },
    });
    const result = await source.snapshot({ version: GOOD, service: SERVICE, environment: ENVIRONMENT });
    expect(result.missing.find((line) => line.startsWith(`canary ${GOOD} cpu:`))).toMatch(
      /HTTP 400: Prometheus refused the query: bad_data: /,
    );
  });

  it("reads the same error rates by scraping the application directly", async () => {
    const url = (version: string) => `http://127.0.0.1:${app.port}/${version}/metrics`;
    const source = new ScrapeSource({
      targets: { [BAD]: url(BAD), [GOOD]: url(GOOD), stable: url(STABLE) },
      intervalMs: 2000,
    });
    const bad = await source.snapshot({
      version: BAD,
      baselineVersion: STABLE,
      service: SERVICE,
      environment: ENVIRONMENT,
    });
    expect(bad.missing).toEqual([]);
    expect(bad.canary.errorRate).toBeGreaterThan(0.185);
    expect(bad.canary.errorRate).toBeLessThan(0.215);
    expect(bad.baseline?.errorRate).toBe(0);
    expect(bad.canary.p95Seconds).toBeGreaterThan(0.22);
    expect(bad.canary.p95Seconds).toBeLessThan(0.28);
    expect(analyse({ canary: bad.canary, baseline: bad.baseline, health: { healthy: true } }).outcome).toBe("fail");

    const good = await source.snapshot({
      version: GOOD,
      baselineVersion: STABLE,
      service: SERVICE,
      environment: ENVIRONMENT,
    });
    expect(good.missing).toEqual([]);
    expect(good.canary.errorRate).toBeLessThan(0.02);
    expect(analyse({ canary: good.canary, baseline: good.baseline, health: { healthy: true } }).outcome).toBe("pass");
  });
});
