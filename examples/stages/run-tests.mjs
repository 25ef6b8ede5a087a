import { context, pause } from "../lib/example.mjs";

const suites = { unit: 128, integration: 46, e2e: 12, full: 186 };
const suite = process.argv[2] ?? "unit";
const count = suites[suite];
if (count === undefined) {
  console.error(`error: unknown test suite '${suite}' (use one of: ${Object.keys(suites).join(", ")})`);
  process.exit(2);
}
const ctx = context();
console.log(`running ${suite} tests for ${ctx.service} ${ctx.version}`);
await pause();
console.log(`${count} passed, 0 failed`);
console.log("coverage: 84.2%");
