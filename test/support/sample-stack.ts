import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { eventually } from "./eventually.js";
import { ROOT } from "./slipway-process.js";

/*
 * The sample stack of examples/ (router + service processes) and its load
 * generator, as child processes of the test, for tests that deploy to it
 * through Slipway. Target scripts find the router through
 * SLIPWAY_EXAMPLE_ROUTER = `admin`.
 */

export interface Member {
  version: string;
  port: number;
  pid: number;
  instance: number;
  replaces?: string;
}

export interface RouterState {
  pid: number;
  admin: string;
  pools: { stable: Member[]; candidate: Member[]; previous: Member[] };
  weight: number;
  flags: Record<string, { enabled: boolean; percent: number }>;
  /** Proxied answers per version and status since the last reset. */
  counters: Record<string, Record<string, number>>;
  total: number;
  /** After a pool change: the members it took out, for the caller to stop. */
  retired?: Member[];
}

/** Whether `pid` runs; a zombie counts as gone. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return true;
  }
}

export interface StartedScript {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: string[];
  /** The first JSON line with `key` set. */
  line: Record<string, unknown>;
}

/**
 * Starts `node <script> …args` from the repository root with only PATH and
 * `env`; resolves with its first JSON line that has `key` set.
 */
export async function startScript(
  script: string,
  args: readonly string[],
  key: string,
  env: Record<string, string> = {},
): Promise<StartedScript> {
  const child = spawn(process.execPath, [join(ROOT, script), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  createInterface({ input: child.stderr }).on("line", (line) => output.push(line));
  const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (text) => {
      output.push(text);
      if (!text.startsWith("{")) return;
      const parsed = JSON.parse(text) as Record<string, unknown>;
      if (parsed[key]) resolve(parsed);
    });
    void exited.then((code) =>
      reject(new Error(`${script} exited with ${code} before starting:\n${output.join("\n")}`)),
    );
  });
  return { child, exited, output, line };
}

/** Calls the router's admin API; throws with its answer (and the HTTP `status`) if it refuses. */
export async function adminCall(admin: string, method: string, path: string, body?: unknown): Promise<RouterState> {
  const res = await fetch(`${admin}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5_000),
  });
  const answer = (await res.json()) as RouterState & { error?: string };
  if (!res.ok) {
    throw Object.assign(new Error(`router ${method} ${path}: ${res.status} ${answer.error}`), { status: res.status });
  }
  return answer;
}

export interface SampleStack {
  /** `http://127.0.0.1:N/_admin`: pass as SLIPWAY_EXAMPLE_ROUTER. */
  readonly admin: string;
  /** Where traffic goes in. */
  readonly url: string;
  readonly routerPid: number;
  /** The instances it started with. */
  readonly stable: readonly Member[];
  state(): Promise<RouterState>;
  /** `{ "1": "v1.1.0", … }`: what each stable instance runs. */
  instances(): Promise<Record<string, string>>;
  /** Stops the router and waits until it and every service process it ever had in a pool are gone. */
  stop(): Promise<void>;
}

/** Starts examples/router/start-stack.mjs (`version` × `instances` behind the router) in a fresh state directory. */
export async function startSampleStack(version = "v1.1.0", instances = 3): Promise<SampleStack> {
  const stateDir = await mkdtemp(join(tmpdir(), "slipway-stack-"));
  const started = await startScript(
    "examples/router/start-stack.mjs",
    ["--version", version, "--instances", `${instances}`, "--state", stateDir],
    "ready",
  );
  const { admin, url, routerPid, stable } = started.line as {
    admin: string;
    url: string;
    routerPid: number;
    stable: Member[];
  };
  const seen = new Set<number>([routerPid, ...stable.map((m) => m.pid)]);
  const state = async () => {
    const s = await adminCall(admin, "GET", "/state");
    for (const member of Object.values(s.pools).flat()) seen.add(member.pid);
    return s;
  };
  return {
    admin,
    url,
    routerPid,
    stable,
    state,
    async instances() {
      const s = await state();
      return Object.fromEntries(s.pools.stable.map((m) => [String(m.instance), m.version]));
    },
    async stop() {
      await state().catch(() => undefined);
      if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill("SIGTERM");
      await started.exited;
      // Service processes watch the router and stop within about a second of it going.
      await eventually("every sample-stack process to stop", () => [...seen].every((pid) => !alive(pid)), 8_000);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export interface LoadReport {
  sent: number;
  ok: number;
  failed: number;
  byStatus: Record<string, number>;
  byVersion: Record<string, number>;
  failures: string[];
  latencyMs: { p50: number | null; p95: number | null; max: number | null };
  durationMs: number;
}

export interface Load {
  /** Ends the load (SIGTERM) and resolves with its report. */
  stop(): Promise<LoadReport>;
}

/** Starts examples/load/load.mjs sending `rps` GET requests a second to `url` until stopped (at most 5 minutes). */
export async function startLoad(url: string, rps: number): Promise<Load> {
  const dir = await mkdtemp(join(tmpdir(), "slipway-load-"));
  const report = join(dir, "report.json");
  const started = await startScript(
    "examples/load/load.mjs",
    ["--url", url, "--rps", `${rps}`, "--duration", "300s", "--timeout", "5s", "--report", report],
    "started",
  );
  return {
    async stop() {
      started.child.kill("SIGTERM");
      const code = await started.exited;
      if (code !== 0) throw new Error(`load.mjs exited with ${code}:\n${started.output.join("\n")}`);
      const parsed = JSON.parse(await readFile(report, "utf8")) as LoadReport;
      await rm(dir, { recursive: true, force: true });
      return parsed;
    },
  };
}

/** One GET through the router: status, and the `version` and feature `flags` the service answered with. */
export function getVersion(url: string): Promise<{ status: number; version: string | undefined; flags: string[] }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          let body: { version?: string; flags?: string[] } = {};
          try {
            body = JSON.parse(Buffer.concat(chunks).toString()) as typeof body;
          } catch {
            body = {};
          }
          resolve({ status: res.statusCode ?? 0, version: body.version, flags: body.flags ?? [] });
        });
      })
      .on("error", reject);
  });
}

/** How many of `count` requests each version answered (sequentially, so the router's even spread shows). */
export async function versionsServing(url: string, count: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const { status, version } = await getVersion(url);
    const key = status === 200 ? (version ?? "none") : `HTTP ${status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** How many of `count` sequential requests the router sent with feature flag `flag` on. */
export async function flaggedCount(url: string, count: number, flag: string): Promise<number> {
  let flagged = 0;
  for (let i = 0; i < count; i++) {
    if ((await getVersion(url)).flags.includes(flag)) flagged += 1;
  }
  return flagged;
}
