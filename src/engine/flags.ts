import { type FlagChange, flagChangeRefusal, flagState } from "../domain/feature-flag.js";
import type { Logger } from "../logger.js";
import type { AuditVia } from "../store/audit-log.js";
import type { GateAnswer, GateDeps } from "./gates.js";
import type { PipelineDeps } from "./pipeline.js";
import { runStep } from "./stage-runner.js";
import { update } from "./update-deployment.js";

/*
 * Moving a feature flag after its release flipped it: a person asks from the
 * root message, the change is recorded as pending with a compare-and-set
 * (so a double click or a second person asks only once), and a `flag` job
 * calls the target's setFlag with the change's own idempotency key. Only one
 * change is in flight at a time; each one's outcome lands in the thread.
 */

export function flagJobId(deploymentId: string, seq: number): string {
  return `flag.${deploymentId}.${seq}`;
}

/** Records a flag change and queues it; refused (with why) when the flag cannot move now. */
export async function requestFlagChange(
  deps: GateDeps,
  input: { deploymentId: string; userId: string; percent: number; via: AuditVia },
): Promise<GateAnswer> {
  const now = deps.now();
  const before = await deps.store.require(input.deploymentId);
  const live =
    (await deps.store.activeFor(before.service, before.environment)) === undefined &&
    (await deps.store.lastSucceeded(before.service, before.environment)) === before.version;
  const { saved, result } = await update<GateAnswer & { seq?: number }>(deps, input.deploymentId, (current) => {
    const refusal = flagChangeRefusal(current, input.percent, live);
    if (refusal !== undefined) return { refused: { ok: false, message: refusal } };
    const changes = current.flagChanges ?? [];
    const change: FlagChange = {
      seq: changes.length + 1,
      percent: input.percent,
      by: input.userId,
      at: now,
      status: "pending",
    };
    const name = flagState(current)?.name ?? "the flag";
    return {
      next: { ...current, flagChanges: [...changes, change], updatedAt: now },
      result: {
        ok: true,
        message: `Setting ${name} to ${input.percent}% for \`${current.id}\`; the thread says when it is done.`,
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
    detail: result.ok ? `${flagState(d)?.name ?? "flag"} → ${input.percent}%` : result.message,
    via: input.via,
  });
  if (saved && result.seq !== undefined) {
    await deps.notifications.changed(saved);
    await enqueueFlagChange(deps, saved.id, result.seq);
  }
  // A change still pending may have lost its job (a crash right after recording it): queue it again, once.
  const pending = flagState(d)?.pending;
  if (!result.ok && pending) await enqueueFlagChange(deps, d.id, pending.seq);
  return { ok: result.ok, message: result.message };
}

async function enqueueFlagChange(deps: PipelineDeps, deploymentId: string, seq: number): Promise<void> {
  await deps.queues.pipeline.add("flag", { deploymentId, seq }, { jobId: flagJobId(deploymentId, seq) });
}

/** Records a pending change as failed: its job gave up, so the flag is where it was. */
export async function abandonFlagChange(deps: PipelineDeps, deploymentId: string, seq: number, why: string) {
  await finishFlagChange(deps, deploymentId, seq, { ok: false, outputTail: `the change could not be made: ${why}` });
}

/** The `flag` job: sets the flag through the target and records how it went. */
export async function runFlagChange(
  deps: PipelineDeps,
  deploymentId: string,
  seq: number,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const d = await deps.store.require(deploymentId);
  const change = d.flagChanges?.find((c) => c.seq === seq);
  const flag = flagState(d);
  if (change?.status !== "pending" || !flag) return;
  const service = deps.catalog.require(d.service);
  const result = await runStep(
    service,
    { name: `flag-${flag.name}-${change.percent}%`, action: "setFlag", flag: flag.name, flagPercent: change.percent },
    d,
    signal,
    log,
    `${d.id}:flag:${seq}`,
  );
  log.info({ flag: flag.name, percent: change.percent, ok: result.ok }, "flag change finished");
  await finishFlagChange(deps, deploymentId, seq, result);
}

async function finishFlagChange(
  deps: PipelineDeps,
  deploymentId: string,
  seq: number,
  result: { ok: boolean; outputTail: string },
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
            output: result.outputTail,
          }
        : c,
    );
    return { next: { ...current, flagChanges: finished, updatedAt: deps.now() }, result: undefined };
  });
  if (saved) await deps.notifications.changed(saved);
}
