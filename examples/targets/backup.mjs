import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { context, once, pause, stateDir } from "../lib/example.mjs";
import { call, routerAdmin } from "../lib/stack.mjs";

const ctx = context();
const admin = routerAdmin();
console.log(`backing up ${ctx.service} ${ctx.environment} before ${ctx.version}`);
await once("backup", async () => {
  await pause();
  if (!admin) {
    console.log(`snapshot ${ctx.service}-${ctx.environment}-${ctx.deploymentId} written (42 tables, 18 MB)`);
    return;
  }
  const { pools, weight, flags } = await call(admin, "GET", "/state");
  const file = join("backups", `${ctx.service}-${ctx.environment}-${ctx.deploymentId}.json`);
  mkdirSync(join(stateDir(), "backups"), { recursive: true });
  const backup = { at: new Date().toISOString(), ...ctx, router: { pools, weight, flags } };
  writeFileSync(join(stateDir(), file), `${JSON.stringify(backup, null, 2)}\n`);
  console.log(`backup ${file} written (stable ${pools.stable.map((m) => m.version).join(", ") || "empty"})`);
  return { file };
});
