// Checklist checks of the example service: `node examples/checks/check.mjs <name>`.
// Each prints what it looked at and exits 0 when the check passes. Name checks
// in SLIPWAY_EXAMPLE_FAIL_CHECKS (comma-separated) to make them fail, so a demo
// or test can show a blocked checklist.
import { readFileSync } from "node:fs";
import { context, currentVersion } from "../lib/example.mjs";

const ctx = context();

function auditSummary() {
  const report = JSON.parse(readFileSync(new URL("../reports/audit.json", import.meta.url), "utf8"));
  const counts = report.metadata.vulnerabilities;
  const blocking = counts.critical + counts.high;
  const line = `npm audit: ${counts.critical} critical, ${counts.high} high, ${counts.moderate} moderate, ${counts.low} low`;
  return { ok: blocking === 0, lines: [line] };
}

const checks = {
  "security-scan": () => ({ ok: true, lines: ["static analysis: 214 files scanned, 0 findings"] }),
  audit: auditSummary,
  migrations: () => ({
    ok: true,
    lines: ["3 pending migrations, all reversible; dry run on a copy of production passed"],
  }),
  "env-vars": () => ({ ok: true, lines: [`12/12 variables set for ${ctx.environment}`] }),
  "monitoring-alerts": () => ({
    ok: true,
    lines: ["alerts: error rate, p95 latency, memory, CPU — all routed to #incidents"],
  }),
  "rollback-plan": () => ({ ok: true, lines: ["runbook docs/rollback.md reviewed 2 days ago"] }),
  "security-headers": () => ({
    ok: true,
    lines: ["Strict-Transport-Security, Content-Security-Policy, X-Content-Type-Options present"],
  }),
  "previous-version": () => ({ ok: true, lines: [`running ${currentVersion(ctx) ?? "the previous version"}`] }),
  "data-integrity": () => ({ ok: true, lines: ["row counts and checksums match the pre-deployment backup"] }),
  "users-can-access": () => ({ ok: true, lines: ["GET / 200, POST /login 200"] }),
};

const name = process.argv[2] ?? "";
const check = checks[name];
if (check === undefined) {
  console.error(`error: unknown check '${name}' (use one of: ${Object.keys(checks).join(", ")})`);
  process.exit(2);
}
const failing = (process.env.SLIPWAY_EXAMPLE_FAIL_CHECKS ?? "").split(",").map((entry) => entry.trim());
const result = check();
for (const line of result.lines) console.log(line);
if (!result.ok || failing.includes(name)) {
  console.error(`${name}: failed`);
  process.exit(1);
}
