import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eventually } from "../support/eventually.js";
import { insidePids, release, writeGatedAction } from "../support/gated-action.js";
import { ledger, ROOT } from "./stack.js";

/*
 * The example targets' ledger (`once` of examples/lib/example.mjs) with
 * attempts of one step that overlap, as they do when a worker is frozen
 * past its lock and another takes the step over (SLIPWAY_ATTEMPT goes up by
 * one). Each attempt is the gated action of the resilience tests: it goes
 * through the ledger, marks that it is inside the work, and waits until
 * the test releases the key.
 */

const KEY = "d-1:deploy";

interface Attempt {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
}

let dir: string;
let gated: string;
const running: Attempt[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "slipway-ledger-"));
  gated = await writeGatedAction(dir);
});

afterEach(async () => {
  for (const { child } of running) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await Promise.all(running.map((a) => a.exited));
  running.length = 0;
  await rm(dir, { recursive: true, force: true });
});

/** Starts attempt `attempt` of the deploy step, as Slipway's command target would. */
function attempt(n: number): Attempt {
  const child = spawn(process.execPath, [gated], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      SLIPWAY_EXAMPLE_STATE: dir,
      SLIPWAY_ACTION: "deploy",
      SLIPWAY_IDEMPOTENCY_KEY: KEY,
      SLIPWAY_ATTEMPT: `${n}`,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => lines.push(line));
  createInterface({ input: child.stderr }).on("line", (line) => lines.push(line));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const started = { child, pid: child.pid as number, lines, exited };
  running.push(started);
  return started;
}

const inside = (a: Attempt) => insidePids(dir, KEY).includes(a.pid);
const output = (a: Attempt) => a.lines.join("\n");
/** Who recorded the action: "<attempt> <pid>" per ledger line. */
const recorded = () => ledger(dir).map((e) => `${e.attempt} ${e.pid}`);

describe("the example ledger with overlapping attempts of one step", () => {
  it("lets a newer attempt take over from an older one still inside the work, and records only the newer", async () => {
    const first = attempt(1);
    await eventually("attempt 1 inside", () => inside(first));
    const second = attempt(2);
    await eventually("attempt 2 inside too", () => inside(second));
    await release(dir, KEY);

    expect(await second.exited, output(second)).toBe(0);
    expect(await first.exited, output(first)).toBe(1);
    expect(output(first)).toContain("superseded: a newer attempt of d-1:deploy took over while attempt 1 worked");
    expect(recorded()).toEqual([`2 ${second.pid}`]);
  });

  it("refuses an older attempt that starts after a newer one, without entering the work", async () => {
    const second = attempt(2);
    await eventually("attempt 2 inside", () => inside(second));
    const first = attempt(1);
    expect(await first.exited, output(first)).toBe(1);
    expect(output(first)).toContain("superseded: attempt 2 of d-1:deploy has started; attempt 1 does not deploy");
    await release(dir, KEY);

    expect(await second.exited, output(second)).toBe(0);
    expect(insidePids(dir, KEY)).toEqual([second.pid]);
    expect(recorded()).toEqual([`2 ${second.pid}`]);
  });

  it("never repeats a completed action, for a newer or an older attempt", async () => {
    await release(dir, KEY);
    const second = attempt(2);
    expect(await second.exited, output(second)).toBe(0);
    for (const n of [1, 2, 3]) {
      const again = attempt(n);
      expect(await again.exited, output(again)).toBe(0);
      expect(output(again)).toContain("already done: deploy for key d-1:deploy by attempt 2; nothing changed");
    }
    expect(insidePids(dir, KEY)).toEqual([second.pid]);
    expect(recorded()).toEqual([`2 ${second.pid}`]);
  });

  it("runs the same attempt once at a time: a second process waits, then finds the action done", async () => {
    const first = attempt(1);
    await eventually("attempt 1 inside", () => inside(first));
    const twin = attempt(1);
    await eventually("the twin to wait", () =>
      output(twin).includes(`waiting: attempt 1 of d-1:deploy is running in pid ${first.pid}`),
    );
    await release(dir, KEY);

    expect(await first.exited, output(first)).toBe(0);
    expect(await twin.exited, output(twin)).toBe(0);
    expect(output(twin)).toContain("already done: deploy for key d-1:deploy by attempt 1");
    expect(insidePids(dir, KEY)).toEqual([first.pid]);
    expect(recorded()).toEqual([`1 ${first.pid}`]);
  });

  it.each([1, 2])("takes over from a killed attempt 1 in attempt %i and records it once", async (n) => {
    const first = attempt(1);
    await eventually("attempt 1 inside", () => inside(first));
    first.child.kill("SIGKILL");
    await first.exited;
    const next = attempt(n);
    await eventually(`attempt ${n} inside`, () => inside(next));
    await release(dir, KEY);

    expect(await next.exited, output(next)).toBe(0);
    expect(recorded()).toEqual([`${n} ${next.pid}`]);
  });
});
