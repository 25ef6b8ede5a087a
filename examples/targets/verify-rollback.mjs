import { context, currentVersion, pause } from "../lib/example.mjs";

const ctx = context();
console.log(`verifying rollback capability for ${ctx.service} on ${ctx.environment}`);
await pause();
console.log(`previous version ${currentVersion(ctx) ?? "(none yet)"} is available; backup restores cleanly`);
