// Where the example's backup and restore scripts keep backups: one JSON file per backup id.
import { join } from "node:path";
import { stateDir } from "./example.mjs";

const BACKUP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** The file of backup `id`; exits 2 for an id that is not a plain name. */
export function backupFile(id, env = process.env) {
  if (!BACKUP_ID.test(id ?? "")) {
    console.error(`error: '${id}' is not a backup id (letters, digits, '.', '_' and '-')`);
    process.exit(2);
  }
  return join(stateDir(env), "backups", `${id}.json`);
}
