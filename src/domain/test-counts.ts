/*
 * Test results as read from a test run's own report (JUnit XML, Jest or
 * Vitest JSON): how many passed, failed and were skipped. A suite passes only
 * with nothing failed; the record shows it in the seed's words,
 * "Unit Tests: PASS (1,234 tests)".
 */

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
