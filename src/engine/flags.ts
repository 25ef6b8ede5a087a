import { slackActor } from "../domain/actor.js";
import { type Deployment, type FlagBlock, type FlagChange, restoringAfterEnd } from "../domain/deployment.js";
import { type FlagStanding, flagBlocked, flagChangeRefusal, flagState } from "../domain/feature-flag.js";
import type { Logger } from "../logger.js";
import type { AuditVia } from "../store/audit-log.js";
import type { FlagAnswer } from "./answers.js";
import { type AuthorizeDeps, authorizeActor } from "./authorize.js";
import type { GateDeps } from "./gates.js";
import { enqueue, JOB_IDS } from "./jobs.js";
import { FencedOffError } from "./pipeline.js";
import type { PipelineDeps } from "./pipeline-deps.js";
import { runStep } from "./stage-runner.js";
import { update } from "./update-deployment.js";

/*
 * Moving a feature flag after its release flipped it: a person asks from the
 * root message, the change is recorded as pending with a compare-and-set
 * (so a double click or a second person asks only once), and a `flag` job
 * calls the target's setFlag with the change's own idempotency key. Only one
 * change is in flight at a time; each one's outcome lands in the thread.
 */

/** Records a flag change and queues it; refused (with why) when the flag cannot move now. */
export async function requestFlagChange(
  deps: GateDeps & AuthorizeDeps,
  input: { deploymentId: string; userId: string; percent: number; via: AuditVia },
): Promise<FlagAnswer> {
  const before = await deps.store.require(input.deploymentId);
  const allowed = await authorizeActor(deps, {
    action: "deploy",
    attempted: "flag",
    actor: slackActor(input.userId),
    service: before.service,
    environment: before.environment,
    via: input.via,
    deploymentId: before.id,
  });
  if (!allowed.allowed) return { ok: false, code: "forbidden", attempted: "flag", reason: allowed.reason };
  const now = deps.now();
  const standing = await standingOf(deps, before);
  const { saved, result } = await update<FlagAnswer>(deps, input.deploymentId, (current) => {
    const refusal = flagChangeRefusal(current, input.percent, standing);
    if (refusal !== undefined) return { refused: { ok: false, code: "flag_refused", refusal } };
    const changes = current.flagChanges ?? [];
    const change: FlagChange = {
      seq: changes.length + 1,
      percent: input.percent,
      by: input.userId,
      at: now,
      status: "pending",
    };
    return {
      next: { ...current, flagChanges: [...changes, change], updatedAt: now },
      result: {
        ok: true,
        code: "flag_setting",
        deploymentId: current.id,
        flag: flagState(current)?.name,
        percent: input.percent,
        seq: change.seq,
      },
    };
  });
  const d = saved ?? before;
  await deps.audit.record({
    at: now,
    actor: input.userId,
    action: "flag",
    outcome: result.ok ? "ok" : "refused",
    service: d.service,
    environment: d.environment,
    deploymentId: d.id,
    ...(result.ok ? { detail: `${result.flag ?? "flag"} → ${result.percent}%` } : { answer: result }),
    via: input.via,
  });
  if (saved && result.ok) {
    await deps.notifications.changed(saved);
    await enqueueFlagChange(deps, saved.id, result.seq);
  }
  // A change still pending may have lost its job (a crash right after recording it): queue it again. Once
  // it is overdue (its job may have given up without recording so), as a new job; running it twice is safe.
  const pending = flagState(d)?.pending;
  if (!result.ok && pending) {
    const overdueAfter = deps.catalog.require(d.service).manifest.target.timeoutSeconds * 1000 + FLAG_GRACE_MS;
    await enqueueFlagChange(deps, d.id, pending.seq, now - pending.at > overdueAfter ? d.rev : undefined);
  }
  return result;
}

/** How long past its target's timeout a flag change may stay pending before it counts as lost. */
const FLAG_GRACE_MS = 60_000;

/** Queues flag change `seq`; `retry` (a revision) queues it anew where its first job may have given up. */
async function enqueueFlagChange(deps: PipelineDeps, deploymentId: string, seq: number, retry?: number): Promise<void> {
  await enqueue(deps.queues, "flag", { deploymentId, seq }, { id: JOB_IDS.flag(deploymentId, seq, retry) });
}

/**
 * Whether `d` still is what its environment runs: nothing newer active, and
 * its version the last success; or its version the last success while the
 * restore of a deployment that ended back there holds the environment.
 */
async function standingOf(deps: Pick<PipelineDeps, "store">, d: Deployment): Promise<FlagStanding> {
  const [active, last] = await Promise.all([
    deps.store.activeFor(d.service, d.environment),
    deps.store.lastSucceeded(d.service, d.environment),
  ]);
  if (active === d.id || (active === undefined && last === d.version)) return { code: "live" };
  const holder = active === undefined || last !== d.version ? undefined : await deps.store.get(active);
  return holder?.restore && restoringAfterEnd(holder)
    ? { code: "restoring", restoringId: holder.id, backupId: holder.restore.backupId }
    : { code: "replaced" };
}

/**
 * Where `d` stands for its root message's flag buttons: worth reading only
 * for a flag release that succeeded (before that, its own state says
 * whether the flag may move); `live` for any other.
 */
export async function rootFlagStanding(deps: Pick<PipelineDeps, "store">, d: Deployment): Promise<FlagStanding> {
  return d.state === "succeeded" && flagState(d) ? standingOf(deps, d) : { code: "live" };
}

/** Records a pending change as failed: its job gave up, so the flag is where it was. */
export async function abandonFlagChange(deps: PipelineDeps, deploymentId: string, seq: number, why: string) {
  await finishFlagChange(deps, deploymentId, seq, { ok: false, outputTail: `the change could not be made: ${why}` });
}

/**
 * The `flag` job: sets the flag through the target and records how it went.
 * The change is checked again first: a deployment aborted, rolled back or
 * replaced since it was asked for no longer moves its flag.
 */
export async function runFlagChange(
  deps: PipelineDeps,
  deploymentId: string,
  seq: number,
  attempt: number,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const d = await deps.store.require(deploymentId);
  const change = d.flagChanges?.find((c) => c.seq === seq);
  const flag = flagState(d);
  if (change?.status !== "pending" || !flag) return;
  const blocked = flagBlocked(d, await standingOf(deps, d));
  if (blocked !== undefined) {
    await finishFlagChange(deps, deploymentId, seq, { ok: false, blocked });
    return;
  }
  const service = deps.catalog.require(d.service);
  const result = await runStep(
    service,
    { name: `flag-${flag.name}-${change.percent}%`, action: "setFlag", flag: flag.name, flagPercent: change.percent },
    d,
    signal,
    log,
    `${d.id}:flag:${seq}`,
    attempt,
  );
  if (signal.aborted) {
    // The lock was lost or the worker is stopping: whether the flag moved is not known, so the change stays
    // pending for another run (the stalled job's, or the one the next click queues).
    throw new FencedOffError(`flag change ${seq} of ${deploymentId} abandoned: the job's lock was lost`);
  }
  log.info({ flag: flag.name, percent: change.percent, ok: result.ok }, "flag change finished");
  await finishFlagChange(deps, deploymentId, seq, result);
}

async function finishFlagChange(
  deps: PipelineDeps,
  deploymentId: string,
  seq: number,
  result: { ok: boolean; outputTail: string } | { ok: false; blocked: FlagBlock },
): Promise<void> {
  const { saved } = await update(deps, deploymentId, (current) => {
    const changes = current.flagChanges ?? [];
    if (!changes.some((c) => c.seq === seq && c.status === "pending")) return { refused: undefined };
    const finished = changes.map((c) =>
      c.seq === seq
        ? {
            ...c,
            status: result.ok ? ("done" as const) : ("failed" as const),
            finishedAt: deps.now(),
            ...("blocked" in result ? { blocked: result.blocked } : { output: result.outputTail }),
          }
        : c,
    );
    return { next: { ...current, flagChanges: finished, updatedAt: deps.now() }, result: undefined };
  });
  if (saved) await deps.notifications.changed(saved);
}
