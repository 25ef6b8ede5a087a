// The example service's log since a time: `node examples/checks/logs.mjs`, given
// SLIPWAY_LOGS_SINCE (ISO 8601) as Slipway's logs checks pass it. The example
// has no log shipper, so its log is what its target scripts did, from the
// ledger: one INFO line per side effect in this service and environment. A
// version whose name contains "noisy" logs an ERROR as it starts.
import { context, readLedger } from "../lib/example.mjs";

const since = process.env.SLIPWAY_LOGS_SINCE;
if (!since || Number.isNaN(Date.parse(since))) {
  console.error("error: set SLIPWAY_LOGS_SINCE to an ISO 8601 time, e.g. 2026-12-07T06:00:00.000Z");
  process.exit(2);
}
const ctx = context();
const from = Date.parse(since);
for (const entry of readLedger()) {
  if (entry.service !== ctx.service || entry.environment !== ctx.environment || Date.parse(entry.at) < from) continue;
  console.log(`${entry.at} INFO ${entry.action} ${entry.version} (attempt ${entry.attempt})`);
  if (entry.action === "deploy" && String(entry.version).includes("noisy")) {
    console.log(`${entry.at} ERROR ${entry.version}: payment provider timed out after 5000 ms`);
  }
}
