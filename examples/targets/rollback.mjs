import { context, currentVersion, once, pause } from "../lib/example.mjs";

const ctx = context();
const target = process.env.SLIPWAY_PREVIOUS_VERSION || ctx.version;
console.log(`rolling back ${ctx.service} on ${ctx.environment} to ${target} (deployment ${ctx.deploymentId})`);
await once("rollback", async () => {
  console.log(`was running ${currentVersion(ctx) ?? "unknown"}`);
  await pause();
  console.log(`2/2 instances running ${target}`);
  return { version: target };
});
