// Integration tests of the example service's report files, run by examples/stages/run-tests.mjs.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const read = (name) => JSON.parse(readFileSync(new URL(`../../reports/${name}`, import.meta.url), "utf8"));

test("the performance report has a p95 latency", () => {
  assert.equal(typeof read("performance.json").latencyMs.p95, "number");
});

test("the audit report counts vulnerabilities by severity", () => {
  const counts = read("audit.json").metadata.vulnerabilities;
  for (const severity of ["critical", "high", "moderate", "low"]) assert.equal(typeof counts[severity], "number");
});

test("the coverage summary has a line percentage", () => {
  const summary = JSON.parse(readFileSync(new URL("../../coverage/coverage-summary.json", import.meta.url), "utf8"));
  assert.ok(summary.total.lines.pct >= 0 && summary.total.lines.pct <= 100);
});
