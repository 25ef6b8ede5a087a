/*
 * Test results as read from a test run's own report (JUnit XML, Jest or
 * Vitest JSON): how many passed, failed and were skipped. A suite passes only
 * with nothing failed; the record shows it in the seed's words,
 * "Unit Tests: PASS (1,234 tests)".
 */

export const REPORT_FORMATS = ["junit", "json"] as const;
/** `junit`: JUnit XML; `json`: what Jest (`--json`) and Vitest (`--reporter=json`) write. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface TestCounts {
  /** What ran, in words: "Unit Tests", "Integration". */
  readonly label: string;
  readonly passed: number;
  /** Failed and errored tests, and suites that could not run at all. */
  readonly failed: number;
  /** Skipped, pending and to-do tests. */
  readonly skipped: number;
}

export function testsPassed(counts: Pick<TestCounts, "failed">): boolean {
  return counts.failed === 0;
}

const GROUPED = new Intl.NumberFormat("en-US");

/** 1234 → "1,234". */
export function grouped(n: number): string {
  return GROUPED.format(n);
}

function plural(n: number, word: string): string {
  return `${grouped(n)} ${word}${n === 1 ? "" : "s"}`;
}

/** "PASS (1,234 tests)", "PASS (1,230 tests, 4 skipped)", "FAIL (2 of 1,234 tests failed)". */
export function describeCounts(counts: TestCounts): string {
  const ran = counts.passed + counts.failed;
  const skipped = counts.skipped > 0 ? `, ${grouped(counts.skipped)} skipped` : "";
  if (testsPassed(counts)) return `PASS (${plural(ran, "test")}${skipped})`;
  return `FAIL (${grouped(counts.failed)} of ${plural(ran, "test")} failed${skipped})`;
}

/** "Unit Tests: PASS (1,234 tests)" */
export function testLine(counts: TestCounts): string {
  return `${counts.label}: ${describeCounts(counts)}`;
}

/** A report file as a manifest names it, with `{deployment}` replaced by the deployment's id. */
export function reportFile(template: string, deploymentId: string): string {
  return template.replaceAll("{deployment}", deploymentId);
}

/** "unit-tests" → "Unit Tests": a stage's name as a suite's label. */
export function labelFromName(name: string): string {
  return name
    .split(/[-_\s]+/)
    .filter((word) => word !== "")
    .map((word) => `${word[0]?.toUpperCase() ?? ""}${word.slice(1)}`)
    .join(" ");
}
