import { UnrecoverableError, Worker } from "bullmq";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Deployment, moveTo } from "../../src/domain/deployment.js";
import { requestFlagChange, rootFlagStanding } from "../../src/engine/flags.js";
import { JOB_IDS } from "../../src/engine/jobs.js";
import { createQueues, type Queues, queueOptions } from "../../src/engine/queues.js";
import { type RequestDeps, requestDeployment } from "../../src/engine/request-deployment.js";
import { abandonRestore, runRestoreAfterEnd } from "../../src/engine/restore-after-end.js";
import { checkRestore, requestRestore } from "../../src/engine/restore-request.js";
import { requestRollback } from "../../src/engine/rollback-request.js";
import { startNextWaiting } from "../../src/engine/waiting-deployments.js";
import { runWatchdog } from "../../src/engine/watchdog.js";
import { createLogger } from "../../src/logger.js";
import { Catalog } from "../../src/manifests/catalog.js";
import { loadManifests } from "../../src/manifests/load.js";
import { restoreAnswerText, restoreRefusalText } from "../../src/slack/renderers/backup-restore.js";
import { answerText } from "../../src/slack/renderers/operation-answer.js";
import { renderRequestAnswer } from "../../src/slack/renderers/request-answer.js";
import { EnvironmentHeldError } from "../../src/store/deployment-store.js";
import { manifestDir } from "../support/manifest-fixture.js";
import { testRedis } from "../support/redis.js";
import { requestDeps } from "../support/request-deps.js";

/*
 * A restore after the end holds its environment, against real Redis and
 * BullMQ with no worker running: the engine's operations are called as
 * Slack and the workers would call them. While the backup of a deployment
 * that ended rolled back is restored (and validated again), /deploy is
 * refused busy or queued behind it and /rollback is refused; once the
 * restore is done, or its job gave up, the environment is free and the line
 * starts. The watchdog sees a restore under way to its end: a lost job is
 * queued again (once), a job that gave up unrecorded is recorded.
 */

const DBA = "U0DBA00001";
const MANIFEST = `service: vault
channels: { deploy: C0VAULT001 }
roles:
  dbas: { users: [${DBA}] }
checklist:
  - { id: data-intact, title: No data corruption, section: validation, check: { kind: command, run: [node, -e, "0"] } }
target:
  type: command
  actions:
    deploy: [node, -e, "0"]
    backup: [node, -e, "0"]
    rollback: [node, -e, "0"]
    restore: [node, -e, "console.log('restored from ' + process.env.SLIPWAY_BACKUP_ID)"]
    setFlag: [node, -e, "0"]
environments:
  production:
    approval: { required: false }
    permissions: { restore: [dbas] }
    stages:
      - { name: backup, action: backup }
      - { name: deploy, action: deploy }
  flagged:
    approval: { required: false }
    strategy: feature-flag
    featureFlag: { flag: new-checkout, percent: 10 }
    permissions: { restore: [dbas] }
    stages:
      - { name: backup, action: backup }
      - { name: deploy, action: deploy }
`;

const log = createLogger("silent");
const TARGET = { service: "vault", environment: "production" };
const RESTORE = { ...TARGET, actor: { kind: "slack", id: DBA }, via: "modal" } as const;
/** Past the watchdog's quiet time. */
const LATER_MS = 3 * 60_000;

describe("a restore after the end holds its environment", () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let queues: Queues;
  let deps: RequestDeps;
  /** The engine's clock: the real one unless a test sets it. */
  let clock: number | undefined;

  beforeEach(async () => {
    ctx = await testRedis("restore-hold");
    const loaded = await loadManifests(await manifestDir({ "vault.yaml": MANIFEST }));
    expect(loaded.errors).toEqual([]);
    queues = createQueues(ctx.redis, ctx.prefix);
    clock = undefined;
    deps = requestDeps(ctx.redis, ctx.prefix, new Catalog(loaded.services), queues, {
      now: () => clock ?? Date.now(),
    });
  });

  afterEach(async () => {
    await queues.close();
    await ctx.close();
  });

  async function ask(version: string, whenBusy?: "queue", environment = TARGET.environment) {
    return requestDeployment(deps, {
      actor: { kind: "slack", id: "U0ASKER001" },
      via: "slash_command",
      request: { ...TARGET, environment, version, hotfix: false },
      ...(whenBusy ? { whenBusy } : {}),
    });
  }

  /** A deployment of `version` that took a backup, deployed, and ended rolled back, as the workers would leave it. */
  async function endedBack(version: string): Promise<Deployment> {
    const started = await ask(version);
    if (started.code !== "started") throw new Error(`expected started, got ${started.code}`);
    return endedBackFrom(started.deployment);
  }

  /** `d`, just started, with every stage run (its backup stage, when it has one, printing `backup-<id>`). */
  async function deployed(d: Deployment): Promise<Deployment> {
    const now = deps.now();
    const backup = d.stages.some((s) => s.step.action === "backup") ? { backupId: `backup-${d.id}` } : {};
    return deps.store.save({
      ...moveTo(d, "running", now),
      ...backup,
      stages: d.stages.map((s) => ({ ...s, status: "succeeded" as const, startedAt: now, finishedAt: now })),
    });
  }

  /** `d`, just started, taken as far as endedBack takes it. */
  async function endedBackFrom(d: Deployment): Promise<Deployment> {
    const ran = await deployed(d);
    const now = deps.now();
    return deps.store.save(moveTo(await deps.store.save(moveTo(ran, "rolling_back", now)), "rolled_back", now));
  }

  /** `d`, just started, deployed and succeeded, as the workers would leave it. */
  async function succeededFrom(d: Deployment): Promise<Deployment> {
    return deps.store.save(moveTo(await deployed(d), "succeeded", deps.now()));
  }

  /** A deployment of `version` that succeeded (with its backup, or `withoutBackup`), as the workers would leave it. */
  async function succeeded(version: string, withoutBackup?: "without backup"): Promise<Deployment> {
    const started = await ask(version);
    if (started.code !== "started") throw new Error(`expected started, got ${started.code}`);
    const d = await succeededFrom(started.deployment);
    return withoutBackup ? deps.store.save({ ...d, backupId: undefined }) : d;
  }

  /** A `/rollback` that succeeded: the rollback deployment, as the workers would leave it. */
  async function rolledBack(): Promise<Deployment> {
    const answer = await requestRollback(deps, RESTORE);
    if (answer.code !== "rollback_started") throw new Error(`expected rollback_started, got ${answer.code}`);
    return succeededFrom(await deps.store.require(answer.deploymentId));
  }

  /** The Slack syncs of deployment `id` still to run. */
  async function syncsOf(id: string) {
    const jobs = await queues.notify.getJobs(["wait", "delayed", "prioritized"]);
    return jobs.filter((j) => j.name === "sync" && (j.data as { deploymentId?: string }).deploymentId === id);
  }

  /** Takes the syncs of deployment `id` still to run off the queue, as a notify worker running them would. */
  async function dropSyncs(id: string): Promise<void> {
    for (const job of await syncsOf(id)) await job.remove();
  }

  /** The pipeline's jobs of one name still to run. */
  async function waitingJobs(name: string) {
    return (await queues.pipeline.getJobs(["wait", "delayed", "prioritized"])).filter((j) => j.name === name);
  }

  it("refuses a deploy busy (or queues it behind the restore) and a rollback while it runs, then starts the line once it is validated", async () => {
    const d = await endedBack("v1.1.0");
    expect(await deps.store.activeFor("vault", "production")).toBeUndefined();

    const answer = await requestRestore(deps, { ...RESTORE, deploymentId: d.id });
    expect(answer).toMatchObject({ ok: true, code: "restoring_after_end", backupId: `backup-${d.id}` });
    expect(await deps.store.activeFor("vault", "production")).toBe(d.id);

    // A deploy is refused, naming the restore; asked to queue, it waits behind it.
    const busy = await ask("v1.2.0");
    if (busy.code !== "busy") throw new Error(`expected busy, got ${busy.code}`);
    expect(busy.holderId).toBe(d.id);
    expect(renderRequestAnswer(TARGET, busy)).toBe(
      `vault production is busy restoring a backup: \`backup-${d.id}\`, taken by \`${d.id}\` (v1.1.0, rolled back), asked by <@${DBA}>, then the post-rollback validation. Nothing deploys there until it is done; follow it in that deployment's thread. Queue it (or deploy with \`--queue\`) to start yours by itself when the restore has finished.`,
    );
    const queued = await ask("v1.2.0", "queue");
    if (queued.code !== "queued") throw new Error(`expected queued, got ${queued.code}`);
    expect(queued.behind).toBe(d.id);
    expect(await startNextWaiting(deps, TARGET, log)).toEqual({ code: "busy", holderId: d.id });

    // A rollback is refused while the restore runs; so is the restore asked again.
    expect(await requestRollback(deps, RESTORE)).toEqual({
      ok: false,
      code: "restoring",
      deploymentId: d.id,
      backupId: `backup-${d.id}`,
    });
    expect(await requestRestore(deps, { ...RESTORE, deploymentId: d.id })).toMatchObject({
      ok: false,
      code: "already_restored",
    });
    expect((await waitingJobs("restore")).map((j) => j.id)).toEqual([JOB_IDS.restore(d.id)]);

    // The restore job, as a worker runs it: the restore action, then the validation; then the environment is free.
    await runRestoreAfterEnd(deps, d.id, new AbortController().signal, log);
    const restored = await deps.store.require(d.id);
    expect(restored.state).toBe("rolled_back");
    expect(restored.restore).toMatchObject({ ok: true, afterEnd: true });
    expect(restored.restore?.output).toContain(`restored from backup-${d.id}`);
    expect(restored.restore?.validation?.map((i) => `${i.id} ${i.status}`)).toEqual(["data-intact passed"]);
    expect(await deps.store.activeFor("vault", "production")).toBeUndefined();
    expect(await deps.store.lastEnded("vault", "production")).toMatchObject({ id: d.id });

    // Its end queued the start of the line, which starts the deployment that waited.
    const starts = (await waitingJobs("startWaiting")).map((j) => j.id);
    expect(starts).toContain(JOB_IDS.startWaiting("vault", "production", `after.${d.id}.restore`));
    const next = await startNextWaiting(deps, TARGET, log);
    expect(next).toMatchObject({ code: "started", deployment: { id: queued.waiting.id, version: "v1.2.0" } });
    expect(await deps.store.activeFor("vault", "production")).toBe(queued.waiting.id);
  });

  it("lets the environment go when the restore job gives up, whether before or after the backup came back", async () => {
    const d = await endedBack("v1.1.0");
    expect((await requestRestore(deps, { ...RESTORE, deploymentId: d.id })).code).toBe("restoring_after_end");
    await abandonRestore(deps, d.id, "the restore host is gone");
    expect((await deps.store.require(d.id)).restore).toMatchObject({ ok: false, output: "the restore host is gone" });
    expect(await deps.store.activeFor("vault", "production")).toBeUndefined();
    expect((await waitingJobs("startWaiting")).map((j) => j.id)).toContain(
      JOB_IDS.startWaiting("vault", "production", `after.${d.id}.restore`),
    );

    // Restored, then the job gave up before the validation was recorded: the validation says it was not checked.
    const e = await endedBack("v1.2.0");
    expect((await requestRestore(deps, { ...RESTORE, deploymentId: e.id })).code).toBe("restoring_after_end");
    const asked = await deps.store.require(e.id);
    const restore = asked.restore ?? { backupId: "", takenBy: "", by: "", at: 0 };
    await deps.store.save({ ...asked, restore: { ...restore, ok: true, output: "restored", finishedAt: deps.now() } });
    expect(await deps.store.activeFor("vault", "production")).toBe(e.id);
    await abandonRestore(deps, e.id, "the worker kept dying");
    expect(
      (await deps.store.require(e.id)).restore?.validation?.map((i) => `${i.id} ${i.status} ${i.evidence}`),
    ).toEqual(["data-intact error not checked, the restore job gave up: the worker kept dying"]);
    expect(await deps.store.activeFor("vault", "production")).toBeUndefined();
  });

  it("refuses to record a restore while another deployment holds the environment", async () => {
    const d = await endedBack("v1.1.0");
    const started = await ask("v1.2.0");
    if (started.code !== "started") throw new Error(`expected started, got ${started.code}`);
    // The restore's compare-and-set, as a confirmation checked before v1.2.0 started would write it.
    const restore = { backupId: `backup-${d.id}`, takenBy: d.id, by: DBA, at: deps.now(), afterEnd: true } as const;
    const held = await deps.store.save({ ...d, restore }).catch((error: unknown) => error);
    expect(held).toBeInstanceOf(EnvironmentHeldError);
    expect(held).toMatchObject({ deploymentId: d.id, holderId: started.deployment.id });
    expect(await deps.store.require(d.id)).toEqual(d);
    expect(await deps.store.activeFor("vault", "production")).toBe(started.deployment.id);
  });

  it("refuses a confirmation for a deployment that is no longer the latest there, naming the latest, and does nothing", async () => {
    // The dialog was opened for d; before it is confirmed, a newer deployment ends back there too.
    const d = await endedBack("v1.1.0");
    const e = await endedBack("v1.2.0");
    const stale = await requestRestore(deps, { ...RESTORE, deploymentId: d.id });
    expect(stale).toMatchObject({ ok: false, code: "not_latest", ...TARGET, deploymentId: d.id, latest: { id: e.id } });
    expect(restoreAnswerText(stale)).toBe(
      `Not restored: this dialog was for \`${d.id}\`, but the latest deployment of vault production is now \`${e.id}\` (v1.2.0, rolled back), so nothing was done. To restore for the latest one, ask again: \`/rollback production vault --restore\`.`,
    );
    // Neither is restored, nothing is queued or held, and the refusal is audited once, naming the latest.
    expect((await deps.store.require(d.id)).restore).toBeUndefined();
    expect((await deps.store.require(e.id)).restore).toBeUndefined();
    expect(await waitingJobs("restore")).toEqual([]);
    expect(await deps.store.activeFor("vault", "production")).toBeUndefined();
    const audited = (await deps.audit.recent("vault", 10, "production")).filter((a) => a.action === "restore");
    expect(audited.map((a) => `${a.outcome} ${a.deploymentId} ${a.detail}`)).toEqual([
      `refused ${d.id} not_latest: ${e.id} is the latest now`,
    ]);

    // A deployment started there since the dialog for e opened: the rollback and restore are not asked either.
    const started = await ask("v1.3.0");
    if (started.code !== "started") throw new Error(`expected started, got ${started.code}`);
    expect(await requestRestore(deps, { ...RESTORE, deploymentId: e.id })).toMatchObject({
      code: "not_latest",
      latest: { id: started.deployment.id },
    });
    expect((await deps.store.require(started.deployment.id)).state).toBe("requested");

    // Confirmed for the latest one, it goes ahead.
    const f = await endedBackFrom(started.deployment);
    expect((await requestRestore(deps, { ...RESTORE, deploymentId: f.id })).code).toBe("restoring_after_end");
  });

  it("refuses a flag change on the live deployment while the restore holds its environment, saying so", async () => {
    // A feature-flag release live in flagged, then a later one there rolled back, whose backup is being restored.
    const released = await ask("v1.1.0", undefined, "flagged");
    if (released.code !== "started") throw new Error(`expected started, got ${released.code}`);
    const now = deps.now();
    const ran = await deps.store.save({
      ...moveTo(released.deployment, "running", now),
      stages: released.deployment.stages.map((s) => ({ ...s, status: "succeeded" as const, startedAt: now })),
    });
    const live = await deps.store.save(moveTo(ran, "succeeded", now));
    const later = await ask("v1.2.0", undefined, "flagged");
    if (later.code !== "started") throw new Error(`expected started, got ${later.code}`);
    const back = await endedBackFrom(later.deployment);
    const flagged = { ...RESTORE, environment: "flagged", deploymentId: back.id };
    await dropSyncs(live.id);
    expect((await requestRestore(deps, flagged)).code).toBe("restoring_after_end");
    // The live release's root is rendered again, standing behind the restore: it offers no flag buttons meanwhile.
    expect(await syncsOf(live.id)).toHaveLength(1);
    expect(await rootFlagStanding(deps, live)).toEqual({
      code: "restoring",
      restoringId: back.id,
      backupId: `backup-${back.id}`,
    });

    const change = () => requestFlagChange(deps, { deploymentId: live.id, userId: DBA, percent: 50, via: "button" });
    const refused = await change();
    expect(refused).toEqual({
      ok: false,
      code: "flag_refused",
      refusal: {
        code: "restoring",
        deploymentId: live.id,
        service: "vault",
        environment: "flagged",
        restoringId: back.id,
        backupId: `backup-${back.id}`,
      },
    });
    expect(answerText(refused)).toBe(
      `\`${live.id}\` is still the live deployment of vault flagged, but backup \`backup-${back.id}\` of \`${back.id}\` is being restored there, then the post-rollback validation checked, and nothing changes the environment meanwhile. Follow it in that deployment's thread, and move the flag once it is done.`,
    );
    // The audit log keeps the refusal and reads it back.
    const audited = (await deps.audit.recent("vault", 10, "flagged")).find((a) => a.action === "flag");
    expect(audited?.answer).toEqual(refused);

    // Once the restore is done, its root is rendered again, live, and the flag moves again.
    await dropSyncs(live.id);
    await runRestoreAfterEnd(deps, back.id, new AbortController().signal, log);
    expect(await syncsOf(live.id)).toHaveLength(1);
    expect(await rootFlagStanding(deps, live)).toEqual({ code: "live" });
    expect(await change()).toMatchObject({ ok: true, code: "flag_setting", percent: 50 });
  });

  it("restores, after a /rollback that succeeded, the backup of the deployment it replaced, holding the environment meanwhile", async () => {
    await succeeded("v1.1.0");
    const bad = await succeeded("v1.2.0");
    const back = await rolledBack();
    expect({ version: back.version, rollbackOf: back.rollbackOf, backupId: back.backupId }).toEqual({
      version: "v1.1.0",
      rollbackOf: "v1.2.0",
      backupId: undefined,
    });

    // Asked about: the rollback deployment, which restores the backup of the one it replaced, after the end.
    const backupId = `backup-${bad.id}`;
    expect(await checkRestore(deps, RESTORE)).toMatchObject({
      ok: true,
      afterEnd: true,
      deployment: { id: back.id },
      takenBy: { id: bad.id },
      backupId,
    });
    const answer = await requestRestore(deps, { ...RESTORE, deploymentId: back.id });
    expect(answer).toMatchObject({ ok: true, code: "restoring_after_end", backupId });
    expect(restoreAnswerText(answer)).toBe(
      `\`${back.id}\` (v1.1.0) took vault production back from v1.2.0, so only the data comes back: backup \`${backupId}\`, which \`${bad.id}\` took before it deployed v1.2.0, is being restored, then the post-rollback validation is checked again. Follow it in its thread.`,
    );
    expect((await deps.store.require(back.id)).restore).toMatchObject({ backupId, takenBy: bad.id, afterEnd: true });
    expect((await deps.store.require(bad.id)).restore).toBeUndefined();

    // It holds the environment: a deploy is refused, naming the backup's deployment; no second rollback runs.
    expect(await deps.store.activeFor("vault", "production")).toBe(back.id);
    const busy = await ask("v1.3.0");
    if (busy.code !== "busy") throw new Error(`expected busy, got ${busy.code}`);
    expect(renderRequestAnswer(TARGET, busy)).toContain(
      `is busy restoring a backup: \`${backupId}\`, taken by \`${bad.id}\` (v1.2.0, taken back by \`${back.id}\`), asked by <@${DBA}>`,
    );
    expect(await requestRollback(deps, RESTORE)).toMatchObject({ ok: false, code: "restoring", deploymentId: back.id });
    // A second confirmation, or one from a dialog opened for another deployment, restores nothing.
    expect(await requestRestore(deps, { ...RESTORE, deploymentId: back.id })).toMatchObject({
      code: "already_restored",
      deployment: { id: back.id },
    });
    expect(await requestRestore(deps, { ...RESTORE, deploymentId: bad.id })).toMatchObject({
      code: "not_latest",
      latest: { id: back.id },
    });
    expect((await waitingJobs("restore")).map((j) => j.id)).toEqual([JOB_IDS.restore(back.id)]);

    // The job restores the backup, then validates v1.1.0 again; the rollback deployment stays succeeded.
    await runRestoreAfterEnd(deps, back.id, new AbortController().signal, log);
    const restored = await deps.store.require(back.id);
    expect(restored.state).toBe("succeeded");
    expect(restored.restore).toMatchObject({ ok: true, takenBy: bad.id, afterEnd: true });
    expect(restored.restore?.output).toContain(`restored from ${backupId}`);
    expect(restored.restore?.validation?.map((i) => `${i.id} ${i.status}`)).toEqual(["data-intact passed"]);
    expect(await deps.store.activeFor("vault", "production")).toBeUndefined();
    expect((await waitingJobs("startWaiting")).map((j) => j.id)).toContain(
      JOB_IDS.startWaiting("vault", "production", `after.${back.id}.restore`),
    );
    expect(await checkRestore(deps, RESTORE)).toMatchObject({ code: "already_restored", deployment: { id: back.id } });
  });

  it("refuses a restore after a /rollback that succeeded when the deployment it replaced took no backup, naming it", async () => {
    await succeeded("v1.1.0");
    const bad = await succeeded("v1.2.0", "without backup");
    const back = await rolledBack();
    const refused = await checkRestore(deps, RESTORE);
    expect(refused).toMatchObject({ code: "no_backup", deployment: { id: bad.id }, rolledBackBy: { id: back.id } });
    if (refused.ok) throw new Error("expected a refusal");
    expect(restoreRefusalText(refused)).toBe(
      `Not restored: \`${bad.id}\` (v1.2.0) took no backup (no backup stage printed a \`backup-id: …\` line), so there is nothing to restore. \`${back.id}\` (v1.1.0) took vault production back from v1.2.0 already.`,
    );
    expect(await deps.store.activeFor("vault", "production")).toBeUndefined();
    expect((await deps.store.require(back.id)).restore).toBeUndefined();
  });

  it("has the watchdog queue a lost restore job once it has sat quiet, once however often it runs", async () => {
    const d = await endedBack("v1.1.0");
    expect((await requestRestore(deps, { ...RESTORE, deploymentId: d.id })).code).toBe("restoring_after_end");
    // The process died between recording the restore and queuing its job.
    await queues.pipeline.remove(JOB_IDS.restore(d.id));
    expect(await waitingJobs("restore")).toEqual([]);

    await runWatchdog(deps, log);
    expect(await waitingJobs("restore")).toEqual([]);
    clock = Date.now() + LATER_MS;
    for (let round = 0; round < 3; round += 1) await runWatchdog(deps, log);
    expect((await waitingJobs("restore")).map((j) => j.id)).toEqual([JOB_IDS.restore(d.id)]);
    expect(await deps.store.activeFor("vault", "production")).toBe(d.id);
  });

  it("has the watchdog record a restore whose job gave up unrecorded, freeing the environment", async () => {
    const d = await endedBack("v1.1.0");
    await queues.pipeline.drain();
    expect((await requestRestore(deps, { ...RESTORE, deploymentId: d.id })).code).toBe("restoring_after_end");
    // A worker takes the job and it fails for good, but the worker dies before recording the restore failed.
    const worker = new Worker("pipeline", null, queueOptions(ctx.redis, ctx.prefix, "pipeline"));
    try {
      const job = await worker.getNextJob("test-token");
      expect(job?.id).toBe(JOB_IDS.restore(d.id));
      await job?.moveToFailed(new UnrecoverableError("the restore host is gone"), "test-token");
    } finally {
      await worker.close();
    }
    expect(await queues.pipeline.getJobState(JOB_IDS.restore(d.id))).toBe("failed");

    clock = Date.now() + LATER_MS;
    await runWatchdog(deps, log);
    expect((await deps.store.require(d.id)).restore).toMatchObject({ ok: false, output: "the restore host is gone" });
    expect(await deps.store.activeFor("vault", "production")).toBeUndefined();
  });
});
