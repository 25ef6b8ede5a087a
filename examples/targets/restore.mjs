import { readFileSync } from "node:fs";
import { backupFile } from "../lib/backups.mjs";
import { context, once, pause } from "../lib/example.mjs";

// Restores the backup SLIPWAY_BACKUP_ID names (taken by a deployment's backup stage), after the way back.
const ctx = context();
const id = process.env.SLIPWAY_BACKUP_ID;
if (!id) {
  console.error("error: SLIPWAY_BACKUP_ID is not set; restore needs the id of the backup to restore");
  process.exit(2);
}
const file = backupFile(id);
console.log(`restoring ${ctx.service} ${ctx.environment} from backup ${id}`);
await once("restore", async () => {
  let backup;
  try {
    backup = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    console.error(`error: backup ${id} cannot be read (${error.code ?? error.message}); nothing restored`);
    process.exit(1);
  }
  await pause();
  console.log(
    `restored ${backup.service} ${backup.environment} data from backup ${id}, taken ${backup.at} before ${backup.version}`,
  );
  return { restoredFrom: id };
});
