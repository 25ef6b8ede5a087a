import { context, once, pause } from "../lib/example.mjs";

const ctx = context();
console.log(`deploying ${ctx.service} ${ctx.version} to ${ctx.environment} (deployment ${ctx.deploymentId})`);
await once("deploy", async () => {
  console.log(`pulling image ${ctx.service}:${ctx.version}`);
  await pause();
  console.log(`2/2 instances running ${ctx.version}`);
});
