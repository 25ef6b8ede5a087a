import { type ChildProcessByStdio, spawn } from "node:child_process";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

/** A process the bench started, with the tail of its output kept for error messages. */
export class BenchChild {
  readonly exited: Promise<number | null>;
  private readonly output: string[] = [];

  private constructor(
    readonly label: string,
    private readonly child: ChildProcessByStdio<null, Readable, Readable>,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ? null : code)));
    const keep = (line: string) => {
      this.output.push(line);
      if (this.output.length > 50) this.output.shift();
    };
    createInterface({ input: child.stdout }).on("line", keep);
    createInterface({ input: child.stderr }).on("line", keep);
  }

  static spawn(label: string, args: readonly string[], env: Record<string, string>, cwd: string): BenchChild {
    const child = spawn(process.execPath, [...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    return new BenchChild(label, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  describe(): string {
    return this.output.length === 0 ? `${this.label}: (no output)` : `${this.label} output:\n${this.output.join("\n")}`;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves with the exit code (null if killed). */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("could not find a free port"))));
    });
  });
}
