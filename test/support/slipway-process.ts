import { type ChildProcessByStdio, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A `slipway` child process started from the build, with its JSON log lines collected. */
/**
 * How long a process may take to report it has started: a deadline, not a
 * wait. Loading Slipway on a machine whose cores are all busy has been seen
 * to take more than 30 s.
 */
const START_DEADLINE_MS = 120_000;

export class SlipwayProcess {
  readonly logs: LogLine[] = [];
  readonly output: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly events = new EventEmitter<{ log: [LogLine] }>();
  private port_ = 0;

  private constructor(readonly child: ChildProcessByStdio<null, Readable, Readable>) {
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      try {
        const parsed = JSON.parse(line) as LogLine;
        this.logs.push(parsed);
        this.events.emit("log", parsed);
      } catch {
        this.output.push(line);
      }
    });
    createInterface({ input: child.stderr }).on("line", (line) => this.output.push(line));
  }

  /**
   * Starts `slipway <role>` with `env` on a free port and resolves once it
   * logs that it has started. Fails with its output if it exits first.
   * `as.root` runs the `dist/main.js` of another tree (an image's), from that
   * directory; `as.uid`/`as.gid` run it as that user.
   */
  static async start(
    role: string,
    env: Record<string, string>,
    as: { root?: string; uid?: number; gid?: number } = {},
  ): Promise<SlipwayProcess> {
    const root = as.root ?? ROOT;
    // The example targets keep their ledger here; a temp directory of its own unless the caller shares one.
    const exampleState = env.SLIPWAY_EXAMPLE_STATE ?? (await mkdtemp(join(tmpdir(), "slipway-example-state-")));
    const child = spawn(process.execPath, [join(root, "dist", "main.js"), role], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        PORT: "0",
        LOG_LEVEL: "info",
        SLIPWAY_MANIFESTS: join(root, "manifests", "services"),
        ...env,
        SLIPWAY_EXAMPLE_STATE: exampleState,
      },
      stdio: ["ignore", "pipe", "pipe"],
      uid: as.uid,
      gid: as.gid,
    });
    const running = new SlipwayProcess(child);
    const started = await Promise.race([
      running.waitForLog((l) => l.msg === "slipway started", START_DEADLINE_MS),
      running.exited.then((code) => {
        throw new Error(`slipway ${role} exited with ${code} before starting:\n${running.describe()}`);
      }),
    ]);
    running.port_ = Number(started.port);
    return running;
  }

  get port(): number {
    return this.port_;
  }

  get eventsUrl(): string {
    return `http://127.0.0.1:${this.port}/slack/events`;
  }

  /** Resolves with the first log line (past or future) matching `predicate`. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    const seen = this.logs.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off("log", onLog);
        reject(new Error(`no log line matched within ${timeoutMs}ms:\n${this.describe()}`));
      }, timeoutMs);
      const onLog = (line: LogLine) => {
        if (!predicate(line)) return;
        clearTimeout(timer);
        this.events.off("log", onLog);
        resolve(line);
      };
      this.events.on("log", onLog);
    });
  }

  describe(): string {
    return [...this.output, ...this.logs.slice(-30).map((l) => JSON.stringify(l))].join("\n");
  }

  /**
   * SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves with the exit code.
   * The grace is wide: on a busy machine a clean shutdown (workers closing their queues) has taken over 10 s.
   */
  async stop(graceMs = 30_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
