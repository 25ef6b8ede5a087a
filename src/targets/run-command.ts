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
/**
 * After the command exits, how long its output pipes may take to deliver
 * what is already in them. A process it left behind may hold them open for
 * ever; past this the run ends without waiting for them.
 */
const DRAIN_MS = 300;
const MAX_TAIL_CHARS = 2_500;

/**
 * Runs an argv array without a shell: nothing in it is ever interpreted, so
 * user input passed as an argument or variable cannot become a command. Output
 * (stdout and stderr interleaved) goes to the log line by line and its tail is
 * kept for the thread.
 *
 * The command runs in a process group of its own. The run ends when the
 * command exits, not when its output closes: a process it started (in its
 * group or out of it) may keep the output open long after, and the run
 * would never end. On timeout or abort the whole group is signalled,
 * SIGTERM and then SIGKILL, whether or not the command itself is still there,
 * so what it left in its group is stopped too.
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
    let stopping = false;
    let settled = false;
    let spawnError: string | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

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

    // Once: the group gets SIGTERM, and SIGKILL after the grace period even if the run has ended by then.
    const stop = () => {
      if (stopping || child.pid === undefined) return;
      stopping = true;
      const pid = child.pid;
      killGroup(pid, "SIGTERM");
      setTimeout(() => killGroup(pid, "SIGKILL"), KILL_GRACE_MS);
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

    /** `held`: the command has exited but something it left behind still holds its output open. */
    const finish = (code: number | null, held: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drainTimer);
      signal?.removeEventListener("abort", onAbort);
      // Whatever still holds the output writes to nobody from now on.
      child.stdout.destroy();
      child.stderr.destroy();
      if (partial) keep(partial);
      let outputTail = tail.join("\n");
      if (timedOut) outputTail += `\n(stopped after ${Math.round(timeoutMs / 1000)}s timeout)`;
      if (held)
        outputTail += "\n(a process it left behind still holds its output open; the rest of that output is not kept)";
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
    };

    child.on("error", (error) => {
      spawnError = error.message;
    });
    child.on("exit", (code) => {
      drainTimer = setTimeout(() => finish(code, true), DRAIN_MS);
    });
    // The output closed: everything it printed has been read (the usual end, right after the exit).
    child.on("close", (code) => finish(code, false));
  });
}

/** Signals the command's whole process group (its id is the command's pid), so what it started stops too. */
function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // Nothing left in the group.
  }
}
