/*
 * Backups and their restore. A deployment's backup stage (a stage whose
 * action is `backup`) prints the id of the backup it took on a line of its
 * own, `backup-id: <id>`; Slipway keeps that id with the deployment, so a
 * later `/rollback … --restore` can hand it to the target's `restore` action
 * (as SLIPWAY_BACKUP_ID) after the way back. A deployment already rolled
 * back without it can still have its backup restored afterwards: the restore
 * runs alone, then the post-rollback validation is checked again.
 */
import type { ItemResult } from "./checklist.js";

/** What a backup id may hold: it reaches a target as a variable, never through a shell, but stays plain. */
const BACKUP_ID = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/;

/** The id the last `backup-id: <id>` line of a backup's output names; undefined when it names none. */
export function parseBackupId(output: string): string | undefined {
  let found: string | undefined;
  for (const line of output.split("\n")) {
    const match = /^\s*backup-id:\s*(\S+)\s*$/.exec(line);
    if (match?.[1] && BACKUP_ID.test(match[1])) found = match[1];
  }
  return found;
}

/** A restore asked for with a rollback: which backup, taken by which deployment, and how it went. */
export interface RestoreRecord {
  readonly backupId: string;
  /** The deployment whose backup stage took it. */
  readonly takenBy: string;
  /** Slack user id of who asked. */
  readonly by: string;
  readonly at: number;
  /** Set once the target's restore action ran. */
  readonly ok?: boolean;
  /** The restore action's output tail. */
  readonly output?: string;
  readonly finishedAt?: number;
  /** Asked after the deployment had ended, rolled back without it: the restore runs alone. */
  readonly afterEnd?: true;
  /** An after-the-fact restore's post-rollback validation, checked once the backup is back. */
  readonly validation?: readonly ItemResult[];
}
