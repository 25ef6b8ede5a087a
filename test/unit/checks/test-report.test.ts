import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJestJson, parseJUnit, readTestReport } from "../../../src/checks/test-report.js";
import { describeCounts, testLine } from "../../../src/domain/test-counts.js";
import { ROOT } from "../../support/slipway-process.js";

const FIXTURES = path.join(ROOT, "test", "fixtures");
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "slipway-reports-"));
  // Vitest's own reporters, on a small suite: 3 pass, 1 fails, 1 skipped, 1 to-do. It exits 1 for the failure.
  await promisify(execFile)(
    process.execPath,
    [
      path.join(ROOT, "node_modules", "vitest", "vitest.mjs"),
      "run",
      "--root",
      path.join(FIXTURES, "vitest-sample"),
      "--reporter=junit",
      "--reporter=json",
      `--outputFile.junit=${path.join(dir, "vitest.xml")}`,
      `--outputFile.json=${path.join(dir, "vitest.json")}`,
    ],
    { cwd: ROOT },
  ).catch((error: { code?: number }) => {
    if (error.code !== 1) throw error;
  });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("reports written by Vitest's reporters", () => {
  it("counts the JUnit report case by case", async () => {
    const parsed = parseJUnit(await readFile(path.join(dir, "vitest.xml"), "utf8"));
    expect(parsed).toEqual({ ok: true, counts: { passed: 3, failed: 1, skipped: 2 } });
  });

  it("reads the JSON report's summary, to-dos counted as skipped", async () => {
    const parsed = parseJestJson(await readFile(path.join(dir, "vitest.json"), "utf8"));
    expect(parsed).toEqual({ ok: true, counts: { passed: 3, failed: 1, skipped: 2 } });
  });

  it("reads a file by its extension and labels it", async () => {
    const read = await readTestReport({ file: "vitest.json", label: "Unit Tests" }, dir);
    expect(read).toEqual({ ok: true, counts: { label: "Unit Tests", passed: 3, failed: 1, skipped: 2 } });
    if (read.ok) expect(testLine(read.counts)).toBe("Unit Tests: FAIL (1 of 4 tests failed, 2 skipped)");
  });
});

describe("JUnit XML", () => {
  it("counts failures and errors as failed, skipped cases apart, in nested suites, ignoring stated totals", async () => {
    const parsed = parseJUnit(await readFile(path.join(FIXTURES, "junit-mixed.xml"), "utf8"));
    expect(parsed).toEqual({ ok: true, counts: { passed: 3, failed: 2, skipped: 2 } });
  });

  it("counts Node's test runner report, whose cases sit right under <testsuites>", () => {
    const text = `<?xml version="1.0" encoding="utf-8"?>
<testsuites>
  <testcase name="adds" time="0.003" classname="test"/>
  <testcase name="skipme" classname="test"><skipped type="skipped" message="true"/></testcase>
  <testsuite name="suite" tests="1"><testcase name="inner" classname="test"/></testsuite>
</testsuites>`;
    expect(parseJUnit(text)).toEqual({ ok: true, counts: { passed: 2, failed: 0, skipped: 1 } });
  });

  it("falls back to a single suite's totals when it lists no cases", () => {
    const text = `<testsuite name="x" tests="10" failures="1" errors="1" skipped="3"></testsuite>`;
    expect(parseJUnit(text)).toEqual({ ok: true, counts: { passed: 5, failed: 2, skipped: 3 } });
  });

  it("refuses malformed XML and XML that is not a test report, saying what is wrong", () => {
    const broken = parseJUnit("<testsuites><testcase></testsuites>");
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.problem).toMatch(/not well-formed XML \(line 1/);
    const other = parseJUnit("<html><body/></html>");
    expect(other).toEqual({ ok: false, problem: expect.stringMatching(/not a JUnit report/) });
  });
});

describe("Jest/Vitest JSON", () => {
  it("counts a suite that could not load as a failure even with no failed test", () => {
    const text = JSON.stringify({
      numTotalTests: 4,
      numPassedTests: 4,
      numFailedTests: 0,
      numPendingTests: 0,
      numFailedTestSuites: 1,
      testResults: [{ status: "passed" }, { status: "failed" }],
    });
    expect(parseJestJson(text)).toEqual({ ok: true, counts: { passed: 4, failed: 1, skipped: 0 } });
  });

  it("refuses JSON that is not a report, naming the missing fields", () => {
    expect(parseJestJson('{"total": 3}')).toEqual({
      ok: false,
      problem: expect.stringMatching(/not a Jest\/Vitest JSON report \(missing or wrong: numTotalTests/),
    });
    expect(parseJestJson("{")).toEqual({ ok: false, problem: expect.stringMatching(/not valid JSON/) });
  });
});

describe("reading report files", () => {
  it("says when the file is missing, of unknown format, or older than the run", async () => {
    expect(await readTestReport({ file: "nope.xml", label: "Unit" }, dir)).toEqual({
      ok: false,
      problem: "nope.xml does not exist: the test run wrote no report there",
    });
    expect(await readTestReport({ file: "report.txt", label: "Unit" }, dir)).toEqual({
      ok: false,
      problem: expect.stringMatching(/cannot tell the format of report.txt/),
    });
    await writeFile(path.join(dir, "old.xml"), "<testsuite><testcase name='a'/></testsuite>");
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await utimes(path.join(dir, "old.xml"), anHourAgo, anHourAgo);
    expect(await readTestReport({ file: "old.xml", label: "Unit" }, dir, Date.now())).toEqual({
      ok: false,
      problem: "old.xml was written before this run started; the run wrote no report",
    });
    expect(await readTestReport({ file: "old.xml", label: "Unit" }, dir)).toMatchObject({ ok: true });
  });

  it("words counts the way the deployment record does", () => {
    expect(describeCounts({ label: "Unit Tests", passed: 1234, failed: 0, skipped: 0 })).toBe("PASS (1,234 tests)");
    expect(describeCounts({ label: "E2E", passed: 1, failed: 0, skipped: 1 })).toBe("PASS (1 test, 1 skipped)");
  });
});
