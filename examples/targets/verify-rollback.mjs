import { context, currentVersion, pause } from "../lib/example.mjs";
import { call, checkHealth, fail, routerAdmin, versionsOf } from "../lib/stack.mjs";

const ctx = context();
const admin = routerAdmin();
console.log(`verifying rollback capability for ${ctx.service} on ${ctx.environment}`);
await pause();
if (!admin) {
  console.log(
    `running ${currentVersion(ctx) ?? "nothing yet"}; it can be restored and the latest backup restores cleanly`,
  );
} else {
  const { pools } = await call(admin, "GET", "/state");
  const target = process.env.SLIPWAY_PREVIOUS_VERSION || pools.stable[0]?.version;
  if (!target) fail("verify rollback failed: no previous version and nothing stable to fall back to");
  const members = [...pools.stable, ...pools.previous].filter((m) => m.version === target);
  if (members.length === 0) {
    fail(`verify rollback failed: ${target} is not running (stable: ${versionsOf(pools.stable)})`);
  }
  const sick = await checkHealth(members);
  if (sick.length > 0)
    fail(`verify rollback failed: ${sick.length}/${members.length} instances of ${target} unhealthy`);
  console.log(`${target} is running and healthy on ${members.length} instance(s); rollback can return to it`);
}
