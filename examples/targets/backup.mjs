import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { backupFile } from "../lib/backups.mjs";
import { context, once, pause, stateDir } from "../lib/example.mjs";
import { call, routerAdmin } from "../lib/stack.mjs";

// Takes a backup before the deployment and prints its id on a line of its own (`backup-id: …`): Slipway keeps it
// with the deployment, and `/rollback … --restore` hands it to restore.mjs.
const ctx = context();
const admin = routerAdmin();
const id = `${ctx.service}-${ctx.environment}-${ctx.deploymentId}`;
console.log(`backing up ${ctx.service} ${ctx.environment} before ${ctx.version}`);
await once("backup", async () => {
  await pause();
  const router = admin ? await call(admin, "GET", "/state") : undefined;
  mkdirSync(join(stateDir(), "backups"), { recursive: true });
  const backup = {
    at: new Date().toISOString(),
    ...ctx,
    ...(router ? { router: { pools: router.pools, weight: router.weight, flags: router.flags } } : {}),
  };
  writeFileSync(backupFile(id), `${JSON.stringify(backup, null, 2)}\n`);
  console.log(`backup ${id} written (42 tables, 18 MB)`);
  return { backupId: id };
});
console.log(`backup-id: ${id}`);
