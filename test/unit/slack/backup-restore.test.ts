import { describe, expect, it } from "vitest";
import type { RestoreRecord } from "../../../src/domain/backup.js";
import { type Deployment, moveTo, newDeployment } from "../../../src/domain/deployment.js";
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

describe("a restore after the deployment ended back", () => {
  it("is confirmed in a dialog that says only the restore runs", () => {
    const dialog = renderRestoreDialog(rolledBack(), BACKUP, true, {
      service: "vault",
      environment: "production",
      channel: "C0VAULT001",
    });
    expect(dialog.submit.text).toBe("Restore");
    expect(JSON.stringify(dialog.blocks)).toContain(
      "which `d-7k3m9x2q` took before it deployed v1.2.0? That deployment ended rolled back after its way back (v1.1.0 live again), so only the restore runs, then the post-rollback validation.",
    );
    expect(
      renderRestoreDialog(rolledBack(), BACKUP, false, { service: "vault", environment: "production", channel: "C" })
        .submit.text,
    ).toBe("Roll back and restore");
  });

  it("answers that the backup is being restored, then validated again", () => {
    expect(
      restoreAnswerText({ ok: true, code: "restoring_after_end", deployment: rolledBack(), backupId: BACKUP }),
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
    expect(restoreRefusalText({ ok: false, code: "busy", deployment: rolledBack(), holderId: holder.id, holder })).toBe(
      `Not restored: \`d-9newer01\` (v1.3.0 by <@U0DEPLOY01>) started deploying vault to production meanwhile, and a restore never runs beside a deployment. Backup \`${BACKUP}\`, taken by \`d-7k3m9x2q\`, is left as it was: once \`d-9newer01\` has ended, restore it by hand with the target's restore action and SLIPWAY_BACKUP_ID=${BACKUP}.`,
    );
  });

  it("carries the deployment it asks about to its submission, and refuses one confirmed once another is the latest", () => {
    const dialog = renderRestoreDialog(rolledBack(), BACKUP, true, {
      service: "vault",
      environment: "production",
      channel: "C0VAULT001",
    });
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
