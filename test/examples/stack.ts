import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "../support/eventually.js";
import { adminCall, alive, type Member, type StartedScript, startScript } from "../support/sample-stack.js";
import { ROOT } from "../support/slipway-process.js";

export { adminCall, alive, type Member, type RouterState } from "../support/sample-stack.js";
export { ROOT } from "../support/slipway-process.js";

const running: StartedScript[] = [];
const routers = new Set<string>();
const pids = new Set<number>();

/** Starts `node <script> …args` (see startScript), remembered so that stopAll stops it and what it started. */
export async function start(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  key = "ready",
): Promise<StartedScript> {
  const started = await startScript(script, args, key, env);
  running.push(started);
  if (typeof started.line.pid === "number") pids.add(started.line.pid);
  return started;
}

export interface Stack {
  admin: string;
  url: string;
  routerPid: number;
  stable: Member[];
  state: string;
  /** The variables a target script needs to drive this stack. */
  env: Record<string, string>;
  process: StartedScript;
}

/** Starts examples/router/start-stack.mjs in a fresh state directory. */
export async function startStack(version = "v1.1.0", instances = 2): Promise<Stack> {
  const state = await mkdtemp(join(tmpdir(), "slipway-stack-"));
  const stack = await start("examples/router/start-stack.mjs", ["--version", version, "--instances", `${instances}`], {
    SLIPWAY_EXAMPLE_STATE: state,
  });
  const { admin, url, routerPid, stable } = stack.line as {
    admin: string;
    url: string;
    routerPid: number;
    stable: Member[];
  };
  routers.add(admin);
  pids.add(routerPid);
  const env = { SLIPWAY_EXAMPLE_STATE: state, SLIPWAY_EXAMPLE_ROUTER: admin, SLIPWAY_SERVICE: "example" };
  return { admin, url, routerPid, stable, state, env, process: stack };
}

/** Stops every process a test started and waits until they, and every service they ran, are gone. */
export async function stopAll(): Promise<void> {
  for (const admin of routers) {
    const state = await adminCall(admin, "GET", "/state").catch(() => undefined);
    for (const member of Object.values(state?.pools ?? {}).flat()) pids.add(member.pid);
  }
  for (const { child } of running) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  await Promise.all(running.map((started) => started.exited));
  await eventually("every example process to stop", () => [...pids].every((pid) => !alive(pid)), 5000);
  running.length = 0;
  routers.clear();
  pids.clear();
}

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a target script to completion, as Slipway's command target does, with `env` only. */
export function runScript(script: string, env: Record<string, string>): Promise<ScriptResult> {
  const child = spawn(process.execPath, [join(ROOT, "examples", "targets", script)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
  return new Promise((resolve) =>
    child.on("close", (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    ),
  );
}

/** Runs a target script and fails with its output unless it exits 0. */
export async function mustRun(script: string, env: Record<string, string>): Promise<ScriptResult> {
  const result = await runScript(script, env);
  if (result.code !== 0) throw new Error(`${script} exited ${result.code}:\n${result.stdout}${result.stderr}`);
  return result;
}

export interface Answer {
  status: number;
  body: string;
  version?: string;
  instance?: number;
  flags?: string[];
}

const agent = new http.Agent({ keepAlive: true });

export function get(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString();
          let parsed: Partial<Answer> = {};
          try {
            parsed = JSON.parse(body) as Partial<Answer>;
          } catch {}
          resolve({ ...parsed, status: res.statusCode ?? 0, body });
        });
      })
      .on("error", reject);
  });
}

/** Sends `count` GET requests, `concurrency` at a time. */
export async function hit(url: string, count: number, concurrency = 20): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      answers.push(await get(url));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return answers;
}

/** How many answers came from each version. */
export function byVersion(answers: Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) counts[answer.version ?? "none"] = (counts[answer.version ?? "none"] ?? 0) + 1;
  return counts;
}

export function ledger(state: string): { key: string; action: string; version: string; [field: string]: unknown }[] {
  try {
    return readFileSync(join(state, "ledger.jsonl"), "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line));
  } catch {
    return [];
  }
}
