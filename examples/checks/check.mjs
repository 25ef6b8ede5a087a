// Checklist checks of the example service: `node examples/checks/check.mjs <name>`.
// Each prints what it looked at and exits 0 when the check passes. Name checks
// in SLIPWAY_EXAMPLE_FAIL_CHECKS (comma-separated) to make them fail, so a demo
// or test can show a blocked checklist.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { context, currentVersion } from "../lib/example.mjs";
import { call, routerAdmin, versionsOf } from "../lib/stack.mjs";

const ctx = context();
const admin = routerAdmin();

/** With the sample stack's router: every stable instance runs SLIPWAY_VERSION and no canary takes traffic. */
async function previousVersionRunning() {
  if (!admin) return { ok: true, lines: [`running ${currentVersion(ctx) ?? "the previous version"}`] };
  const { pools, weight } = await call(admin, "GET", "/state");
  const running = pools.stable.filter((m) => m.version === ctx.version).length;
  const ok =
    pools.stable.length > 0 && running === pools.stable.length && (pools.candidate.length === 0 || weight === 0);
  return {
    ok,
    lines: [
      `stable: ${running}/${pools.stable.length} instances on ${ctx.version} (${versionsOf(pools.stable)}); ${weight}% to a canary`,
    ],
  };
}

/** With the sample stack's router: a few requests through it, every one answered 200. */
async function usersCanAccess() {
  if (!admin) return { ok: true, lines: ["GET / 200, POST /login 200"] };
  const url = `${new URL(admin).origin}/`;
  const statuses = [];
  for (let i = 0; i < 5; i += 1) {
    statuses.push(
      await fetch(url, { signal: AbortSignal.timeout(5000) }).then(
        (res) => res.status,
        (error) => error.cause?.code ?? "no answer",
      ),
    );
  }
  const ok = statuses.every((status) => status === 200);
  return { ok, lines: [`GET ${url} × ${statuses.length}: ${statuses.join(" ")}`] };
}

function auditSummary() {
  const report = JSON.parse(readFileSync(new URL("../reports/audit.json", import.meta.url), "utf8"));
  const counts = report.metadata.vulnerabilities;
  const blocking = counts.critical + counts.high;
  const line = `npm audit: ${counts.critical} critical, ${counts.high} high, ${counts.moderate} moderate, ${counts.low} low`;
  return { ok: blocking === 0, lines: [line] };
}

/** A small static analysis of the example's own scripts: code run from strings is a finding. */
function securityScan() {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const files = readdirSync(root, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith(".mjs") && !file.includes("node_modules"));
  const risky = /\beval\(|new Function\(/;
  const findings = files.filter((file) => risky.test(readFileSync(join(root, file), "utf8")));
  return {
    ok: findings.length === 0,
    lines: [`static analysis: ${files.length} files scanned, ${findings.length} findings`, ...findings],
  };
}

const checks = {
  "security-scan": securityScan,
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
  "previous-version": previousVersionRunning,
  "data-integrity": () => ({ ok: true, lines: ["row counts and checksums match the pre-deployment backup"] }),
  "users-can-access": usersCanAccess,
};

const name = process.argv[2] ?? "";
const check = checks[name];
if (check === undefined) {
  console.error(`error: unknown check '${name}' (use one of: ${Object.keys(checks).join(", ")})`);
  process.exit(2);
}
const failing = (process.env.SLIPWAY_EXAMPLE_FAIL_CHECKS ?? "").split(",").map((entry) => entry.trim());
const result = await check();
for (const line of result.lines) console.log(line);
if (!result.ok || failing.includes(name)) {
  console.error(`${name}: failed`);
  process.exit(1);
}
