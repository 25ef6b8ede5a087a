import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exampleTargetYaml } from "../../src/demo/example-target.js";
import { flagActionId, VIEW_IDS } from "../../src/slack/action-ids.js";
import { permalink } from "../../src/slack/renderers/watch.js";
import { AuditLog } from "../../src/store/audit-log.js";
import { deploymentIdIn } from "../support/chat-ops.js";
import { cleanupAfterEach } from "../support/cleanups.js";
import { eventually } from "../support/eventually.js";
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
 * refused, saying why, and so is a dialog confirmed once another deployment
 * is the latest there. A deployment already rolled back without --restore
 * has its backup restored afterwards: the restore alone, then the
 * post-rollback validation again, once however often it is confirmed; while
 * that restore runs, nothing else deploys there: /deploy is refused busy
 * (or queued, and starts by itself once the restore is done), a hotfix that
 * must pass there first too, and the live release's flag does not move.
 */

const DEPLOYER = "U0DEPLOY01";
const DBA = "U0DBA00001";
const USERS = { [DEPLOYER]: "dana", [DBA]: "dba" };
const CHANNEL = "C0VAULT001";
const PLAIN_CHANNEL = "C0PLAIN001";
const LEDGER_CHANNEL = "C0LEDGER01";
/** The file whose existence lets ledger's restore action go on, in the scene's workdir. */
const RESTORE_GATE = "restore-may-finish";

/**
 * `restore`: the example target's restore action, none, or (`gate`) the
 * example's restore once the file `gate` exists, so the test decides how
 * long it runs.
 */
function manifest(service: string, channel: string, restore: boolean | { readonly gate: string }): string {
  const gated =
    typeof restore === "object"
      ? `    restore: [sh, -c, ${JSON.stringify(`while [ ! -e ${JSON.stringify(restore.gate)} ]; do sleep 0.05; done; exec node examples/targets/restore.mjs`)}]\n`
      : "";
  return `service: ${service}
channels:
  deploy: ${channel}
roles:
  dbas: { users: [${DBA}] }
checklist:
  - { id: data-intact, title: No data corruption, section: validation, check: { kind: command, run: [node, -e, "console.log('rows match on ' + process.env.SLIPWAY_VERSION)"] } }
${exampleTargetYaml(ROOT, ["deploy", "backup", "rollback", "setTraffic", "setFlag", ...(restore === true ? (["restore"] as const) : [])])}${gated}environments:
  production:
    approval: { required: false }
    permissions: { restore: [dbas] }
    stages:
      - { name: backup, action: backup }
      - { name: deploy, action: deploy }
  canary:
    strategy: canary
    canary: { steps: [{ weight: 50, hold: 10m }] }
    permissions: { restore: [dbas] }
    stages:
      - { name: backup, action: backup }
      - { name: deploy, action: deploy }
  staging:
    permissions: { restore: [dbas] }
    stages:
      - { name: deploy, action: deploy }
  live:
    approval: { required: false }
    requires: { environment: canary, soak: 24h }
    stages:
      - { name: deploy, action: deploy }
`;
}

const cleanups = cleanupAfterEach();

async function start(label: string): Promise<SlipwayScene> {
  const scene = await SlipwayScene.start({
    label,
    manifests: (workdir) => ({
      "vault.yaml": manifest("vault", CHANNEL, true),
      "plain.yaml": manifest("plain", PLAIN_CHANNEL, false),
      "ledger.yaml": manifest("ledger", LEDGER_CHANNEL, { gate: join(workdir, RESTORE_GATE) }),
    }),
    users: USERS,
  });
  cleanups.push(async () => {
    const code = await scene.close();
    expect(code, scene.slipway.describe()).toBe(0);
  });
  return scene;
}

/**
 * `/rollback <text> --restore` typed by the role's member in `channel` and
 * confirmed in its dialog, which asks to roll back and restore, or (`alone`)
 * to restore only, the deployment being back already: the dialog's text,
 * and the answer posted after.
 */
async function confirmedRestore(
  scene: SlipwayScene,
  text: string,
  { alone = false, channel = CHANNEL }: { alone?: boolean; channel?: string } = {},
): Promise<{ dialog: string; answer: string }> {
  const { chat, slack } = scene;
  const opened = slack.calls("views.open").length;
  expect(await chat.command(DBA, channel, "/rollback", `${text} --restore`)).toBe(
    alone ? "Confirm the restore in the dialog." : "Confirm the rollback and the restore in the dialog.",
  );
  await slack.waitFor((call) => call.method === "views.open" && slack.calls("views.open").length > opened);
  const dialog = slack
    .views()
    .filter((v) => v.view.callback_id === VIEW_IDS.restoreConfirm)
    .at(-1);
  const before = slack.calls().at(-1)?.seq ?? 0;
  const submitted = await slack.interact(
    slack.viewSubmission({ userId: DBA, callbackId: VIEW_IDS.restoreConfirm, values: {} }),
  );
  expect(submitted.status).toBe(200);
  const posted = await slack.waitFor(
    (call) =>
      call.method === "chat.postEphemeral" &&
      call.seq > before &&
      String(call.args.text).includes(alone ? "is being restored, then" : "is restored."),
  );
  expect(posted.args.user).toBe(DBA);
  return { dialog: slack.textOf({ blocks: dialog?.view.blocks }), answer: String(posted.args.text) };
}

/** Waits until the root message of deployment `id` shows `line`. */
async function rootShows(scene: SlipwayScene, id: string, line: string): Promise<void> {
  await eventually(
    `the root showing ${line}`,
    async () => {
      const root = (await scene.rootHistory(id)).at(-1) ?? "";
      return root.includes(line) ? root : new Error(root);
    },
    20_000,
  );
}

describe("/rollback --restore", () => {
  it("rolls back, then restores the backup the deployment took, for the role that may; refuses everyone and everything else, saying why", async () => {
    const scene = await start("e2e-restore");
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
    const { dialog, answer } = await confirmedRestore(scene, "production vault data corrupted");
    expect(dialog).toContain(`from v1.2.0 (\`${released.id}\`), then restore backup \`${backupId}\``);
    expect(answer).toMatch(/^Rolling vault production back from v1\.2\.0 to v1\.1\.0 as `d-[a-z0-9]+`/);
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
    // Its deployment record says so, with the restore action's last line.
    const record = slack.textOf(await chat.replyOf(back.id, [/\*Deployment record\*/, /\*Restore from Backup\*/]));
    expect(record).toContain(
      `• ✅ Restored backup \`${backupId}\` (taken by \`${released.id}\`), asked by <@${DBA}> at `,
    );
    expect(record).toContain(` — restored vault production data from backup ${backupId}`);

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

describe("a /rollback --restore dialog confirmed once another deployment is the latest", () => {
  it("does nothing, naming the latest deployment and how to ask again", async () => {
    const scene = await start("e2e-restore-stale");
    const { chat, slack } = scene;
    const first = await scene.ended(await scene.deploy(DEPLOYER, CHANNEL, "production v1.1.0 vault"), "succeeded");
    const opened = slack.calls("views.open").length;
    expect(await chat.command(DBA, CHANNEL, "/rollback", "production vault --restore")).toBe(
      "Confirm the rollback and the restore in the dialog.",
    );
    await slack.waitFor((call) => call.method === "views.open" && slack.calls("views.open").length > opened);
    const dialog = slack.views().find((v) => v.view.callback_id === VIEW_IDS.restoreConfirm);
    expect(slack.textOf({ blocks: dialog?.view.blocks })).toContain(`from v1.1.0 (\`${first.id}\`)`);

    // Before it is confirmed, a newer deployment ends there: the dialog's confirmation acts on neither.
    const newer = await scene.ended(await scene.deploy(DEPLOYER, CHANNEL, "production v1.2.0 vault"), "succeeded");
    const submitted = await slack.interact(
      slack.viewSubmission({ userId: DBA, callbackId: VIEW_IDS.restoreConfirm, values: {} }),
    );
    expect(submitted.status).toBe(200);
    const posted = await slack.waitFor(
      (call) => call.method === "chat.postEphemeral" && String(call.args.text).startsWith("Not restored"),
    );
    expect(posted.args.user).toBe(DBA);
    expect(posted.args.text).toBe(
      `Not restored: this dialog was for \`${first.id}\`, but the latest deployment of vault production is now \`${newer.id}\` (v1.2.0, succeeded), so nothing was done. To restore for the latest one, ask again: \`/rollback production vault --restore\`.`,
    );
    expect(await scene.store.activeFor("vault", "production")).toBeUndefined();
    expect((await scene.deployment(newer.id)).restore).toBeUndefined();
    const audit = await new AuditLog(scene.redis, scene.prefix).recent("vault", 50, "production");
    expect(audit.filter((e) => e.action === "restore" || e.action === "rollback").map((e) => e.detail)).toEqual([
      `not_latest: ${newer.id} is the latest now`,
    ]);
  }, 120_000);
});

describe("/rollback --restore of a deployment under way", () => {
  it("takes the canary back where it stands, then restores the backup it took before the rollback ends", async () => {
    const scene = await start("e2e-restore-in-place");
    await scene.ended(await scene.deploy(DEPLOYER, CHANNEL, "canary v1.1.0 vault --strategy=all-at-once"), "succeeded");
    const id = await scene.deploy(DEPLOYER, CHANNEL, "canary v1.2.0 vault");
    const holding = await scene.until(id, "the canary holding at 50%", (d) => d.holdUntil !== undefined);
    const backupId = `vault-canary-${id}`;
    expect(holding.backupId).toBe(backupId);

    const { answer } = await confirmedRestore(scene, "canary vault");
    expect(answer).toBe(
      `Rolling back \`${id}\` (v1.2.0) to v1.1.0. Follow it in its thread. Then backup \`${backupId}\`, taken by \`${id}\`, is restored.`,
    );
    const d = await scene.ended(id, "rolled_back");
    // The way back first (traffic to stable, the rollback action), then the restore, then the rollback ends.
    expect(d.rollback?.actions.map((a) => `${a.name} ${a.ok}`)).toEqual(["traffic-to-stable true", "rollback true"]);
    expect(d.restore).toMatchObject({ backupId, takenBy: id, by: DBA, ok: true });
    expect(d.restore?.finishedAt).toBeGreaterThanOrEqual(d.rollback?.actions.at(-1)?.at ?? Number.POSITIVE_INFINITY);
    expect(d.rollback?.finishedAt).toBeGreaterThanOrEqual(d.restore?.finishedAt ?? Number.POSITIVE_INFINITY);
    await scene.chat.replyOf(id, [new RegExp(`♻️ \\*Backup \`${backupId}\` restored\\*`)]);
  }, 120_000);
});

describe("/rollback --restore after the deployment was rolled back without it", () => {
  it("restores the backup alone, then validates again, in that deployment's thread and root; once, however often it is confirmed", async () => {
    const scene = await start("e2e-restore-after-end");
    const { chat, slack } = scene;
    await scene.ended(await scene.deploy(DEPLOYER, CHANNEL, "canary v1.1.0 vault --strategy=all-at-once"), "succeeded");
    const id = await scene.deploy(DEPLOYER, CHANNEL, "canary v1.2.0 vault");
    await scene.until(id, "the canary holding at 50%", (d) => d.holdUntil !== undefined);
    const backupId = `vault-canary-${id}`;

    // Rolled back without --restore: the way back and its validation, no restore.
    expect(await chat.command(DEPLOYER, CHANNEL, "/rollback", "canary vault")).toContain(`Rolling back \`${id}\``);
    const rolledBack = await scene.ended(id, "rolled_back");
    expect(rolledBack.restore).toBeUndefined();
    expect(rolledBack.rollback?.checklist?.map((i) => `${i.id} ${i.status}`)).toEqual(["data-intact passed"]);

    // Someone without the role is still refused.
    expect(await chat.command(DEPLOYER, CHANNEL, "/rollback", "canary vault --restore")).toMatch(
      /^Not restored: restoring canary from backup needs the role dbas/,
    );

    // The role's member is asked to confirm the restore alone; the dialog says the deployment is back already.
    const opened = slack.calls("views.open").length;
    expect(await chat.command(DBA, CHANNEL, "/rollback", "canary vault --restore")).toBe(
      "Confirm the restore in the dialog.",
    );
    await slack.waitFor((call) => call.method === "views.open" && slack.calls("views.open").length > opened);
    const dialog = slack
      .views()
      .filter((v) => v.view.callback_id === VIEW_IDS.restoreConfirm)
      .at(-1);
    expect(slack.textOf({ blocks: dialog?.view.blocks })).toContain(
      `Restore backup \`${backupId}\` of *vault canary*, which \`${id}\` took before it deployed v1.2.0? That deployment ended rolled back after its way back (v1.1.0 live again), so only the restore runs, then the post-rollback validation.`,
    );

    // Confirmed twice at once (a double click): one restore, one refusal saying it is under way or done.
    const answered = slack.calls("chat.postEphemeral").length;
    const answers = (kind: RegExp) =>
      slack
        .calls("chat.postEphemeral")
        .slice(answered)
        .map((call) => String(call.args.text))
        .filter((text) => kind.test(text));
    const submission = () =>
      slack.interact(slack.viewSubmission({ userId: DBA, callbackId: VIEW_IDS.restoreConfirm, values: {} }));
    const submitted = await Promise.all([submission(), submission()]);
    expect(submitted.map((r) => r.status)).toEqual([200, 200]);
    await slack.waitFor(() => answers(/./).length >= 2);
    expect(answers(/is being restored, then the post-rollback validation is checked again/)).toEqual([
      `\`${id}\` (v1.2.0) ended rolled back after its way back (v1.1.0 live again), so only its backup comes back: backup \`${backupId}\`, which it took, is being restored, then the post-rollback validation is checked again. Follow it in its thread.`,
    ]);
    expect(answers(/^Not restored again: /)).toHaveLength(1);

    // The restore ran, then the validation; the deployment stays rolled back.
    const restored = await scene.until(id, "restored and validated", (d) => d.restore?.validation !== undefined);
    expect(restored.state).toBe("rolled_back");
    expect(restored.restore).toMatchObject({ backupId, takenBy: id, by: DBA, ok: true, afterEnd: true });
    expect(restored.restore?.output).toContain(`restored vault canary data from backup ${backupId}`);
    expect(restored.restore?.validation?.map((i) => `${i.id} ${i.status} ${i.evidence}`)).toEqual([
      "data-intact passed exit 0: rows match on v1.1.0",
    ]);
    const reply = slack.textOf(
      await chat.replyOf(id, [new RegExp(`♻️ \\*Backup \`${backupId}\` restored\\*`), /Post-rollback validation after/]),
    );
    expect(reply).toContain("🩺 *Post-rollback validation after the restore* — ✅ passed (1/1)");
    expect(reply).toContain("✅ No data corruption — exit 0: rows match on v1.1.0");
    await rootShows(
      scene,
      id,
      `*Restore:* backup \`${backupId}\` (taken by \`${id}\`), asked by <@${DBA}> — ✅ restored; validation ✅ passed (1/1)`,
    );
    // The deployment record carries it too.
    await chat.replyOf(id, [/\*Deployment record\*/, /Validation after the restore: ✅ passed \(1\/1\)/]);

    // Asked again later: refused, saying it was restored already; nothing runs again.
    expect(await chat.command(DBA, CHANNEL, "/rollback", "canary vault --restore")).toBe(
      `Not restored again: \`${id}\` (v1.2.0) ended rolled back after its way back (v1.1.0 live again), and backup \`${backupId}\` was restored already, asked by <@${DBA}>.`,
    );
    const audit = await new AuditLog(scene.redis, scene.prefix).recent("vault", 50, "canary");
    const restores = audit.filter((e) => e.action === "restore").map((e) => `${e.actor} ${e.outcome} ${e.detail}`);
    expect(restores.filter((r) => r.includes(" ok "))).toEqual([`${DBA} ok backup ${backupId}`]);
    expect(restores.filter((r) => r.includes("already_restored"))).toHaveLength(2);
    expect(scene.slipway.logs.filter((l) => l.msg === "restore finished" && l.deploymentId === id)).toHaveLength(1);
  }, 120_000);
});

describe("/deploy while a restore after the end runs", () => {
  it("is refused busy, naming the restore, or queued behind it, and starts by itself once the restore is done", async () => {
    const scene = await start("e2e-restore-holds");
    const { chat } = scene;
    // v1.1.0 is a feature-flag release, its flag at 10%.
    const released = await scene.ended(
      await scene.deploy(
        DEPLOYER,
        LEDGER_CHANNEL,
        "canary v1.1.0 ledger --strategy=feature-flag --flag=new-ledger --percent=10",
      ),
      "succeeded",
    );
    const id = await scene.deploy(DEPLOYER, LEDGER_CHANNEL, "canary v1.2.0 ledger");
    await scene.until(id, "the canary holding at 50%", (d) => d.holdUntil !== undefined);
    expect(await chat.command(DEPLOYER, LEDGER_CHANNEL, "/rollback", "canary ledger")).toContain(
      `Rolling back \`${id}\``,
    );
    await scene.ended(id, "rolled_back");
    const backupId = `ledger-canary-${id}`;

    // The restore alone, confirmed in its dialog; its action waits for the test's word.
    await confirmedRestore(scene, "canary ledger", { alone: true, channel: LEDGER_CHANNEL });

    // While it runs, a deploy is refused naming the restore, a rollback is refused, and a queued deploy waits.
    expect(
      await chat.command(DEPLOYER, LEDGER_CHANNEL, "/deploy", "canary v1.3.0 ledger --strategy=all-at-once"),
    ).toContain(
      `ledger canary is busy restoring a backup: \`${backupId}\`, taken by \`${id}\` (v1.2.0, rolled back), asked by <@${DBA}>, then the post-rollback validation. Nothing deploys there until it is done;`,
    );
    expect(await chat.command(DEPLOYER, LEDGER_CHANNEL, "/rollback", "canary ledger")).toBe(
      `Backup \`${backupId}\` of \`${id}\` is being restored, then the post-rollback validation checked, and nothing else changes the environment meanwhile; follow it in that deployment's thread, and ask again once it is done.`,
    );
    // v1.1.0 is live again, but its flag does not move while the restore runs: its root offers no flag
    // buttons meanwhile, and a click from a message shown before is answered saying why.
    const held = chat.rootOf(released.id, /stays put while backup/);
    expect(scene.slack.textOf(await held)).toContain(
      `*Feature flag:* \`new-ledger\` 10% of requests — stays put while backup \`${backupId}\` of \`${id}\` is being restored`,
    );
    expect(scene.slack.textOf(await held)).not.toContain("[Flag 50%]");
    expect(await scene.clickControl(released.id, DEPLOYER, flagActionId(50))).toBe(
      `\`${released.id}\` is still the live deployment of ledger canary, but backup \`${backupId}\` of \`${id}\` is being restored there, then the post-rollback validation checked, and nothing changes the environment meanwhile. Follow it in that deployment's thread, and move the flag once it is done.`,
    );
    // A hotfix that must pass canary first cannot start there either, and says the restore holds it.
    expect(await chat.command(DEPLOYER, LEDGER_CHANNEL, "/deploy", "live v1.3.0 ledger --hotfix")).toBe(
      `The hotfix goes to canary first, and ledger canary is busy restoring a backup: \`${backupId}\`, taken by \`${id}\` (v1.2.0, rolled back), asked by <@${DBA}>, then the post-rollback validation. Nothing deploys there until it is done; follow it in that deployment's thread, and ask for the hotfix again once the restore has finished. Its thread: <${permalink(LEDGER_CHANNEL, (await chat.rootOf(id)).ts)}|${id}>`,
    );
    const queued = await chat.command(
      DEPLOYER,
      LEDGER_CHANNEL,
      "/deploy",
      "canary v1.3.0 ledger --strategy=all-at-once --queue",
    );
    expect(queued).toContain(`waits in line (number 1) behind \`${id}\``);
    const next = deploymentIdIn(queued);
    expect((await scene.deployment(id)).restore?.ok).toBeUndefined();

    // The restore finishes and is validated; then the deploy that waited starts by itself and deploys.
    await writeFile(join(scene.workdir, RESTORE_GATE), "");
    const restored = await scene.until(id, "restored and validated", (d) => d.restore?.validation !== undefined);
    expect(restored.restore).toMatchObject({ backupId, ok: true, afterEnd: true });
    // The restore done, v1.1.0's root offers its flag buttons again.
    const free = scene.slack.textOf(await chat.rootOf(released.id, /\[Flag 50%\]/));
    expect(free).toContain("*Feature flag:* `new-ledger` 10% of requests");
    expect(free).not.toContain("stays put");
    const deployed = await scene.ended(next, "succeeded");
    expect(deployed.version).toBe("v1.3.0");
    expect(deployed.createdAt).toBeGreaterThanOrEqual(restored.updatedAt);
  }, 120_000);
});

describe("/rollback --restore after a /rollback that succeeded", () => {
  it("restores the backup of the deployment the rollback replaced, in the rollback's thread and root, without rolling back again", async () => {
    const scene = await start("e2e-restore-after-rollback");
    const { chat } = scene;
    await scene.ended(await scene.deploy(DEPLOYER, CHANNEL, "production v1.1.0 vault"), "succeeded");
    const bad = await scene.ended(await scene.deploy(DEPLOYER, CHANNEL, "production v1.2.0 vault"), "succeeded");
    const backupId = `vault-production-${bad.id}`;
    expect(bad.backupId).toBe(backupId);

    // The code goes back first, by a /rollback deployment of v1.1.0 (which takes no backup of its own).
    const rolled = await chat.command(DEPLOYER, CHANNEL, "/rollback", "production vault");
    const back = await scene.ended(deploymentIdIn(rolled), "succeeded");
    expect({ version: back.version, rollbackOf: back.rollbackOf }).toEqual({ version: "v1.1.0", rollbackOf: "v1.2.0" });

    // Then the data: the dialog asks to restore v1.2.0's backup alone; nothing is rolled back again.
    const { dialog, answer } = await confirmedRestore(scene, "production vault", { alone: true });
    expect(dialog).toContain(
      `Restore backup \`${backupId}\` of *vault production*, which \`${bad.id}\` took before it deployed v1.2.0? \`${back.id}\` (v1.1.0) took vault production back from v1.2.0, so only the restore runs, then the post-rollback validation.`,
    );
    expect(answer).toBe(
      `\`${back.id}\` (v1.1.0) took vault production back from v1.2.0, so only the data comes back: backup \`${backupId}\`, which \`${bad.id}\` took before it deployed v1.2.0, is being restored, then the post-rollback validation is checked again. Follow it in its thread.`,
    );

    // The restore runs, then the validation against v1.1.0; the rollback deployment stays succeeded.
    const restored = await scene.until(back.id, "restored and validated", (d) => d.restore?.validation !== undefined);
    expect(restored.state).toBe("succeeded");
    expect(restored.restore).toMatchObject({ backupId, takenBy: bad.id, by: DBA, ok: true, afterEnd: true });
    expect(restored.restore?.output).toContain(`restored vault production data from backup ${backupId}`);
    expect(restored.restore?.validation?.map((i) => `${i.id} ${i.status} ${i.evidence}`)).toEqual([
      "data-intact passed exit 0: rows match on v1.1.0",
    ]);
    await chat.replyOf(back.id, [
      new RegExp(`♻️ \\*Backup \`${backupId}\` restored\\*`),
      /Post-rollback validation after/,
    ]);
    await rootShows(
      scene,
      back.id,
      `*Restore:* backup \`${backupId}\` (taken by \`${bad.id}\`), asked by <@${DBA}> — ✅ restored; validation ✅ passed (1/1)`,
    );
    expect(await scene.store.lastEnded("vault", "production")).toMatchObject({ id: back.id, version: "v1.1.0" });

    // Asked again: refused, restored already; audited once as done.
    expect(await chat.command(DBA, CHANNEL, "/rollback", "production vault --restore")).toBe(
      `Not restored again: \`${back.id}\` (v1.1.0) took vault production back from v1.2.0, and backup \`${backupId}\` was restored already, asked by <@${DBA}>.`,
    );
    const audit = await new AuditLog(scene.redis, scene.prefix).recent("vault", 50, "production");
    const restores = audit
      .filter((e) => e.action === "restore")
      .map((e) => `${e.outcome} ${e.deploymentId} ${e.detail}`);
    expect(restores.sort()).toEqual([`ok ${back.id} backup ${backupId}`, `refused ${back.id} already_restored`].sort());
  }, 120_000);
});
