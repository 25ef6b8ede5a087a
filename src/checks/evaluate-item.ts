/*
 * Checks one checklist item and says what it found. Thin I/O around the pure
 * decisions in domain/checklist.ts: run a command, read a JSON number, read a
 * markdown task list, or leave a manual item waiting for a person. Never
 * throws: a check that cannot run is an `error` result with the reason.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { compare, describeComparison, type ItemResult, type ItemStatus, resultFor } from "../domain/checklist.js";
import { truncate } from "../domain/safe-text.js";
import { describeCounts, reportFile, type TestCounts, testsPassed } from "../domain/test-counts.js";
import { coerceError } from "../errors.js";
import type { Logger } from "../logger.js";
import {
  type ChecklistItemConfig,
  type CommandCheckConfig,
  DEFAULT_CHECK_TIMEOUT_SECONDS,
  type JsonCheckConfig,
  type LogsCheckConfig,
  type ManualCheckConfig,
  type TasksCheckConfig,
  type TestsCheckConfig,
} from "../manifests/schema.js";
import { runCommand } from "../targets/run-command.js";
import { lookupPath } from "./json-value.js";
import { formatTask, parseTaskList, type TaskItem } from "./markdown-tasks.js";
import { readTestReport } from "./test-report.js";

export interface CheckContext {
  /** Commands run here; files are read relative to it (the target's working directory). */
  readonly workdir: string;
  /** Added to the parent's environment of a command check. */
  readonly env: Readonly<Record<string, string>>;
  /** Stops a running command check. */
  readonly signal?: AbortSignal;
  readonly log: Logger;
  /** Clock for the result's `at`. Default `Date.now`. */
  readonly now?: () => number;
  /** When the deployment started (its first step), epoch milliseconds: where a logs check starts counting. */
  readonly since?: number;
}

/** Lines of a command's output kept as evidence. */
const EVIDENCE_LINES = 5;
const EVIDENCE_CHARS = 600;
/** Open tasks named in evidence before "and N more". */
const NAMED_TASKS = 3;

type Outcome = { status: ItemStatus; evidence: string; tests?: TestCounts };

function errorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}

/** The last lines of output, "…" in front when cut. */
function outputTail(text: string): string {
  const lines = text
    .split("\n")
    .filter((line) => !/^\((stopped after \d+s timeout|could not start .*)\)$/.test(line))
    .filter((line) => line.trim() !== "");
  const kept = lines.slice(-EVIDENCE_LINES).join("\n");
  const cut = lines.length > EVIDENCE_LINES || kept.length > EVIDENCE_CHARS;
  const tail = kept.length > EVIDENCE_CHARS ? kept.slice(-EVIDENCE_CHARS) : kept;
  return cut ? `…${tail}` : tail;
}

async function checkCommand(check: CommandCheckConfig, id: string, context: CheckContext): Promise<Outcome> {
  const timeoutSeconds = check.timeoutSeconds ?? DEFAULT_CHECK_TIMEOUT_SECONDS;
  const result = await runCommand({
    argv: check.run,
    cwd: context.workdir,
    env: context.env,
    timeoutMs: timeoutSeconds * 1000,
    log: context.log.child({ checkId: id }),
    tailLines: 20,
    ...(context.signal === undefined ? {} : { signal: context.signal }),
  });
  const tail = outputTail(result.outputTail);
  const withTail = (head: string) => (tail === "" ? head : `${head}: ${tail}`);
  if (result.spawnError !== undefined) {
    return { status: "error", evidence: `could not start ${check.run[0] ?? "the command"}: ${result.spawnError}` };
  }
  if (result.timedOut) return { status: "error", evidence: withTail(`timed out after ${timeoutSeconds}s`) };
  if (result.aborted) return { status: "error", evidence: withTail("stopped before it finished") };
  if (result.exitCode === null) return { status: "error", evidence: withTail("killed by a signal") };
  return { status: result.ok ? "passed" : "failed", evidence: withTail(`exit ${result.exitCode}`) };
}

/** Error lines named in a logs check's evidence. */
const NAMED_LOG_LINES = 3;

/**
 * Runs a log query for the lines since the deployment started and counts
 * those that match: passes with at most `max`, naming the last ones found.
 */
async function checkLogs(check: LogsCheckConfig, id: string, context: CheckContext): Promise<Outcome> {
  if (context.since === undefined) {
    return { status: "error", evidence: "no start time to count from: a logs check runs only after the last step" };
  }
  const since = new Date(context.since).toISOString();
  const timeoutSeconds = check.timeoutSeconds ?? DEFAULT_CHECK_TIMEOUT_SECONDS;
  const matcher = new RegExp(check.match, "i");
  const found: string[] = [];
  let count = 0;
  const result = await runCommand({
    argv: check.run.map((arg) => arg.replaceAll("{since}", since)),
    cwd: context.workdir,
    env: { ...context.env, SLIPWAY_LOGS_SINCE: since, SLIPWAY_LOGS_SINCE_MS: String(context.since) },
    timeoutMs: timeoutSeconds * 1000,
    log: context.log.child({ checkId: id }),
    onLine: (line) => {
      if (!matcher.test(line)) return;
      count += 1;
      found.push(truncate(line.trim(), 160));
      if (found.length > NAMED_LOG_LINES) found.shift();
    },
    ...(context.signal === undefined ? {} : { signal: context.signal }),
  });
  const query = check.run[0] ?? "the log query";
  if (result.spawnError !== undefined)
    return { status: "error", evidence: `could not start ${query}: ${result.spawnError}` };
  if (result.timedOut) return { status: "error", evidence: `the log query timed out after ${timeoutSeconds}s` };
  if (result.aborted || result.exitCode === null) return { status: "error", evidence: "the log query was stopped" };
  if (!result.ok) {
    return { status: "error", evidence: `the log query exited ${result.exitCode}: ${outputTail(result.outputTail)}` };
  }
  const lines = `${count} error line${count === 1 ? "" : "s"} since ${since} (at most ${check.max})`;
  return {
    status: count <= check.max ? "passed" : "failed",
    evidence: found.length === 0 ? lines : `${lines}: ${found.join(" | ")}`,
  };
}

type FileText = { ok: true; text: string } | { ok: false; outcome: Outcome };

async function readCheckedFile(file: string, context: CheckContext): Promise<FileText> {
  try {
    return { ok: true, text: await readFile(path.resolve(context.workdir, file), "utf8") };
  } catch (error) {
    switch (errorCode(error)) {
      case "ENOENT":
        return {
          ok: false,
          outcome: { status: "failed", evidence: `${file} does not exist (looked in the target's working directory)` },
        };
      case "EISDIR":
        return { ok: false, outcome: { status: "failed", evidence: `${file} is a directory, not a file` } };
      default:
        return {
          ok: false,
          outcome: { status: "error", evidence: `cannot read ${file}: ${coerceError(error).message}` },
        };
    }
  }
}

function describeNonNumber(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return `a string (${JSON.stringify(truncate(value, 40))})`;
  if (typeof value === "object") return "an object";
  return `${typeof value === "boolean" ? "a boolean" : `a ${typeof value}`} (${String(value)})`;
}

async function checkJson(check: JsonCheckConfig, context: CheckContext): Promise<Outcome> {
  const file = await readCheckedFile(check.file, context);
  if (!file.ok) return file.outcome;
  let data: unknown;
  try {
    data = JSON.parse(file.text);
  } catch (error) {
    return { status: "failed", evidence: `${check.file} is not valid JSON (${coerceError(error).message})` };
  }
  const found = lookupPath(data, check.path);
  if (!found.ok) return { status: "failed", evidence: `${check.file} has no ${check.path}: ${found.problem}` };
  const { value } = found;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return {
      status: "failed",
      evidence: `${check.path} in ${check.file} is ${describeNonNumber(value)}, not a number`,
    };
  }
  return {
    status: compare(value, check.op, check.value) ? "passed" : "failed",
    evidence: describeComparison(value, check.op, check.value),
  };
}

function listTasks(tasks: readonly TaskItem[]): string {
  const named = tasks.slice(0, NAMED_TASKS).map((task) => truncate(formatTask(task), 120));
  const more = tasks.length > NAMED_TASKS ? `; and ${tasks.length - NAMED_TASKS} more` : "";
  return `${named.join("; ")}${more}`;
}

async function checkTasks(check: TasksCheckConfig, context: CheckContext): Promise<Outcome> {
  const file = await readCheckedFile(check.file, context);
  if (!file.ok) return file.outcome;
  const tasks = parseTaskList(file.text);
  const open = tasks.filter((task) => !task.done);
  const done = tasks.length - open.length;
  if (check.fail === "open") {
    if (open.length > 0) {
      const head = open.length === 1 ? "open" : `${open.length} open`;
      return { status: "failed", evidence: `${head}: ${listTasks(open)}` };
    }
    return {
      status: "passed",
      evidence: tasks.length === 0 ? `no tasks listed in ${check.file}` : `all ${tasks.length} tasks done`,
    };
  }
  const pattern = check.match ?? "";
  let matcher: RegExp;
  try {
    matcher = new RegExp(pattern, "i");
  } catch (error) {
    return {
      status: "error",
      evidence: `match '${pattern}' is not a valid regular expression (${coerceError(error).message})`,
    };
  }
  const matching = open.filter((task) => matcher.test(task.text));
  if (matching.length > 0) {
    const head = matching.length === 1 ? "open" : `${matching.length} open`;
    return { status: "failed", evidence: `${head}: ${listTasks(matching)}` };
  }
  return {
    status: "passed",
    evidence: `no open item matches ${pattern} (${open.length} open, ${done} done)`,
  };
}

/**
 * Runs the test run when the item names one (telling it where to write the
 * report), then reads the report: the item passes only when it counts
 * nothing failed and the run exited 0.
 */
async function checkTests(check: TestsCheckConfig, item: ChecklistItemConfig, context: CheckContext): Promise<Outcome> {
  const file = reportFile(check.file, context.env.SLIPWAY_DEPLOYMENT_ID ?? "");
  /** When the run started (a report older than that is stale), and its exit in words when it was not 0. */
  let run: { startedAt: number; failedExit?: string } | undefined;
  if (check.run !== undefined) {
    // Compared with the report's modification time, which is the file system's wall clock.
    const startedAt = Date.now();
    const timeoutSeconds = check.timeoutSeconds ?? DEFAULT_CHECK_TIMEOUT_SECONDS;
    const result = await runCommand({
      argv: check.run,
      cwd: context.workdir,
      env: { ...context.env, SLIPWAY_TEST_REPORT: file },
      timeoutMs: timeoutSeconds * 1000,
      log: context.log.child({ checkId: item.id }),
      tailLines: 20,
      ...(context.signal === undefined ? {} : { signal: context.signal }),
    });
    if (result.spawnError !== undefined) {
      return { status: "error", evidence: `could not start ${check.run[0] ?? "the test run"}: ${result.spawnError}` };
    }
    if (result.timedOut) return { status: "error", evidence: `the test run timed out after ${timeoutSeconds}s` };
    if (result.aborted || result.exitCode === null) return { status: "error", evidence: "the test run was stopped" };
    run = { startedAt, ...(result.ok ? {} : { failedExit: `the test run exited ${result.exitCode}` }) };
  }
  const read = await readTestReport(
    { file, format: check.format, label: check.label ?? item.title },
    context.workdir,
    run?.startedAt,
  );
  const exit = run?.failedExit;
  if (!read.ok) return { status: "failed", evidence: exit ? `${exit}; ${read.problem}` : read.problem };
  const words = describeCounts(read.counts);
  const passed = testsPassed(read.counts) && exit === undefined;
  const evidence = testsPassed(read.counts) && exit ? `${words}, but ${exit}` : words;
  return { status: passed ? "passed" : "failed", evidence, tests: read.counts };
}

function checkManual(check: ManualCheckConfig): Outcome {
  const who = check.tickedBy === undefined ? "someone who may deploy" : `someone in ${check.tickedBy.join(" or ")}`;
  return { status: "waiting", evidence: `waiting for ${who} to tick it` };
}

async function outcomeOf(item: ChecklistItemConfig, context: CheckContext): Promise<Outcome> {
  const { check } = item;
  switch (check.kind) {
    case "command":
      return checkCommand(check, item.id, context);
    case "json":
      return checkJson(check, context);
    case "tasks":
      return checkTasks(check, context);
    case "tests":
      return checkTests(check, item, context);
    case "manual":
      return checkManual(check);
    case "logs":
      return checkLogs(check, item.id, context);
    default: {
      const unreachable: never = check;
      return unreachable;
    }
  }
}

/** Checks one item; resolves to its result, never rejects. */
export async function evaluateItem(item: ChecklistItemConfig, context: CheckContext): Promise<ItemResult> {
  const now = context.now ?? Date.now;
  let outcome: Outcome;
  try {
    outcome = await outcomeOf(item, context);
  } catch (error) {
    outcome = { status: "error", evidence: `the check could not run: ${coerceError(error).message}` };
  }
  context.log.info({ checkId: item.id, status: outcome.status }, "checklist item checked");
  const result = resultFor(item, outcome.status, outcome.evidence, now());
  return outcome.tests ? { ...result, tests: outcome.tests } : result;
}

/**
 * Checks items with at most `concurrency` at a time (default 4); results in
 * the items' order.
 */
export async function evaluateItems(
  items: readonly ChecklistItemConfig[],
  context: CheckContext,
  options: { readonly concurrency?: number } = {},
): Promise<ItemResult[]> {
  const results: ItemResult[] = new Array(items.length);
  const limit = Math.max(1, options.concurrency ?? 4);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      const item = items[index];
      if (item !== undefined) results[index] = await evaluateItem(item, context);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
