import { describe, expect, it } from "vitest";
import { VIEW_IDS } from "../../src/slack/action-ids.js";
import { AuditLog } from "../../src/store/audit-log.js";
import { deploymentIdIn } from "../support/chat-ops.js";
import { cleanupAfterEach } from "../support/cleanups.js";
import { ROOT } from "../support/slipway-process.js";
import { SlipwayScene } from "../support/slipway-scene.js";

/*
 * Restore from backup end to end: `slipway all` against the Slack stand-in,
 * deploying with the example target scripts (no router: they keep their
 * ledger and backups in a directory of their own). A production deployment's
 * backup stage prints `backup-id: …`; `/rollback production vault --restore`,
 * confirmed in its dialog by a member of the role permissions.restore names,
 * deploys the earlier version again and then restores that backup. Everyone
 * else, a deployment that took no backup and a target without restore are
 * refused, saying why.
 */

const DEPLOYER = "U0DEPLOY01";
const DBA = "U0DBA00001";
const USERS = { [DEPLOYER]: "dana", [DBA]: "dba" };
const CHANNEL = "C0VAULT001";
const PLAIN_CHANNEL = "C0PLAIN001";

function manifest(service: string, channel: string, restore: boolean): string {
  return `service: ${service}
channels:
  deploy: ${channel}
roles:
  dbas: { users: [${DBA}] }
target:
  type: command
  workdir: "${ROOT}"
  timeoutSeconds: 60
  actions:
    deploy: [node, examples/targets/deploy.mjs]
    backup: [node, examples/targets/backup.mjs]
    rollback: [node, examples/targets/rollback.mjs]${restore ? "\n    restore: [node, examples/targets/restore.mjs]" : ""}
environments:
  production:
    approval: { required: false }
    permissions: { restore: [dbas] }
    stages:
      - { name: backup, action: backup }
      - { name: deploy, action: deploy }
  staging:
    permissions: { restore: [dbas] }
    stages:
      - { name: deploy, action: deploy }
`;
}

const cleanups = cleanupAfterEach();

describe("/rollback --restore", () => {
  it("rolls back, then restores the backup the deployment took, for the role that may; refuses everyone and everything else, saying why", async () => {
    const scene = await SlipwayScene.start({
      label: "e2e-restore",
      manifests: {
        "vault.yaml": manifest("vault", CHANNEL, true),
        "plain.yaml": manifest("plain", PLAIN_CHANNEL, false),
      },
      users: USERS,
    });
    cleanups.push(async () => {
      const code = await scene.close();
      expect(code, scene.slipway.describe()).toBe(0);
    });
    const { chat, slack } = scene;
    await scene.ended(await scene.deploy(DEPLOYER, CHANNEL, "production v1.1.0 vault"), "succeeded");
    const released = await scene.ended(await scene.deploy(DEPLOYER, CHANNEL, "production v1.2.0 vault"), "succeeded");
    // The backup stage's `backup-id: …` line is kept with the deployment.
    const backupId = `vault-production-${released.id}`;
    expect(released.backupId).toBe(backupId);

    // Someone without the role is refused at once: no dialog opens.
    expect(await chat.command(DEPLOYER, CHANNEL, "/rollback", "production vault --restore")).toBe(
      `Not restored: restoring production from backup needs the role dbas (Slack user <@${DBA}>); ask one of them, or ask to be added to the role in the service manifest.`,
    );
    expect(slack.views().filter((v) => v.view.callback_id === VIEW_IDS.restoreConfirm)).toEqual([]);

    // The role's member confirms it in the dialog, which says what is rolled back and which backup comes back.
    expect(await chat.command(DBA, CHANNEL, "/rollback", "production vault data corrupted --restore")).toBe(
      "Confirm the rollback and the restore in the dialog.",
    );
    const opened = await slack.waitFor((call) => call.method === "views.open");
    expect(opened.response.ok).toBe(true);
    const dialog = slack.views().find((v) => v.view.callback_id === VIEW_IDS.restoreConfirm);
    expect(slack.textOf({ blocks: dialog?.view.blocks })).toContain(
      `from v1.2.0 (\`${released.id}\`), then restore backup \`${backupId}\``,
    );
    const submitted = await slack.interact(
      slack.viewSubmission({ userId: DBA, callbackId: VIEW_IDS.restoreConfirm, values: {} }),
    );
    expect(submitted.status).toBe(200);
    const posted = await slack.waitFor(
      (call) =>
        call.method === "chat.postEphemeral" && String(call.args.text).startsWith("Rolling vault production back"),
    );
    const answer = String(posted.args.text);
    expect(posted.args.user).toBe(DBA);
    expect(answer).toContain(`Then backup \`${backupId}\`, taken by \`${released.id}\`, is restored.`);

    // The rollback deployment deploys v1.1.0 again, then restores the backup; the root and the thread show it.
    const back = await scene.ended(deploymentIdIn(answer), "succeeded");
    expect({ version: back.version, rollbackOf: back.rollbackOf }).toEqual({ version: "v1.1.0", rollbackOf: "v1.2.0" });
    expect(back.restore).toMatchObject({ backupId, takenBy: released.id, by: DBA, ok: true });
    expect(back.restore?.output).toContain(`restored vault production data from backup ${backupId}`);
    await chat.replyOf(back.id, [new RegExp(`♻️ \\*Backup \`${backupId}\` restored\\*`), new RegExp(`<@${DBA}>`)]);
    expect((await scene.rootHistory(back.id)).at(-1)).toContain(
      `*Restore:* backup \`${backupId}\` (taken by \`${released.id}\`), asked by <@${DBA}> — ✅ restored`,
    );

    // Audited: the refusal, and the restore with its backup and reason.
    const audit = await new AuditLog(scene.redis, scene.prefix).recent("vault", 50, "production");
    const restores = audit.filter((e) => e.action === "restore").map((e) => `${e.actor} ${e.outcome} ${e.via}`);
    expect(restores.sort()).toEqual([`${DBA} ok modal`, `${DEPLOYER} refused slash_command`].sort());
    expect(audit.find((e) => e.action === "restore" && e.outcome === "ok")?.detail).toBe(
      `backup ${backupId}: data corrupted`,
    );

    // A deployment that took no backup has nothing to restore.
    const staged = await scene.ended(await scene.deploy(DEPLOYER, CHANNEL, "staging v1.2.0 vault"), "succeeded");
    expect(await chat.command(DBA, CHANNEL, "/rollback", "staging vault --restore")).toBe(
      `Not restored: \`${staged.id}\` (v1.2.0) took no backup (no backup stage printed a \`backup-id: …\` line), so there is nothing to restore. Roll back without it: \`/rollback staging vault\`.`,
    );
    // A target without a restore action cannot restore.
    await scene.ended(await scene.deploy(DEPLOYER, PLAIN_CHANNEL, "production v1.2.0 plain"), "succeeded");
    expect(await chat.command(DBA, PLAIN_CHANNEL, "/rollback", "production plain --restore")).toBe(
      "Not restored: the target of plain declares no restore action, so Slipway cannot restore a backup. Add target.actions.restore to its manifest, or roll back without --restore.",
    );
  }, 120_000);
});
