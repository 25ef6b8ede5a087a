import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Redis } from "ioredis";
import { eventually } from "./eventually.js";
import { freePort, PrivateRedis } from "./private-redis.js";

/*
 * A Sentinel-watched Redis of one test's own: a master and a replica
 * (`redis-server`) and three `redis-sentinel` processes (quorum two), each
 * on a free port in a temp directory. `start()` resolves once the replica
 * is in sync and every Sentinel knows the replica and the two other
 * Sentinels, so that killing the master is followed by a failover.
 * `failover()` kills the master and resolves on the Sentinels'
 * `+switch-master`.
 */

export const MASTER_NAME = "slipway-master";
/** How long the master must be silent before the Sentinels call it down. */
const DOWN_AFTER_MS = 1_000;

class SentinelProcess {
  readonly output: string[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
  }

  static async start(dir: string, masterPort: number): Promise<SentinelProcess> {
    const port = await freePort();
    const config = join(dir, `sentinel-${port}.conf`);
    await writeFile(
      config,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        "protected-mode no",
        "daemonize no",
        'logfile ""',
        `dir ${dir}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${MASTER_NAME} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${MASTER_NAME} 10000`,
        `sentinel parallel-syncs ${MASTER_NAME} 1`,
        "",
      ].join("\n"),
    );
    const child = spawn("redis-sentinel", [config], { stdio: ["ignore", "pipe", "pipe"] });
    const sentinel = new SentinelProcess(port, child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-sentinel on ${port} not monitoring after 10 s:\n${sentinel.output.join("\n")}`)),
        10_000,
      );
      const onLine = (line: string) => {
        sentinel.output.push(line);
        if (line.includes(`+monitor master ${MASTER_NAME}`)) {
          clearTimeout(timer);
          resolve();
        }
      };
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", onLine);
      createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", onLine);
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`redis-sentinel exited (${code ?? signal}):\n${sentinel.output.join("\n")}`));
      });
    });
    return sentinel;
  }

  client(): Redis {
    return new Redis({ host: "127.0.0.1", port: this.port, maxRetriesPerRequest: null });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    await this.exited;
  }
}

export class SentinelGroup {
  private constructor(
    /** The server that was master at the start. */
    readonly master: PrivateRedis,
    readonly replica: PrivateRedis,
    private readonly sentinels: SentinelProcess[],
    private readonly dir: string,
  ) {}

  static async start(): Promise<SentinelGroup> {
    const master = await PrivateRedis.start({ appendonly: true });
    const replica = await PrivateRedis.start({ appendonly: true, replicaOf: master.port });
    const dir = await mkdtemp(join(tmpdir(), "slipway-sentinel-"));
    const sentinels: SentinelProcess[] = [];
    const group = new SentinelGroup(master, replica, sentinels, dir);
    try {
      const replicaClient = replica.client();
      try {
        await eventually(
          "the replica to sync with the master",
          async () => /master_link_status:up/.test(await replicaClient.info("replication")),
          20_000,
        );
      } finally {
        replicaClient.disconnect();
      }
      for (let i = 0; i < 3; i += 1) sentinels.push(await SentinelProcess.start(dir, master.port));
      await Promise.all(
        sentinels.map(async (sentinel) => {
          const client = sentinel.client();
          try {
            await eventually(
              `Sentinel ${sentinel.port} to know the replica and the other two Sentinels`,
              async () => {
                const peers = (await client.call("SENTINEL", "SENTINELS", MASTER_NAME)) as unknown[];
                const replicas = (await client.call("SENTINEL", "REPLICAS", MASTER_NAME)) as unknown[];
                return peers.length === 2 && replicas.length === 1;
              },
              30_000,
              100,
            );
          } finally {
            client.disconnect();
          }
        }),
      );
    } catch (error) {
      await group.stop();
      throw error;
    }
    return group;
  }

  /** REDIS_URL for Slipway: the Sentinels and the master group's name. */
  get url(): string {
    return `redis+sentinel://${this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(",")}/${MASTER_NAME}`;
  }

  /**
   * SIGKILLs the master and resolves once the Sentinels have promoted the
   * replica (their `+switch-master`), with how long that took.
   */
  async failover(): Promise<{ switchedAfterMs: number; newMasterPort: number }> {
    const [first] = this.sentinels;
    if (!first) throw new Error("no Sentinel running");
    const watcher = first.client();
    try {
      await watcher.subscribe("+switch-master");
      const switched = new Promise<number>((resolve) => {
        watcher.on("message", (_channel: string, message: string) => {
          // "<name> <old ip> <old port> <new ip> <new port>"
          const [name, , , , port] = message.split(" ");
          if (name === MASTER_NAME) resolve(Number(port));
        });
      });
      const at = Date.now();
      await this.master.kill("SIGKILL");
      const newMasterPort = await switched;
      return { switchedAfterMs: Date.now() - at, newMasterPort };
    } finally {
      watcher.disconnect();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.sentinels.map((s) => s.stop()));
    await Promise.all([this.master.stop(), this.replica.stop()]);
    await rm(this.dir, { recursive: true, force: true });
  }
}
