import { describe, expect, it } from "vitest";
import type { RestoreRecord } from "../../../src/domain/backup.js";
import { type Deployment, moveTo, newDeployment } from "../../../src/domain/deployment.js";
import type { RestorePlan } from "../../../src/engine/restore-request.js";
import {
  renderRestoreDialog,
  renderRestoreReply,
  restoreAnswerText,
  restoreLine,
  restoreRefusalText,
} from "../../../src/slack/renderers/backup-restore.js";
import { expectWithinSlackLimits } from "../../support/slack-message.js";

const T0 = Date.UTC(2026, 11, 7, 9, 30, 0);
const BACKUP = "vault-production-d-7k3m9x2q";

/** A production deployment rolled back where it stood, v1.1.0 live again, with the backup its backup stage took. */
function rolledBack(restore?: RestoreRecord): Deployment {
  const d = newDeployment(
    {
      id: "d-7k3m9x2q",
      service: "vault",
      environment: "production",
      version: "v1.2.0",
      strategy: "canary",
      hotfix: false,
      requestedBy: "U0DEPLOY01",
      source: "slack",
      steps: [
        { name: "backup", action: "backup" },
        { name: "deploy", action: "deploy" },
      ],
      channel: "C0VAULT001",
      previousVersion: "v1.1.0",
      waitLimitMs: 3_600_000,
    },
    T0,
  );
  return {
    ...moveTo(moveTo(moveTo(d, "running", T0), "rolling_back", T0 + 1_000), "rolled_back", T0 + 2_000),
    backupId: BACKUP,
    ...(restore ? { restore } : {}),
  };
}

const asked: RestoreRecord = { backupId: BACKUP, takenBy: "d-7k3m9x2q", by: "U0DBA00001", at: T0, afterEnd: true };
const STATE = { service: "vault", environment: "production", channel: "C0VAULT001" };

/** What a confirmed restore of the backup `takenBy` took would do, asked about `d`. */
function plan(d: Deployment, afterEnd: boolean, takenBy = d): RestorePlan {
  return { ok: true, deployment: d, takenBy, backupId: takenBy.backupId ?? "", afterEnd };
}

describe("a restore after the deployment ended back", () => {
  it("is confirmed in a dialog that says only the restore runs", () => {
    const dialog = renderRestoreDialog(plan(rolledBack(), true), STATE);
    expect(dialog.submit.text).toBe("Restore");
    expect(JSON.stringify(dialog.blocks)).toContain(
      "which `d-7k3m9x2q` took before it deployed v1.2.0? That deployment ended rolled back after its way back (v1.1.0 live again), so only the restore runs, then the post-rollback validation.",
    );
    expect(renderRestoreDialog(plan(rolledBack(), false), STATE).submit.text).toBe("Roll back and restore");
  });

  it("answers that the backup is being restored, then validated again", () => {
    expect(
      restoreAnswerText({
        ok: true,
        code: "restoring_after_end",
        deployment: rolledBack(),
        takenBy: rolledBack(),
        backupId: BACKUP,
      }),
    ).toBe(
      `\`d-7k3m9x2q\` (v1.2.0) ended rolled back after its way back (v1.1.0 live again), so only its backup comes back: backup \`${BACKUP}\`, which it took, is being restored, then the post-rollback validation is checked again. Follow it in its thread.`,
    );
  });

  it("refuses to restore again, saying whether the restore is under way, done or failed", () => {
    const refusal = (restore: RestoreRecord) =>
      restoreRefusalText({ ok: false, code: "already_restored", deployment: rolledBack(restore) });
    const head =
      "Not restored again: `d-7k3m9x2q` (v1.2.0) ended rolled back after its way back (v1.1.0 live again), and";
    expect(refusal(asked)).toBe(
      `${head} backup \`${BACKUP}\` is being restored, asked by <@U0DBA00001>; follow it in its thread.`,
    );
    expect(refusal({ ...asked, ok: true })).toBe(
      `${head} backup \`${BACKUP}\` was restored already, asked by <@U0DBA00001>.`,
    );
    expect(refusal({ ...asked, ok: false })).toContain(
      `restoring backup \`${BACKUP}\` failed, asked by <@U0DBA00001> (its thread has the restore action's output); Slipway restores a backup once, so restore it by hand with the target's restore action and SLIPWAY_BACKUP_ID=${BACKUP}.`,
    );
  });

  it("refuses a restore confirmed after another deployment started there, naming it", () => {
    const holder = { ...rolledBack(), id: "d-9newer01", version: "v1.3.0", state: "running" as const };
    const busy = { ok: false, code: "busy", deployment: rolledBack(), restore: asked, holderId: holder.id } as const;
    expect(restoreRefusalText({ ...busy, holder })).toBe(
      `Not restored: \`d-9newer01\` (v1.3.0 by <@U0DEPLOY01>) started deploying vault to production meanwhile, and a restore never runs beside a deployment. Backup \`${BACKUP}\`, taken by \`d-7k3m9x2q\`, is left as it was: once \`d-9newer01\` has ended, restore it by hand with the target's restore action and SLIPWAY_BACKUP_ID=${BACKUP}.`,
    );
  });

  it("carries the deployment it asks about to its submission, and refuses one confirmed once another is the latest", () => {
    const dialog = renderRestoreDialog(plan(rolledBack(), true), STATE);
    expect(JSON.parse(dialog.private_metadata)).toEqual({
      service: "vault",
      environment: "production",
      channel: "C0VAULT001",
      deploymentId: "d-7k3m9x2q",
    });
    const latest = { ...rolledBack(), id: "d-9newer01", version: "v1.3.0", state: "succeeded" as const };
    expect(
      restoreRefusalText({
        ok: false,
        code: "not_latest",
        service: "vault",
        environment: "production",
        deploymentId: "d-7k3m9x2q",
        latest,
      }),
    ).toBe(
      "Not restored: this dialog was for `d-7k3m9x2q`, but the latest deployment of vault production is now `d-9newer01` (v1.3.0, succeeded), so nothing was done. To restore for the latest one, ask again: `/rollback production vault --restore`.",
    );
  });

  it("refuses a deployment that took no backup without suggesting a rollback it already had", () => {
    const { backupId: _none, ...noBackup } = rolledBack();
    expect(restoreRefusalText({ ok: false, code: "no_backup", deployment: noBackup })).toBe(
      "Not restored: `d-7k3m9x2q` (v1.2.0) took no backup (no backup stage printed a `backup-id: …` line), so there is nothing to restore. It ended rolled back after its way back (v1.1.0 live again) already.",
    );
  });

  it("shows in the root and the thread as under way, then restored with the validation's items", () => {
    expect(restoreLine(rolledBack(asked))).toBe(
      `*Restore:* backup \`${BACKUP}\` (taken by \`d-7k3m9x2q\`), asked by <@U0DBA00001> — under way`,
    );
    expect(JSON.stringify(renderRestoreReply(rolledBack(asked)).blocks)).toContain(
      "the deployment ended back already, so it runs on its own now",
    );
    const done = rolledBack({
      ...asked,
      ok: true,
      output: `restored vault production data from backup ${BACKUP}`,
      finishedAt: T0 + 60_000,
      validation: [
        {
          id: "data-intact",
          title: "No data corruption",
          section: "validation",
          required: true,
          status: "passed",
          evidence: "exit 0: rows match",
        },
      ],
    });
    expect(restoreLine(done)).toBe(
      `*Restore:* backup \`${BACKUP}\` (taken by \`d-7k3m9x2q\`), asked by <@U0DBA00001> — ✅ restored; validation ✅ passed (1/1)`,
    );
    const reply = renderRestoreReply(done);
    expectWithinSlackLimits(reply);
    const text = JSON.stringify(reply.blocks);
    expect(text).toContain("🩺 *Post-rollback validation after the restore* — ✅ passed (1/1)");
    expect(text).toContain("✅ No data corruption — exit 0: rows match");
  });
});

/** A /rollback deployment that took vault production back from v1.2.0 (d-7k3m9x2q, which succeeded) to v1.1.0. */
function rollbackDeployment(restore?: RestoreRecord): Deployment {
  const d = newDeployment(
    {
      id: "d-4back0001",
      service: "vault",
      environment: "production",
      version: "v1.1.0",
      strategy: "all-at-once",
      hotfix: false,
      requestedBy: "U0DEPLOY01",
      source: "slack",
      steps: [{ name: "deploy", action: "deploy" }],
      channel: "C0VAULT001",
      previousVersion: "v1.2.0",
      rollbackOf: "v1.2.0",
      waitLimitMs: 3_600_000,
    },
    T0 + 10_000,
  );
  return { ...moveTo(moveTo(d, "running", T0 + 10_000), "succeeded", T0 + 20_000), ...(restore ? { restore } : {}) };
}

/** The deployment the rollback deployment replaced: v1.2.0, which succeeded after its backup stage. */
function replaced(): Deployment {
  const d = rolledBack();
  const { rollback: _none, ...rest } = d;
  return { ...rest, state: "succeeded", previousVersion: "v1.1.0" };
}

const restoredData: RestoreRecord = { ...asked, at: T0 + 30_000 };

describe("a restore after a /rollback deployment succeeded", () => {
  it("is confirmed in a dialog naming the backup of the deployment it replaced, and only the restore runs", () => {
    const dialog = renderRestoreDialog(plan(rollbackDeployment(), true, replaced()), STATE);
    expect(dialog.submit.text).toBe("Restore");
    expect(JSON.stringify(dialog.blocks)).toContain(
      `Restore backup \`${BACKUP}\` of *vault production*, which \`d-7k3m9x2q\` took before it deployed v1.2.0? \`d-4back0001\` (v1.1.0) took vault production back from v1.2.0, so only the restore runs, then the post-rollback validation.`,
    );
    // The confirmation acts on the rollback deployment, which holds the environment while it restores.
    expect(JSON.parse(dialog.private_metadata)).toMatchObject({ deploymentId: "d-4back0001" });
  });

  it("answers that the data of the deployment it replaced is being restored, in the rollback's thread", () => {
    const d = rollbackDeployment(restoredData);
    expect(
      restoreAnswerText({
        ok: true,
        code: "restoring_after_end",
        deployment: d,
        takenBy: replaced(),
        backupId: BACKUP,
      }),
    ).toBe(
      `\`d-4back0001\` (v1.1.0) took vault production back from v1.2.0, so only the data comes back: backup \`${BACKUP}\`, which \`d-7k3m9x2q\` took before it deployed v1.2.0, is being restored, then the post-rollback validation is checked again. Follow it in its thread.`,
    );
    expect(restoreLine(d)).toBe(
      `*Restore:* backup \`${BACKUP}\` (taken by \`d-7k3m9x2q\`), asked by <@U0DBA00001> — under way`,
    );
    expect(JSON.stringify(renderRestoreReply(d).blocks)).toContain(
      "the rollback is done already, so it runs on its own now",
    );
  });

  it("refuses to restore again, and refuses when the deployment it replaced took no backup or is no longer kept", () => {
    expect(
      restoreRefusalText({
        ok: false,
        code: "already_restored",
        deployment: rollbackDeployment({ ...restoredData, ok: true }),
      }),
    ).toBe(
      `Not restored again: \`d-4back0001\` (v1.1.0) took vault production back from v1.2.0, and backup \`${BACKUP}\` was restored already, asked by <@U0DBA00001>.`,
    );
    const { backupId: _none, ...noBackup } = replaced();
    expect(
      restoreRefusalText({ ok: false, code: "no_backup", deployment: noBackup, rolledBackBy: rollbackDeployment() }),
    ).toBe(
      "Not restored: `d-7k3m9x2q` (v1.2.0) took no backup (no backup stage printed a `backup-id: …` line), so there is nothing to restore. `d-4back0001` (v1.1.0) took vault production back from v1.2.0 already.",
    );
    expect(restoreRefusalText({ ok: false, code: "replaced_unknown", deployment: rollbackDeployment() })).toBe(
      "Not restored: `d-4back0001` (v1.1.0) took vault production back from v1.2.0, but Slipway no longer keeps the deployment of v1.2.0 it replaced, so it cannot tell which backup to restore. Restore it by hand with the target's restore action and SLIPWAY_BACKUP_ID set to the backup's id.",
    );
  });
});
