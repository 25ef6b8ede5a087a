import { spawn } from "node:child_process";
import type { Logger } from "../logger.js";

export interface CommandOptions {
  readonly argv: readonly string[];
  readonly cwd: string;
  /** Added to the parent's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly log: Logger;
  /** How many trailing lines of output to keep. Default 20. */
  readonly tailLines?: number;
  /** Called with every line of output, for a caller that reads all of it (a log query). */
  readonly onLine?: (line: string) => void;
}

export interface CommandResult {
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly outputTail: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  /** Set when the process could not be started at all. */
  readonly spawnError?: string;
}

/** Grace period between SIGTERM and SIGKILL when a command is stopped. */
const KILL_GRACE_MS = 2_000;
const MAX_TAIL_CHARS = 2_500;

/**
 * Runs an argv array without a shell: nothing in it is ever interpreted, so
 * user input passed as an argument or variable cannot become a command. Output
 * (stdout and stderr interleaved) goes to the log line by line and its tail is
 * kept for the thread. The process is killed on timeout or abort.
 */
export function runCommand(options: CommandOptions): Promise<CommandResult> {
  const { argv, cwd, env, timeoutMs, signal, log } = options;
  const tailLines = options.tailLines ?? 20;
  const started = performance.now();
  const [file, ...args] = argv;
  if (!file) {
    return Promise.resolve({
      ok: false,
      exitCode: null,
      outputTail: "",
      durationMs: 0,
      timedOut: false,
      aborted: false,
      spawnError: "empty command",
    });
  }
  return new Promise((resolve) => {
    const tail: string[] = [];
    let partial = "";
    let timedOut = false;
    let aborted = false;
    let spawnError: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const child = spawn(file, args, {
      cwd,
      env: { ...process.env, ...env },
      shell: false,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });

    const keep = (line: string) => {
      options.onLine?.(line);
      log.info({ line }, "stage output");
      tail.push(line);
      if (tail.length > tailLines) tail.shift();
    };
    const onData = (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split(/\r?\n/);
      partial = lines.pop() ?? "";
      for (const line of lines) keep(line);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);

    const stop = () => {
      if (child.pid === undefined || child.exitCode !== null) return;
      killGroup(child.pid, "SIGTERM");
      killTimer = setTimeout(() => {
        if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
      }, KILL_GRACE_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });

    child.on("error", (error) => {
      spawnError = error.message;
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      signal?.removeEventListener("abort", onAbort);
      if (partial) keep(partial);
      let outputTail = tail.join("\n");
      if (timedOut) outputTail += `\n(stopped after ${Math.round(timeoutMs / 1000)}s timeout)`;
      if (spawnError) outputTail += `\n(could not start ${file}: ${spawnError})`;
      if (outputTail.length > MAX_TAIL_CHARS) outputTail = `…${outputTail.slice(-MAX_TAIL_CHARS)}`;
      resolve({
        ok: code === 0 && !timedOut && !aborted && !spawnError,
        exitCode: code,
        outputTail: outputTail.trim(),
        durationMs: Math.round(performance.now() - started),
        timedOut,
        aborted,
        ...(spawnError ? { spawnError } : {}),
      });
    });
  });
}

/** Signals the whole process group, so children the command started stop too. */
function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone: nothing left to stop.
    }
  }
}
