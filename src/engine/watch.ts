import {
  analyse,
  analysisInterval,
  type HealthObservation,
  keepHistory,
  type RollbackTriggers,
} from "../domain/analysis.js";
import { type AnalysisRecord, type Deployment, moveTo, nextStageIndex } from "../domain/deployment.js";
import { isFirstLeg } from "../domain/hotfix-path.js";
import {
  DEFAULT_EXTENDED_MS,
  DEFAULT_IMMEDIATE_MS,
  EXTENDED_INTERVAL_FACTOR,
  judgedIn,
  type MonitoringSchedule,
  monitoringSchedule,
  monitoringWindowAt,
  pausesOnInconclusive,
} from "../domain/monitoring-windows.js";
import { SENSITIVE_MONITORING_FACTOR } from "../domain/sensitive.js";
import { currentWeight, exposure } from "../domain/stage-plan.js";
import type { Logger } from "../logger.js";
import type { LoadedService } from "../manifests/catalog.js";
import { enqueueAdvance, enqueueAnalysis } from "./next-jobs.js";
import type { PipelineDeps } from "./pipeline-deps.js";
import { beginRollback, completeRollback } from "./rollback.js";
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
 * a final hold (keep blue, a soak) runs; -1 while monitoring after 100%.
 */
function watchedIndex(d: Deployment): number | undefined {
  if (d.state === "monitoring") return -1;
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

function monitoringPlan(service: LoadedService, environment: string): MonitoringPlan {
  const config = service.manifest.environments[environment]?.monitoring;
  const extended = typeof config?.extended === "number" ? { for: config.extended } : config?.extended;
  const interval = service.metrics?.config.intervalMs ?? 0;
  return {
    immediateMs: config?.immediate ?? DEFAULT_IMMEDIATE_MS,
    extendedMs: extended === undefined ? 0 : (extended.for ?? DEFAULT_EXTENDED_MS),
    extendedIntervalMs: extended?.interval ?? interval * EXTENDED_INTERVAL_FACTOR,
    extendedMetrics: extended?.metrics ?? (service.metrics?.config.custom ?? []).map((metric) => metric.name),
  };
}

/**
 * The monitoring windows after 100% for a deployment that starts monitoring
 * at `now`; undefined without metrics, and for the first deployment of a
 * hotfix path, whose soak (analysed as a hold) is its watch: the deployment
 * waiting for it goes on once it ends. A sensitive deployment is watched
 * twice as long.
 */
export function monitoringWindows(
  service: LoadedService,
  d: Pick<Deployment, "id" | "environment" | "hotfixPath" | "sensitive">,
  now: number,
): MonitoringSchedule | undefined {
  if (!service.metrics || isFirstLeg(d)) return undefined;
  const plan = monitoringPlan(service, d.environment);
  const factor = d.sensitive ? SENSITIVE_MONITORING_FACTOR : 1;
  const schedule = monitoringSchedule(now, plan.immediateMs, plan.extendedMs, factor);
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

/** The `analyse` job. */
export async function runAnalysis(
  deps: PipelineDeps,
  deploymentId: string,
  stageIndex: number,
  epoch: number,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const d = await deps.store.require(deploymentId);
  // Not this step's, paused, leaving, or a loop a Resume has replaced: nothing to do.
  const stale = (x: Deployment) =>
    watchedIndex(x) !== stageIndex || x.paused || x.abort || (x.analysisEpoch ?? 0) !== epoch;
  if (stale(d)) return;
  const service = deps.catalog.require(d.service);
  const metrics = service.metrics;
  const intervalMs = analysisIntervalMs(service, d);
  if (!metrics || intervalMs === undefined) {
    await enqueueAdvance(deps.queues, d.id, stageIndex, { delay: Math.max(0, (d.holdUntil ?? 0) - deps.now()) });
    return;
  }
  // While the stable version still serves part of the traffic it is the baseline; afterwards, absolute limits.
  const baseline = d.state === "running" && d.previousVersion && exposure(d.strategy, d.stages).stable;
  // After promotion with an extended window, each window judges its own metrics (see monitoring-windows.ts).
  const window =
    d.state === "monitoring" && d.immediateUntil !== undefined ? monitoringWindowAt(d, deps.now()) : undefined;
  const plan = window ? monitoringPlan(service, d.environment) : undefined;
  const extended = window?.window === "extended";
  const triggers = extended ? EXTENDED_TRIGGERS : metrics.config.triggers;
  const custom = metrics.config.custom.filter((metric) => judgedIn(window?.window, metric.name, plan?.extendedMetrics));
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
        if (current.state === "monitoring" && now >= (current.monitorUntil ?? 0)) {
          return {
            next: moveTo({ ...analysed, monitorUntil: undefined, immediateUntil: undefined }, "succeeded", now),
            result: undefined,
          };
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
  if (saved.paused || (saved.state !== "running" && saved.state !== "monitoring")) return;
  if (saved.state === "running" && now >= (saved.holdUntil ?? now)) {
    await enqueueAdvance(deps.queues, saved.id, stageIndex, { tag: `analysed${saved.rev}` });
    return;
  }
  // The next round: at the interval of the window running then, and never later than the end of this one.
  const current = saved.state === "monitoring" ? monitoringWindowAt(saved, now) : undefined;
  const until = current ? current.endsAt : (saved.holdUntil ?? now);
  const every = current?.window === "extended" && plan ? plan.extendedIntervalMs : intervalMs;
  await enqueueAnalysis(deps, saved, stageIndex, Math.min(every, Math.max(0, until - now)));
}
