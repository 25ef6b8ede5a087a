import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { expect } from "vitest";
import type { Deployment } from "../../src/domain/deployment.js";
import { isFinal } from "../../src/domain/deployment-state.js";
import { queueOptions } from "../../src/engine/queues.js";
import { FakeSlack } from "../../src/standin/fake-slack.js";
import type { FakeSlackOptions } from "../../src/standin/stand-in-state.js";
import { deleteKeys } from "../../src/store/delete-keys.js";
import { DeploymentStore } from "../../src/store/deployment-store.js";
import { connectRedis, type RedisClient } from "../../src/store/redis.js";
import { ChatOps, deploymentIdIn } from "./chat-ops.js";
import { eventually } from "./eventually.js";
import { manifestDir } from "./manifest-fixture.js";
import { uniquePrefix } from "./redis.js";
import { type LogLine, SlipwayProcess } from "./slipway-process.js";

/*
 * Slipway as it runs in production, for resilience tests: one `slipway app`
 * taking Slack requests (HTTP mode, from the stand-in) and any number of
 * `slipway worker` processes, sharing nothing but Redis, a key prefix, the
 * manifests and the example target's state directory (so the ledger of
 * completed actions is one file for every worker). Workers can be killed,
 * stopped and replaced, and so can the whole fleet at once (`stopAll`, then
 * `startAll`: new processes on the same Redis, prefix and state, the same
 * stand-in); their logs are kept after they are gone.
 */

export const FLEET_BOT_TOKEN = "xoxb-fleet-0000-resilience-token";
export const FLEET_SIGNING_SECRET = "fleet-signing-secret-3b1f9c";

export interface FleetOptions {
  readonly label: string;
  /** File name → YAML, written to a temp directory; or `dir`, an existing manifests directory (kept). */
  readonly manifests: Readonly<Record<string, string>> | { readonly dir: string };
  readonly redisUrl: string;
  /** How many `slipway worker` processes besides the app; 0 runs one `slipway all` instead. */
  readonly workers: number;
  /** The first process's role. @default "all" with no workers, else "app" */
  readonly role?: "app" | "all";
  /** More variables for every process. */
  readonly env?: Readonly<Record<string, string>>;
  /** More variables for the worker processes only (SLIPWAY_EXAMPLE_DELAY_MS, concurrency). */
  readonly workerEnv?: Readonly<Record<string, string>>;
  readonly slack?: Partial<FakeSlackOptions>;
}

/** One line of the example target's ledger: an action completed for an idempotency key. */
export interface LedgerEntry {
  readonly key: string;
  readonly action: string;
  readonly at: string;
  readonly service: string;
  readonly environment: string;
  readonly version: string;
}

export class SlipwayFleet {
  readonly chat: ChatOps;
  readonly store: DeploymentStore;
  /** Workers running now, oldest first. */
  readonly workers: SlipwayProcess[] = [];
  /** Every process ever started (the first app first), alive or not, for their logs. */
  readonly processes: SlipwayProcess[] = [];
  private app_: SlipwayProcess;

  private constructor(
    readonly slack: FakeSlack,
    app: SlipwayProcess,
    private readonly role: "app" | "all",
    readonly redis: RedisClient,
    readonly prefix: string,
    readonly exampleState: string,
    /** Removed by close(): the temp directory the manifests were written to. */
    private readonly manifestsDir: string | undefined,
    private readonly env: Readonly<Record<string, string>>,
    private readonly workerEnv: Readonly<Record<string, string>>,
  ) {
    this.chat = new ChatOps(slack);
    this.store = new DeploymentStore(redis, prefix);
    this.app_ = app;
    this.processes.push(app);
  }

  /** The process taking Slack's requests: the first one, or the one `startAll` started last. */
  get app(): SlipwayProcess {
    return this.app_;
  }

  static async start(options: FleetOptions): Promise<SlipwayFleet> {
    const prefix = uniquePrefix(options.label);
    const existing = "dir" in options.manifests ? (options.manifests.dir as string) : undefined;
    const dir = existing ?? (await manifestDir(options.manifests as Record<string, string>));
    const exampleState = await mkdtemp(join(tmpdir(), "slipway-fleet-state-"));
    const slack = await FakeSlack.start({
      botToken: FLEET_BOT_TOKEN,
      signingSecret: FLEET_SIGNING_SECRET,
      mode: "http",
      ...options.slack,
    });
    const env = {
      SLACK_BOT_TOKEN: FLEET_BOT_TOKEN,
      SLACK_API_URL: slack.apiUrl,
      SLACK_SIGNING_SECRET: FLEET_SIGNING_SECRET,
      REDIS_URL: options.redisUrl,
      SLIPWAY_KEY_PREFIX: prefix,
      SLIPWAY_MANIFESTS: dir,
      SLIPWAY_EXAMPLE_STATE: exampleState,
      ...options.env,
    };
    const workerEnv = options.workerEnv ?? {};
    // Connected as Slipway connects (a Sentinel URL too); its commands wait out a restart or failover.
    const redis = connectRedis(options.redisUrl, "worker");
    // A test that restarts Redis sees connection errors; commands wait for the reconnect.
    redis.on("error", () => undefined);
    const role = options.role ?? (options.workers === 0 ? "all" : "app");
    let app: SlipwayProcess;
    try {
      app = await SlipwayProcess.start(role, role === "all" ? { ...env, ...workerEnv } : env);
    } catch (error) {
      await slack.close();
      redis.disconnect();
      if (!existing) await rm(dir, { recursive: true, force: true });
      await rm(exampleState, { recursive: true, force: true });
      throw error;
    }
    slack.setEventsUrl(app.eventsUrl);
    const fleet = new SlipwayFleet(
      slack,
      app,
      role,
      redis,
      prefix,
      exampleState,
      existing ? undefined : dir,
      env,
      workerEnv,
    );
    try {
      for (let i = 0; i < options.workers; i += 1) await fleet.addWorker();
    } catch (error) {
      await fleet.close();
      throw error;
    }
    return fleet;
  }

  /** Starts one more `slipway worker`; resolves once it has started. */
  async addWorker(extraEnv: Readonly<Record<string, string>> = {}): Promise<SlipwayProcess> {
    const worker = await SlipwayProcess.start("worker", { ...this.env, ...this.workerEnv, ...extraEnv });
    this.workers.push(worker);
    this.processes.push(worker);
    return worker;
  }

  /** Sends `signal` to a worker; for SIGKILL waits until it has gone and drops it from `workers`. */
  async signal(worker: SlipwayProcess, signal: NodeJS.Signals): Promise<number> {
    const at = Date.now();
    const pid = worker.child.pid;
    if (pid === undefined) throw new Error("the worker has no pid");
    process.kill(pid, signal);
    if (signal === "SIGKILL") {
      await worker.exited;
      this.workers.splice(this.workers.indexOf(worker), 1);
    }
    return at;
  }

  /**
   * Stops every live process at once and resolves when all have exited.
   * SIGTERM lets each shut down gracefully (the caller checks the exit
   * codes); SIGKILL leaves everything as a crash would: job locks held,
   * connections dropped, nothing cleaned up.
   */
  async stopAll(signal: "SIGTERM" | "SIGKILL"): Promise<{ process: SlipwayProcess; code: number | null }[]> {
    const live = this.processes.filter(isLive);
    const stopped = await Promise.all(
      live.map(async (p) => {
        if (signal === "SIGTERM") return { process: p, code: await p.stop() };
        p.child.kill("SIGKILL");
        return { process: p, code: await p.exited };
      }),
    );
    this.workers.length = 0;
    return stopped;
  }

  /**
   * After `stopAll`: starts a new first process (the same role as before) and
   * `workers` new workers, all at once, with the same environment; Slack's
   * requests go to the new app from then on. Resolves with the new processes.
   */
  async startAll(workers: number): Promise<SlipwayProcess[]> {
    const running = this.processes.filter(isLive);
    if (running.length > 0) throw new Error(`${running.length} Slipway process(es) still running; stopAll first`);
    const appEnv = this.role === "all" ? { ...this.env, ...this.workerEnv } : this.env;
    const [app, ...started] = await Promise.allSettled([
      SlipwayProcess.start(this.role, appEnv),
      ...Array.from({ length: workers }, () => SlipwayProcess.start("worker", { ...this.env, ...this.workerEnv })),
    ]);
    // Whatever did start is tracked, so that close() stops it even if another failed.
    const fresh = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    if (app?.status === "fulfilled") this.processes.push(app.value);
    this.workers.push(...fresh);
    this.processes.push(...fresh);
    const failed = [app, ...started].find((s) => s?.status === "rejected");
    if (failed?.status === "rejected") throw failed.reason;
    if (app?.status !== "fulfilled") throw new Error("no app process started");
    this.app_ = app.value;
    this.slack.setEventsUrl(app.value.eventsUrl);
    return [app.value, ...fresh];
  }

  /** Every log line of every process, in arrival order per process. */
  logs(predicate: (line: LogLine) => boolean = () => true): { process: SlipwayProcess; line: LogLine }[] {
    return this.processes.flatMap((p) => p.logs.filter(predicate).map((line) => ({ process: p, line })));
  }

  /** `/deploy <text>` typed by `userId` in `channel`; the id of the deployment it queued. */
  async deploy(userId: string, channel: string, text: string): Promise<string> {
    const answer = await this.chat.command(userId, channel, "/deploy", text);
    if (!answer.startsWith("Queued `")) throw new Error(`/deploy ${text} was not queued: ${answer}`);
    return deploymentIdIn(answer);
  }

  /** Resolves once every deployment has reached a final state; the records, in the order of `ids`. */
  async allFinal(ids: readonly string[], timeoutMs: number): Promise<Deployment[]> {
    return eventually(
      `all of ${ids.length} deployments to reach a final state`,
      async () => {
        const found = await Promise.all(ids.map((id) => this.store.require(id)));
        const open = found.filter((d) => !isFinal(d.state));
        if (open.length === 0) return found;
        return new Error(
          `${open.length} still open: ${open
            .map((d) => `${d.id} ${d.state} ${d.stages.map((s) => `${s.name}:${s.status}/${s.attempts}`).join(",")}`)
            .join("; ")}`,
        );
      },
      timeoutMs,
      200,
    );
  }

  /** The example target's ledger of completed actions. */
  async ledger(): Promise<LedgerEntry[]> {
    const text = await readFile(join(this.exampleState, "ledger.jsonl"), "utf8").catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return "";
        throw error;
      },
    );
    return text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as LedgerEntry);
  }

  /** Ledger entries recorded more than once for the same idempotency key and action. */
  async ledgerRepeats(): Promise<{ key: string; action: string; times: number }[]> {
    const counts = new Map<string, number>();
    for (const entry of await this.ledger()) {
      const id = `${entry.key}\u0000${entry.action}`;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return [...counts.entries()]
      .filter(([, times]) => times > 1)
      .map(([id, times]) => {
        const [key = "", action = ""] = id.split("\u0000");
        return { key, action, times };
      });
  }

  /** A BullMQ queue handle on this fleet's queues (the caller closes it). */
  queue(name: "pipeline" | "notify"): Queue {
    return new Queue(name, queueOptions(this.redis, this.prefix, name));
  }

  /** Stops every live process (each must exit 0), the stand-in, and removes the fleet's keys and files. */
  async close(): Promise<{ process: SlipwayProcess; code: number | null }[]> {
    const live = this.processes.filter(isLive);
    // A stopped process cannot act on SIGTERM until it is continued.
    for (const p of live) if (p.child.pid !== undefined) process.kill(p.child.pid, "SIGCONT");
    const codes = await Promise.all(live.map(async (p) => ({ process: p, code: await p.stop() })));
    await this.slack.close();
    await deleteKeys(this.redis, this.prefix).catch(() => undefined);
    this.redis.disconnect();
    if (this.manifestsDir) await rm(this.manifestsDir, { recursive: true, force: true });
    await rm(this.exampleState, { recursive: true, force: true });
    return codes;
  }
}

/** Closes a suite's fleet (when it started) and expects each of its processes to have exited 0. */
export async function closeFleet(fleet: SlipwayFleet | undefined): Promise<void> {
  const codes = (await fleet?.close()) ?? [];
  for (const { process, code } of codes) expect(code, process.describe()).toBe(0);
}

function isLive(p: SlipwayProcess): boolean {
  return p.child.exitCode === null && p.child.signalCode === null;
}
