/*
 * Reads a test run's own report: JUnit XML (what most runners can write) or
 * the JSON that Jest and Vitest write (`--reporter=json`, `--json`). Counts
 * come from the report, never from a runner's console output. XML is parsed
 * with a real parser; a JUnit file is counted test case by test case, since
 * writers disagree on the totals they put on <testsuites> (Node's test runner
 * puts none), and a case counts as failed when it holds <failure> or <error>,
 * skipped when it holds <skipped>.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { z } from "zod";
import {
  describeCounts,
  labelFromName,
  type ReportFormat,
  reportFile,
  type TestCounts,
  testsPassed,
} from "../domain/test-counts.js";
import { coerceError } from "../errors.js";

type Counts = Omit<TestCounts, "label">;
export type ParsedReport = { ok: true; counts: Counts } | { ok: false; problem: string };

/** `junit` for .xml, `json` (Jest/Vitest) for .json; undefined otherwise. */
export function formatOf(file: string): ReportFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".xml") return "junit";
  if (ext === ".json") return "json";
  return undefined;
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  isArray: (name) => name === "testsuite" || name === "testcase",
});

type XmlNode = Record<string, unknown>;

function isNode(value: unknown): value is XmlNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function children(node: XmlNode, name: string): XmlNode[] {
  const value = node[name];
  if (!Array.isArray(value)) return [];
  // An empty element (<testcase/>) is parsed as "": it is still a case.
  return value.map((entry) => (isNode(entry) ? entry : {}));
}

function countAttribute(node: XmlNode, name: string): number {
  const n = Number(node[`@${name}`] ?? 0);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
  cases: number;
}

function tallyCases(node: XmlNode, tally: Tally): void {
  for (const testcase of children(node, "testcase")) {
    tally.cases += 1;
    if ("failure" in testcase || "error" in testcase) tally.failed += 1;
    else if ("skipped" in testcase) tally.skipped += 1;
    else tally.passed += 1;
  }
  for (const suite of children(node, "testsuite")) tallyCases(suite, tally);
}

/** Totals from <testsuite> attributes, for a report that lists no cases. */
function tallyAttributes(suites: readonly XmlNode[]): Tally {
  const tally: Tally = { passed: 0, failed: 0, skipped: 0, cases: 0 };
  for (const suite of suites) {
    const tests = countAttribute(suite, "tests");
    const failed = countAttribute(suite, "failures") + countAttribute(suite, "errors");
    const skipped = countAttribute(suite, "skipped") + countAttribute(suite, "disabled");
    tally.failed += failed;
    tally.skipped += skipped;
    tally.passed += Math.max(0, tests - failed - skipped);
  }
  return tally;
}

export function parseJUnit(text: string): ParsedReport {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    return { ok: false, problem: `not well-formed XML (line ${valid.err.line}: ${valid.err.msg})` };
  }
  const doc = xml.parse(text) as XmlNode;
  const top = isNode(doc.testsuites) ? doc.testsuites : "testsuites" in doc ? {} : doc;
  const suites = children(top, "testsuite");
  if (!("testsuites" in doc) && suites.length === 0) {
    return { ok: false, problem: "not a JUnit report: it has neither <testsuites> nor <testsuite>" };
  }
  const tally: Tally = { passed: 0, failed: 0, skipped: 0, cases: 0 };
  tallyCases(top, tally);
  const counted = tally.cases > 0 ? tally : tallyAttributes(suites);
  return { ok: true, counts: { passed: counted.passed, failed: counted.failed, skipped: counted.skipped } };
}

const count = z.number().int().min(0);
/** The summary fields Jest's `--json` and Vitest's json reporter both write. */
const jestSummary = z.object({
  numTotalTests: count,
  numPassedTests: count,
  numFailedTests: count,
  numPendingTests: count.default(0),
  numTodoTests: count.default(0),
  numFailedTestSuites: count.default(0),
  numRuntimeErrorTestSuites: count.default(0),
  testResults: z.array(z.object({ status: z.string().optional() })).default([]),
});

export function parseJestJson(text: string): ParsedReport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not valid JSON (${coerceError(error).message})` };
  }
  const parsed = jestSummary.safeParse(data);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "(top)"))].join(", ");
    return {
      ok: false,
      problem: `not a Jest/Vitest JSON report (missing or wrong: ${fields}); write it with vitest --reporter=json or jest --json`,
    };
  }
  const r = parsed.data;
  // A suite that could not even load has no failed tests, yet nothing in it ran: it counts as a failure.
  const brokenSuites = r.testResults.filter((s) => s.status === "failed").length;
  const unexplained = r.numFailedTests === 0 ? Math.max(brokenSuites, r.numRuntimeErrorTestSuites) : 0;
  return {
    ok: true,
    counts: {
      passed: r.numPassedTests,
      failed: r.numFailedTests + unexplained,
      skipped: r.numPendingTests + r.numTodoTests,
    },
  };
}

export function parseReport(text: string, format: ReportFormat): ParsedReport {
  return format === "junit" ? parseJUnit(text) : parseJestJson(text);
}

export interface ReportSpec {
  /** Relative to `workdir`. */
  readonly file: string;
  readonly format?: ReportFormat | undefined;
  readonly label: string;
}

export type ReadReport = { ok: true; counts: TestCounts } | { ok: false; problem: string };

/**
 * Reads and parses a report file. `notBefore` (epoch ms) refuses a file last
 * written before it: a stage's report must come from that stage's run, not
 * from an earlier one left behind.
 */
export async function readTestReport(spec: ReportSpec, workdir: string, notBefore?: number): Promise<ReadReport> {
  const format = spec.format ?? formatOf(spec.file);
  if (format === undefined) {
    return {
      ok: false,
      problem: `cannot tell the format of ${spec.file}: name it .xml (JUnit) or .json, or set format`,
    };
  }
  const file = path.resolve(workdir, spec.file);
  let text: string;
  try {
    if (notBefore !== undefined) {
      const written = (await stat(file)).mtimeMs;
      // File systems keep coarse times: a second of slack.
      if (written < notBefore - 1_000) {
        return { ok: false, problem: `${spec.file} was written before this run started; the run wrote no report` };
      }
    }
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      ok: false,
      problem:
        code === "ENOENT"
          ? `${spec.file} does not exist: the test run wrote no report there`
          : `cannot read ${spec.file}: ${coerceError(error).message}`,
    };
  }
  const parsed = parseReport(text, format);
  if (!parsed.ok) return { ok: false, problem: `${spec.file} is ${parsed.problem}` };
  return { ok: true, counts: { label: spec.label, ...parsed.counts } };
}

/**
 * The report a stage wrote, read after it ran: its counts, and what is wrong
 * when the report is missing, stale, unreadable or counts a failure.
 */
export async function readStageReport(
  report: { readonly file: string; readonly format?: ReportFormat | undefined; readonly label?: string | undefined },
  stage: { readonly name: string; readonly deploymentId: string; readonly startedAt: number },
  workdir: string,
): Promise<{ tests?: TestCounts; problem?: string }> {
  const read = await readTestReport(
    {
      file: reportFile(report.file, stage.deploymentId),
      format: report.format,
      label: report.label ?? labelFromName(stage.name),
    },
    workdir,
    stage.startedAt,
  );
  if (!read.ok) return { problem: read.problem };
  return testsPassed(read.counts)
    ? { tests: read.counts }
    : { tests: read.counts, problem: `tests failed: ${describeCounts(read.counts)}` };
}
