import { context, once, pause } from "../lib/example.mjs";
import { call, fail, routerAdmin } from "../lib/stack.mjs";

const ctx = context();
const admin = routerAdmin();
const flag = process.env.SLIPWAY_FLAG || `${ctx.service}-${ctx.version}`;
const enabled = (process.env.SLIPWAY_FLAG_ENABLED ?? "true") !== "false";
const percent = Number(process.env.SLIPWAY_FLAG_PERCENT || 100);
if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
  fail(`error: SLIPWAY_FLAG_PERCENT must be a number from 0 to 100, got '${process.env.SLIPWAY_FLAG_PERCENT}'`);
}
console.log(`${enabled ? "enabling" : "disabling"} feature flag ${flag} on ${ctx.environment}`);
await once("setFlag", async () => {
  await pause();
  if (admin) await call(admin, "PUT", `/flag/${encodeURIComponent(flag)}`, { enabled, percent });
  console.log(`flag ${flag} is now ${enabled ? `on for ${percent}% of requests` : "off"}`);
  return { flag, enabled, percent };
});
