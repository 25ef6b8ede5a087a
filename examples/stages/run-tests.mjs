// The example service's test stage: runs its real tests (examples/tests/<suite>) with
// Node's test runner and writes a JUnit report where Slipway asks (SLIPWAY_TEST_REPORT),
// which Slipway reads for the counts. `full` runs every suite.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { context, stateDir } from "../lib/example.mjs";

const TESTS = fileURLToPath(new URL("../tests", import.meta.url));
const suites = { unit: ["unit"], integration: ["integration"], full: ["unit", "integration"] };
const suite = process.argv[2] ?? "unit";
const dirs = suites[suite];
if (dirs === undefined) {
  console.error(`error: unknown test suite '${suite}' (use one of: ${Object.keys(suites).join(", ")})`);
  process.exit(2);
}
const ctx = context();
const report = process.env.SLIPWAY_TEST_REPORT || join(stateDir(), "reports", `${suite}.xml`);
mkdirSync(dirname(report), { recursive: true });
console.log(`running ${suite} tests for ${ctx.service} ${ctx.version}; JUnit report: ${report}`);
const run = spawnSync(
  process.execPath,
  [
    "--test",
    "--test-reporter=junit",
    `--test-reporter-destination=${report}`,
    "--test-reporter=tap",
    "--test-reporter-destination=stdout",
    ...dirs.map((dir) => join(TESTS, dir)),
  ],
  { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" },
);
// The summary lines of the TAP output: "# tests 6", "# pass 6", "# fail 0"…
for (const line of (run.stdout ?? "").split("\n")) if (/^# (tests|pass|fail|skipped) /.test(line)) console.log(line);
process.exit(run.status ?? 1);
