import { context, once, pause } from "../lib/example.mjs";

const ctx = context();
console.log(`backing up ${ctx.service} ${ctx.environment} before ${ctx.version}`);
await once("backup", async () => {
  await pause();
  console.log(`snapshot ${ctx.service}-${ctx.environment}-${ctx.deploymentId} written (42 tables, 18 MB)`);
});
