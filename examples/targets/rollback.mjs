import { context, currentVersion, once, pause } from "../lib/example.mjs";
import {
  call,
  fail,
  replaceInstance,
  routerAdmin,
  startService,
  stopServices,
  strategy,
  versionsOf,
} from "../lib/stack.mjs";

const ctx = context();
const admin = routerAdmin();
const previous = process.env.SLIPWAY_PREVIOUS_VERSION || undefined;
const target = previous || ctx.version;
console.log(`rolling back ${ctx.service} on ${ctx.environment} to ${target} (deployment ${ctx.deploymentId})`);

/** Rolling: every stable instance running the new version goes back to the version it replaced. */
async function rollInstancesBack() {
  const { pools } = await call(admin, "GET", "/state");
  const updated = pools.stable.filter((m) => m.version === ctx.version);
  if (updated.length === 0) console.log(`no instance runs ${ctx.version}; nothing to roll back`);
  for (const member of updated) {
    const back = member.replaces || previous;
    if (!back) fail(`error: instance ${member.instance} runs ${ctx.version} and nothing says what it replaced`);
    await replaceInstance(admin, member.instance, back, null);
  }
  const { pools: after } = await call(admin, "GET", "/state");
  console.log(`stable pool now runs ${after.stable.map((m) => `#${m.instance} ${m.version}`).join(", ")}`);
  return { version: versionsOf(after.stable) };
}

/** Traffic back to stable, candidate stopped; if the new version was promoted, the previous one restored. */
async function rollTrafficBack() {
  const state = await call(admin, "GET", "/state");
  await call(admin, "PUT", "/weight", { weight: 0 });
  if (state.pools.candidate.length > 0) {
    const after = await call(admin, "PUT", "/pool/candidate", { members: [] });
    await stopServices(after.retired);
  }
  let stable = state.pools.stable;
  if (stable.some((m) => m.version === ctx.version)) {
    let after;
    if (state.pools.previous.length > 0) {
      after = await call(admin, "POST", "/restore-previous");
    } else if (previous) {
      const members = await Promise.all(
        stable.map((m) => startService({ version: previous, slot: "stable", instance: m.instance, parent: state.pid })),
      );
      after = await call(admin, "PUT", "/pool/stable", { members });
    } else {
      fail(`error: ${ctx.version} is stable and there is no previous version to restore`);
    }
    await stopServices(after.retired);
    stable = after.pools.stable;
  }
  console.log(`100% of traffic on ${versionsOf(stable)}`);
  return { version: stable[0]?.version ?? target };
}

await once("rollback", async () => {
  if (admin) return strategy() === "rolling" ? rollInstancesBack() : rollTrafficBack();
  console.log(`was running ${currentVersion(ctx) ?? "unknown"}`);
  await pause();
  console.log(`2/2 instances running ${target}`);
  return { version: target };
});
