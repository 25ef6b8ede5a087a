import { context, currentVersion, pause } from "../lib/example.mjs";

const ctx = context();
console.log(`verifying rollback capability for ${ctx.service} on ${ctx.environment}`);
await pause();
console.log(
  `running ${currentVersion(ctx) ?? "nothing yet"}; it can be restored and the latest backup restores cleanly`,
);
