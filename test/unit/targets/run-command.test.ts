import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/logger.js";
import { type CommandOptions, runCommand } from "../../../src/targets/run-command.js";
import { eventually } from "../../support/eventually.js";
import { alive } from "../../support/sample-stack.js";

/*
 * The command runner with real processes. A command may leave a process
 * behind that keeps its output open (a background child in its group, or
 * one in a session of its own): the step still ends when the command exits,
 * or at its timeout, and a stopped command's whole group is killed.
 */

const log = createLogger("silent");
const HELD = "(a process it left behind still holds its output open; the rest of that output is not kept)";

/** A process that ignores SIGTERM and keeps the output it inherited open for ten minutes. */
const HOLDER = "process.on('SIGTERM', () => {}); setTimeout(() => {}, 600000);";

/** Starts a holder (in the command's group, or in a session of its own), prints its pid, then exits or hangs. */
function leaving(holder: "in its group" | "in a session of its own", then: "exits" | "hangs"): string[] {
  const detached = holder === "in a session of its own";
  return [
    process.execPath,
    "-e",
    [
      `const h = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(HOLDER)}],`,
      `  { detached: ${detached}, stdio: ['ignore', 'inherit', 'inherit'] });`,
      "h.unref(); console.log('holder ' + h.pid);",
      then === "exits" ? "console.log('done');" : "setInterval(() => {}, 1000);",
    ].join("\n"),
  ];
}

function run(argv: readonly string[], more: Partial<CommandOptions> = {}) {
  return runCommand({ argv, cwd: process.cwd(), env: {}, timeoutMs: 60_000, log, ...more });
}

/** The holder's pid, from the line the command printed. */
function holderIn(output: string): number {
  const pid = Number(/holder (\d+)/.exec(output)?.[1]);
  if (!(pid > 0)) throw new Error(`no holder pid in: ${output}`);
  started.push(pid);
  return pid;
}

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
});

describe("runCommand", () => {
  it("keeps the output's tail, the last line without a newline too, and the exit code", async () => {
    const printed = await run(
      [
        process.execPath,
        "-e",
        "for (let i = 1; i <= 4; i++) console.log('line ' + i); process.stdout.write('last'); process.exitCode = 3;",
      ],
      { tailLines: 3 },
    );
    expect(printed).toMatchObject({ ok: false, exitCode: 3, timedOut: false, aborted: false });
    expect(printed.outputTail).toBe("line 3\nline 4\nlast");

    const fine = await run([process.execPath, "-e", "console.error('to stderr'); console.log('to stdout')"]);
    expect(fine).toMatchObject({ ok: true, exitCode: 0, timedOut: false, aborted: false });
    expect(fine.outputTail.split("\n").sort()).toEqual(["to stderr", "to stdout"]);

    const missing = await run(["slipway-no-such-command"]);
    expect(missing.ok).toBe(false);
    expect(missing.spawnError).toMatch(/ENOENT/);
  });

  it.each(["in its group", "in a session of its own"] as const)(
    "returns when the command exits, with its output, although a process it left %s holds the output open",
    async (holder) => {
      const result = await run(leaving(holder, "exits"));
      expect(result).toMatchObject({ ok: true, exitCode: 0, timedOut: false, aborted: false });
      const pid = holderIn(result.outputTail);
      expect(result.outputTail).toBe(`holder ${pid}\ndone\n${HELD}`);
      expect(result.durationMs).toBeLessThan(30_000);
      // A command that ends by itself may leave what it started running: only a stopped one has its group killed.
      expect(alive(pid)).toBe(true);
    },
    30_000,
  );

  it("stops a command that hangs at its timeout and kills what it left in its group, SIGTERM or not", async () => {
    const result = await run(leaving("in its group", "hangs"), { timeoutMs: 1_000 });
    expect(result).toMatchObject({ ok: false, exitCode: null, timedOut: true, aborted: false });
    const pid = holderIn(result.outputTail);
    // The command went at SIGTERM; the holder, which ignores it, still held the output when the step returned.
    expect(result.outputTail).toBe(`holder ${pid}\n(stopped after 1s timeout)\n${HELD}`);
    await eventually(`the holder ${pid} to be killed`, () => !alive(pid), 20_000);
  }, 30_000);

  it("stops a command on abort and kills what it left in its group", async () => {
    const controller = new AbortController();
    const result = await run(leaving("in its group", "hangs"), {
      onLine: (line) => {
        if (line.startsWith("holder ")) controller.abort();
      },
      signal: controller.signal,
    });
    expect(result).toMatchObject({ ok: false, exitCode: null, timedOut: false, aborted: true });
    const pid = holderIn(result.outputTail);
    await eventually(`the holder ${pid} to be killed`, () => !alive(pid), 20_000);
  }, 30_000);

  it("keeps its timeout when a process out of its group holds the output open", async () => {
    const result = await run(leaving("in a session of its own", "hangs"), { timeoutMs: 1_000 });
    expect(result).toMatchObject({ ok: false, exitCode: null, timedOut: true, aborted: false });
    const pid = holderIn(result.outputTail);
    expect(result.outputTail).toBe(`holder ${pid}\n(stopped after 1s timeout)\n${HELD}`);
    expect(result.durationMs).toBeLessThan(30_000);
  }, 30_000);
});
