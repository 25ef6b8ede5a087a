import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { eventually } from "./eventually.js";

/*
 * A real Prometheus server for one test file: its own configuration, data
 * directory and free port, scraping every second. Needs the `prometheus`
 * binary (Debian: apt-get install -y prometheus); `findPrometheus()` says
 * whether it is there so a test can skip, saying why.
 */

export const PROMETHEUS_SKIP_REASON = "no prometheus binary on PATH; install it with `apt-get install -y prometheus`";

/** The prometheus binary: on PATH, else Debian's /usr/bin/prometheus; undefined when neither exists. */
export function findPrometheus(): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/bin"].filter((dir) => dir !== "");
  for (const dir of dirs) {
    const candidate = join(dir, "prometheus");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

export interface ScrapeJob {
  readonly name: string;
  /** `host:port` */
  readonly target: string;
  readonly metricsPath: string;
  /** Target labels added to every series, e.g. { service, environment }. */
  readonly labels: Readonly<Record<string, string>>;
}

function config(jobs: readonly ScrapeJob[]): string {
  const scrapeConfigs = jobs.map(
    (job) => `  - job_name: ${JSON.stringify(job.name)}
    metrics_path: ${JSON.stringify(job.metricsPath)}
    static_configs:
      - targets: [${JSON.stringify(job.target)}]
        labels: ${JSON.stringify(job.labels)}`,
  );
  return `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
${scrapeConfigs.join("\n")}
`;
}

/** One number from an instant query, or undefined when the answer is empty or not a number. */
type QueryValue = number | undefined;

export class PrometheusServer {
  private output = "";

  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    const keep = (chunk: Buffer) => {
      this.output = `${this.output}${chunk.toString()}`.slice(-8_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
  }

  /** Starts Prometheus scraping `jobs` every second and resolves once it is ready. */
  static async start(binary: string, jobs: readonly ScrapeJob[]): Promise<PrometheusServer> {
    const dir = await mkdtemp(join(tmpdir(), "slipway-prometheus-"));
    await writeFile(join(dir, "prometheus.yml"), config(jobs));
    const port = await freePort();
    const child = spawn(
      binary,
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const server = new PrometheusServer(`http://127.0.0.1:${port}`, child, dir);
    // Never outlive the test process, even when it dies without cleaning up.
    const kill = () => child.kill("SIGKILL");
    process.once("exit", kill);
    child.once("exit", () => process.off("exit", kill));
    try {
      await eventually(
        "Prometheus to be ready",
        async () => {
          if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${server.output}`);
          const res = await fetch(`${server.url}/-/ready`, { signal: AbortSignal.timeout(2_000) }).catch(
            () => undefined,
          );
          await res?.arrayBuffer();
          return res?.ok ? true : new Error(`not ready yet; output: ${server.output.slice(-500)}`);
        },
        30_000,
        100,
      );
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** An instant query's single value. */
  async query(promql: string): Promise<QueryValue> {
    const res = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: promql })}`, {
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await res.json()) as {
      status: string;
      data?: { resultType: string; result: { value: [number, string] }[] | [number, string] };
    };
    if (body.status !== "success" || !body.data) return undefined;
    const { resultType, result } = body.data;
    const text =
      resultType === "scalar"
        ? (result as [number, string])[1]
        : (result as { value: [number, string] }[])[0]?.value[1];
    const value = text === undefined ? Number.NaN : Number(text);
    return Number.isFinite(value) ? value : undefined;
  }

  /** Resolves once `promql` gives a number for which `accept` holds. */
  until(what: string, promql: string, accept: (value: number) => boolean, timeoutMs = 30_000): Promise<number> {
    return eventually(
      `Prometheus to show ${what}`,
      async () => {
        const value = await this.query(promql);
        return value !== undefined && accept(value) ? value : new Error(`${promql} = ${value ?? "no data"}`);
      },
      timeoutMs,
      250,
    );
  }

  describe(): string {
    return this.output;
  }

  /** SIGTERM (SIGKILL after 10 s), then removes its data. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
