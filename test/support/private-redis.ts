import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Redis } from "ioredis";

/*
 * A redis-server of one test's own, on a free port in a temp directory, for
 * tests that kill or restart Redis (which must never touch the shared
 * server other tests run on). `kill()` and `restart()` keep the port and the
 * directory, so with `appendonly` the restarted server loads what the killed
 * one had written.
 */

export interface PrivateRedisOptions {
  /** Turn on the append-only file (`--appendonly yes`). @default false */
  readonly appendonly?: boolean;
  /** Start as a replica of the server on this loopback port (`--replicaof`). */
  readonly replicaOf?: number;
  /** More `redis-server` arguments (`--cluster-enabled yes`…). */
  readonly args?: readonly string[];
}

/** A port nothing listens on right now (the kernel's pick, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class PrivateRedis {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** redis-server's own output, for failure messages. */
  readonly output: string[] = [];

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: PrivateRedisOptions,
  ) {}

  static async start(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
    const dir = await mkdtemp(join(tmpdir(), "slipway-redis-"));
    const redis = new PrivateRedis(await freePort(), dir, options);
    try {
      await redis.launch();
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Whether the server process is running. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** A new client connection (the caller quits it). */
  client(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: null });
  }

  private async launch(): Promise<void> {
    const args = [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--dir",
      this.dir,
      "--save",
      "",
      "--appendonly",
      this.options.appendonly ? "yes" : "no",
      "--daemonize",
      "no",
      "--protected-mode",
      "no",
      "--maxmemory-policy",
      "noeviction",
      "--loglevel",
      "notice",
      ...(this.options.replicaOf === undefined ? [] : ["--replicaof", "127.0.0.1", String(this.options.replicaOf)]),
      ...(this.options.args ?? []),
    ];
    const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server on ${this.port} not ready after 10 s:\n${this.output.join("\n")}`)),
        10_000,
      );
      const onLine = (line: string) => {
        this.output.push(line);
        if (/Ready to accept connections/.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      };
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", onLine);
      createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", onLine);
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${this.output.join("\n")}`));
      });
    });
    await ready;
  }

  /** Sends `signal` (SIGKILL by default) and waits until the server has gone. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (!this.running) return;
    this.child?.kill(signal);
    await this.exited;
  }

  /** Starts the server again on the same port and directory; resolves once it accepts connections. */
  async restart(): Promise<void> {
    if (this.running) throw new Error("redis-server is still running; kill it first");
    await this.launch();
  }

  /** Stops the server and removes its directory. */
  async stop(): Promise<void> {
    await this.kill("SIGTERM");
    await rm(this.dir, { recursive: true, force: true });
  }
}
