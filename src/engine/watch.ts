import { systemActor } from "../domain/actor.js";
import {
  analyse,
  analysisInterval,
  type HealthObservation,
  keepHistory,
  type RollbackTriggers,
} from "../domain/analysis.js";
import { type AnalysisRecord, type Deployment, moveTo, nextStageIndex, touchedTraffic } from "../domain/deployment.js";
import { isFirstLeg } from "../domain/hotfix-path.js";
import {
  DEFAULT_EXTENDED_MS,
  DEFAULT_IMMEDIATE_MS,
  EXTENDED_INTERVAL_FACTOR,
  EXTENDED_WATCH_INDEX,
  judgedIn,
  type MonitoringSchedule,
  type MonitoringWindowName,
  monitoringSchedule,
  pausesOnInconclusive,
  type WatchEnd,
  type WatchRollback,
  watchAwaitsRollback,
  watching,
} from "../domain/monitoring-windows.js";
import { SENSITIVE_MONITORING_FACTOR } from "../domain/sensitive.js";
import { currentWeight, exposure } from "../domain/stage-plan.js";
import type { Logger } from "../logger.js";
import type { LoadedService } from "../manifests/catalog.js";
import type { GateDeps } from "./gates.js";
import { enqueueAdvance, enqueueAnalysis } from "./next-jobs.js";
import type { PipelineDeps } from "./pipeline-deps.js";
import type { RequestDeps } from "./request-deployment.js";
import { beginRollback, completeRollback } from "./rollback.js";
import { type RollbackAnswer, requestRollback } from "./rollback-request.js";
import { runStep } from "./stage-runner.js";
import { update } from "./update-deployment.js";

/*
 * Watching a rollout. While a step holds with the new version serving
 * traffic (a canary step, a blue-green switch with blue kept, an updated
 * rolling instance) and through the post-deployment monitoring window, an `analyse` job measures the new
 * version against the stable one every interval. A tripped trigger rolls
 * back at once and raises an incident; missing data or too little traffic is
 * looked at again at the next interval, and pauses the rollout, saying what
 * was missing, when the hold is over without it (after 100%, when the
 * monitoring window is over or three analyses in a row had none): never
 * promoted, never passed, on no data. A pass waits for the next interval, or moves on
 * when the hold is over.
 *
 * The immediate window ends the deployment: it succeeds, and frees its
 * environment. Its extended window (see monitoring-windows.ts) goes on
 * watching it at a slower pace while it is still what the environment runs:
 * a trip there asks for its rollback as Slipway, no data ends the watch
 * saying so, and a newer deployment reaching the environment ends it.
 */

/** How often a deployment is analysed; undefined when its service has no metrics. */
export function analysisIntervalMs(
  service: LoadedService,
  d: Pick<Deployment, "environment" | "hotfix">,
): number | undefined {
  const interval = service.metrics?.config.intervalMs;
  if (interval === undefined) return undefined;
  return analysisInterval(interval, d.hotfix, service.manifest.environments[d.environment]?.hotfix?.interval);
}

/**
 * The step an analysis is for: the next one due, or one past the last while
 * a final hold (keep blue, a soak) runs; -1 while monitoring after 100%;
 * the extended window's index while it watches the succeeded deployment.
 */
function watchedIndex(d: Deployment): number | undefined {
  if (d.state === "monitoring") return -1;
  if (watching(d)) return EXTENDED_WATCH_INDEX;
  if (d.state !== "running") return undefined;
  const next = nextStageIndex(d);
  return next === -1 ? d.stages.length : next;
}

/** The extended window judges its metrics (and the traffic they need), not the seed's technical triggers. */
const EXTENDED_TRIGGERS: RollbackTriggers = {
  errorRateIncrease: false,
  latencyFactor: false,
  healthCheck: false,
  memoryPercent: false,
  cpuPercent: false,
  cpuSustainedMs: 0,
};

/** The monitoring windows after 100% of a service's environment, as its manifest sets them. */
interface MonitoringPlan {
  readonly immediateMs: number;
  readonly extendedMs: number;
  readonly extendedIntervalMs: number;
  /** The custom metrics the extended window judges (and the immediate one leaves to it). */
  readonly extendedMetrics: readonly string[];
}

/**
 * The windows an environment's `monitoring` sets. The extended window is on
 * by default (an hour) and watches the service's custom metrics; without any
 * there is nothing for it to judge, and `extended: false` turns it off.
 */
function monitoringPlan(service: LoadedService, environment: string): MonitoringPlan {
  const config = service.manifest.environments[environment]?.monitoring;
  const extended =
    config?.extended === false
      ? undefined
      : typeof config?.extended === "number"
        ? { for: config.extended }
        : (config?.extended ?? {});
  const interval = service.metrics?.config.intervalMs ?? 0;
  const extendedMetrics =
    extended === undefined
      ? []
      : (extended.metrics ?? (service.metrics?.config.custom ?? []).map((metric) => metric.name));
  return {
    immediateMs: config?.immediate ?? DEFAULT_IMMEDIATE_MS,
    extendedMs: extendedMetrics.length === 0 ? 0 : (extended?.for ?? DEFAULT_EXTENDED_MS),
    extendedIntervalMs: extended?.interval ?? interval * EXTENDED_INTERVAL_FACTOR,
    extendedMetrics,
  };
}

/**
 * The monitoring windows after 100% for a deployment that starts monitoring
 * at `now`; undefined without metrics, and for the first deployment of a
 * hotfix path, whose soak (analysed as a hold) is its watch: the deployment
 * waiting for it goes on once it ends. A sensitive deployment is watched
 * twice as long. A /rollback deployment has no extended window: it returns
 * to a version already watched, and a trip there would roll back further.
 */
export function monitoringWindows(
  service: LoadedService,
  d: Pick<Deployment, "id" | "environment" | "hotfixPath" | "sensitive" | "rollbackOf">,
  now: number,
): MonitoringSchedule | undefined {
  if (!service.metrics || isFirstLeg(d)) return undefined;
  const plan = monitoringPlan(service, d.environment);
  const factor = d.sensitive ? SENSITIVE_MONITORING_FACTOR : 1;
  const extendedMs = d.rollbackOf === undefined ? plan.extendedMs : 0;
  const schedule = monitoringSchedule(now, plan.immediateMs, extendedMs, factor);
  return schedule.monitorUntil > now ? schedule : undefined;
}

/** The health check of one analysis round: its idempotency key names the round (the revision it analyses). */
async function healthOf(
  service: LoadedService,
  d: Deployment,
  stageIndex: number,
  signal: AbortSignal,
  log: Logger,
): Promise<HealthObservation | undefined> {
  if (!service.target.supports("healthCheck")) return undefined;
  const result = await runStep(
    service,
    { name: "analysis-health", action: "healthCheck" },
    d,
    signal,
    log,
    `${d.id}:health:${stageIndex}:${d.rev}`,
  );
  return result.ok
    ? { healthy: true }
    : { healthy: false, detail: result.outputTail.split("\n").at(-1) ?? "health check failed" };
}

/** What the `analyse` job needs: an extended window's trip asks for a rollback deployment. */
export type WatchDeps = GateDeps & RequestDeps;

/** The `analyse` job. */
export async function runAnalysis(
  deps: WatchDeps,
  deploymentId: string,
  stageIndex: number,
  epoch: number,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const d = await deps.store.require(deploymentId);
  if (stageIndex === EXTENDED_WATCH_INDEX && watchAwaitsRollback(d)) {
    await rollBackWatched(deps, d, log);
    return;
  }
  // Not this step's, paused, leaving, or a loop a Resume has replaced: nothing to do.
  const stale = (x: Deployment) =>
    watchedIndex(x) !== stageIndex || x.paused || x.abort || (x.analysisEpoch ?? 0) !== epoch;
  if (stale(d)) return;
  const service = deps.catalog.require(d.service);
  const metrics = service.metrics;
  const intervalMs = analysisIntervalMs(service, d);
  if (!metrics || intervalMs === undefined) {
    if (stageIndex === EXTENDED_WATCH_INDEX) return;
    await enqueueAdvance(deps.queues, d.id, stageIndex, { delay: Math.max(0, (d.holdUntil ?? 0) - deps.now()) });
    return;
  }
  const window: MonitoringWindowName | undefined =
    stageIndex === EXTENDED_WATCH_INDEX ? "extended" : d.state === "monitoring" ? "immediate" : undefined;
  const extended = window === "extended";
  if (extended) {
    const newer = await newerDeployment(deps, d);
    if (newer !== undefined) {
      await endWatch(deps, d.id, { at: deps.now(), outcome: "superseded", by: newer });
      return;
    }
  }
  // While the stable version still serves part of the traffic it is the baseline; afterwards, absolute limits.
  const baseline = d.state === "running" && d.previousVersion && exposure(d.strategy, d.stages).stable;
  // After promotion, each window judges its own metrics: those of a planned extended window are left to it.
  const plan = monitoringPlan(service, d.environment);
  const leftToExtended = d.extendedWatch ? plan.extendedMetrics : [];
  const triggers = extended ? EXTENDED_TRIGGERS : metrics.config.triggers;
  const custom = metrics.config.custom.filter((metric) => judgedIn(window, metric.name, leftToExtended));
  const [measured, health] = await Promise.all([
    metrics.source.snapshot(
      {
        version: d.version,
        service: d.service,
        environment: d.environment,
        ...(baseline ? { baselineVersion: d.previousVersion } : {}),
      },
      signal,
    ),
    extended ? undefined : healthOf(service, d, stageIndex, signal, log),
  ]);
  const verdict = analyse({
    canary: measured.canary,
    baseline: measured.baseline,
    history: d.canaryHistory ?? [],
    triggers,
    minRequests: metrics.config.minRequests,
    ...(health ? { health } : {}),
    missing: measured.missing,
    custom,
  });
  const now = deps.now();
  log.info({ stageIndex, outcome: verdict.outcome, summary: verdict.summary }, "analysis");

  const { saved } = await update(deps, deploymentId, (current) => {
    if (stale(current)) return { refused: undefined };
    const previous = current.analyses?.find((a) => a.stageIndex === stageIndex);
    const weight = currentWeight(current.stages);
    const inconclusiveRounds =
      verdict.outcome !== "inconclusive"
        ? undefined
        : (previous?.epoch === epoch ? (previous.inconclusiveRounds ?? 0) : 0) + 1;
    const record: AnalysisRecord = {
      stageIndex,
      at: now,
      verdict,
      rounds: (previous?.rounds ?? 0) + 1,
      epoch,
      ...(weight === undefined ? {} : { weight }),
      ...(inconclusiveRounds === undefined ? {} : { inconclusiveRounds }),
    };
    const analysed: Deployment = {
      ...current,
      analyses: [...(current.analyses ?? []).filter((a) => a.stageIndex !== stageIndex), record],
      canaryHistory: keepHistory(current.canaryHistory ?? [], measured.canary, metrics.config.triggers.cpuSustainedMs),
      updatedAt: now,
    };
    if (extended) return { next: watched(analysed, verdict, now, inconclusiveRounds, deps.newId), result: undefined };
    switch (verdict.outcome) {
      case "fail":
        return {
          next: {
            ...beginRollback(analysed, `automatic rollback: ${verdict.summary}`, "slipway", now),
            incident: { at: now, summary: verdict.summary },
          },
          result: undefined,
        };
      case "inconclusive": {
        // Data may be missing only because the step has just begun: look again at the next interval, and
        // pause when a decision is due (the hold or the monitoring window is over) or, after 100%, when
        // the data stayed missing analysis after analysis. Never move on without it.
        const monitoring = current.state === "monitoring";
        const decisionAt = (monitoring ? current.monitorUntil : current.holdUntil) ?? 0;
        const rounds = inconclusiveRounds ?? 1;
        if (!pausesOnInconclusive({ monitoring, now, decisionAt, inconclusiveRounds: rounds })) {
          return { next: analysed, result: undefined };
        }
        const early = now < decisionAt ? ` (${rounds} analyses in a row after 100%)` : "";
        return {
          next: {
            ...analysed,
            paused: { by: "slipway", at: now, reason: `inconclusive analysis${early}: ${verdict.summary}` },
          },
          result: undefined,
        };
      }
      case "pass":
        // The immediate window passed: the deployment succeeded, and its extended window, if any, begins.
        if (current.state === "monitoring" && now >= (current.monitorUntil ?? 0)) {
          return { next: moveTo({ ...analysed, monitorUntil: undefined }, "succeeded", now), result: undefined };
        }
        return { next: analysed, result: undefined };
      default: {
        const unreachable: never = verdict.outcome;
        return unreachable;
      }
    }
  });
  if (!saved) return;
  await deps.notifications.changed(saved);
  if (saved.state === "rolling_back") {
    await completeRollback(deps, saved.id, signal, log);
    return;
  }
  if (watchAwaitsRollback(saved)) {
    await rollBackWatched(deps, saved, log);
    return;
  }
  const until = watching(saved)
    ? saved.extendedWatch?.until
    : saved.state === "monitoring"
      ? saved.monitorUntil
      : undefined;
  if (watching(saved)) {
    await enqueueAnalysis(
      deps,
      saved,
      EXTENDED_WATCH_INDEX,
      Math.min(plan.extendedIntervalMs, Math.max(0, (until ?? now) - now)),
    );
    return;
  }
  if (saved.paused || (saved.state !== "running" && saved.state !== "monitoring")) return;
  if (saved.state === "running" && now >= (saved.holdUntil ?? now)) {
    await enqueueAdvance(deps.queues, saved.id, stageIndex, { tag: `analysed${saved.rev}` });
    return;
  }
  // The next round at the interval, and never later than the end of the hold or of the immediate window.
  const end = until ?? saved.holdUntil ?? now;
  await enqueueAnalysis(deps, saved, stageIndex, Math.min(intervalMs, Math.max(0, end - now)));
}

/**
 * A succeeded deployment after an extended window's analysis: a trip ends
 * the watch and names the rollback deployment Slipway is about to start (so
 * a repeated job starts the same one); no data too often, or at the end,
 * ends it saying so (never a pass); a pass at the end ends it passed.
 */
function watched(
  d: Deployment,
  verdict: { readonly outcome: "pass" | "fail" | "inconclusive"; readonly summary: string },
  now: number,
  inconclusiveRounds: number | undefined,
  newId: () => string,
): Deployment {
  const watch = d.extendedWatch;
  if (!watch) return d;
  const ending = (ended: WatchEnd): Deployment => ({ ...d, extendedWatch: { ...watch, ended } });
  switch (verdict.outcome) {
    case "fail":
      return ending({ at: now, outcome: "tripped", summary: verdict.summary, rollbackId: newId() });
    case "inconclusive":
      return pausesOnInconclusive({
        monitoring: true,
        now,
        decisionAt: watch.until,
        inconclusiveRounds: inconclusiveRounds ?? 1,
      })
        ? ending({ at: now, outcome: "no_data", summary: verdict.summary })
        : d;
    case "pass":
      return now >= watch.until ? ending({ at: now, outcome: "passed" }) : d;
    default: {
      const unreachable: never = verdict.outcome;
      return unreachable;
    }
  }
}

/**
 * A deployment that reached the environment after `d`, which the extended
 * window of `d` therefore no longer watches: one that ended there since, or
 * one under way that has changed what runs.
 */
async function newerDeployment(deps: PipelineDeps, d: Deployment): Promise<string | undefined> {
  const [activeId, last] = await Promise.all([
    deps.store.activeFor(d.service, d.environment),
    deps.store.lastEnded(d.service, d.environment),
  ]);
  if (last !== undefined && last.id !== d.id) return last.id;
  if (activeId === undefined) return undefined;
  const active = await deps.store.get(activeId);
  return active && touchedTraffic(active) ? activeId : undefined;
}

async function endWatch(deps: PipelineDeps, deploymentId: string, ended: WatchEnd): Promise<void> {
  const { saved } = await update(deps, deploymentId, (current) =>
    watching(current) && current.extendedWatch
      ? {
          next: { ...current, extendedWatch: { ...current.extendedWatch, ended }, updatedAt: ended.at },
          result: undefined,
        }
      : { refused: undefined },
  );
  if (saved) await deps.notifications.changed(saved);
}

/**
 * The rollback an extended window's trip asks for, as /rollback would roll
 * back the succeeded deployment, asked by Slipway itself and carrying what
 * tripped (the rollback deployment raises the incident). Started under the
 * id the trip chose, so a repeated job finds it instead of starting another;
 * refused (a newer deployment is under way, the environment is locked…),
 * the watched deployment says why.
 */
async function rollBackWatched(deps: WatchDeps, d: Deployment, log: Logger): Promise<void> {
  const ended = d.extendedWatch?.ended;
  if (ended?.outcome !== "tripped" || ended.rollback) return;
  const started = async (): Promise<WatchRollback | undefined> => {
    const existing = await deps.store.get(ended.rollbackId);
    return existing ? { started: true, deploymentId: existing.id, to: existing.version } : undefined;
  };
  const asked = async () =>
    watchRollbackOf(
      await requestRollback(deps, {
        service: d.service,
        environment: d.environment,
        actor: systemActor("slipway", "the extended window"),
        via: "engine",
        from: d,
        reason: ended.summary,
        incident: { at: ended.at, summary: ended.summary },
        deploymentId: ended.rollbackId,
      }),
    );
  // Refused because the same rollback was just started (a repeated job racing this one): it started.
  const answer = (await started()) ?? (await asked());
  const rollback = answer.started ? answer : ((await started()) ?? answer);
  log.warn({ rollback }, "extended window tripped; rollback asked for");
  const { saved } = await update(deps, d.id, (current) => {
    const trip = current.extendedWatch?.ended;
    if (!current.extendedWatch || trip?.outcome !== "tripped" || trip.rollback) return { refused: undefined };
    return {
      next: {
        ...current,
        extendedWatch: { ...current.extendedWatch, ended: { ...trip, rollback } },
        updatedAt: deps.now(),
      },
      result: undefined,
    };
  });
  if (saved) await deps.notifications.changed(saved);
}

function watchRollbackOf(answer: RollbackAnswer): WatchRollback {
  if (answer.ok) {
    return answer.code === "rollback_started"
      ? { started: true, deploymentId: answer.deploymentId, to: answer.to }
      : { started: false, code: answer.code };
  }
  switch (answer.code) {
    case "not_latest":
      return { started: false, code: answer.code, ...(answer.newer ? { newer: answer.newer } : {}) };
    case "request_refused":
      return {
        started: false,
        code: answer.outcome.code,
        ...(answer.outcome.code === "busy" ? { newer: answer.outcome.holderId } : {}),
      };
    default:
      return { started: false, code: answer.code };
  }
}
