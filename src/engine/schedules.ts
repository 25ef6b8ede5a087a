import { systemActor } from "../domain/actor.js";
import type { Logger } from "../logger.js";
import { keys } from "../store/keys.js";
import type { RedisClient } from "../store/redis.js";
import { enqueue, JOB_IDS, listSchedules, removeSchedule, SCHEDULE_ID_PREFIX, upsertSchedule } from "./jobs.js";
import { refusalReason } from "./refusal-reason.js";
import { type RequestDeps, requestDeployment } from "./request-deployment.js";

/*
 * Deploy on a schedule. Each environment with a `schedule` in its manifest
 * has one BullMQ job scheduler (cron pattern and time zone), made to match
 * the manifests at start: a new schedule is created, a changed one updated,
 * one no manifest names any more removed. The scheduler's id is the service
 * and environment, so processes starting together make one, not two.
 *
 * A run deploys the newest version that succeeded in the environment the
 * schedule is fed from, when it is not live yet, as the `schedule` actor.
 * With nothing new it does nothing and says nothing. Refused (a lock, a
 * window or freeze, a permission), it tells the deploy channel once per
 * version and reason, and tries again at the next run. Once a run has
 * started a deployment of a version, later runs leave that version alone:
 * its thread tells how it went (a failed checklist included), and the next
 * new success is the next thing to deploy.
 */

export interface ScheduleDeps extends RequestDeps {
  /** Where a schedule remembers what it started and what it told. */
  readonly redis: RedisClient;
  readonly keyPrefix: string;
}

/** How long a schedule remembers having told a channel why it did not deploy a version. */
const TOLD_TTL_SECONDS = 30 * 24 * 3600;

/** Makes the job schedulers match the manifests' schedules. Safe to run in every process, at once. */
export async function reconcileSchedules(deps: RequestDeps, log: Logger): Promise<void> {
  const wanted = new Map<string, { service: string; environment: string; pattern: string; tz: string }>();
  for (const service of deps.catalog.serviceNames()) {
    for (const [environment, config] of Object.entries(deps.catalog.service(service)?.manifest.environments ?? {})) {
      if (!config.schedule) continue;
      wanted.set(JOB_IDS.scheduled(service, environment), {
        service,
        environment,
        pattern: config.schedule.cron,
        tz: config.schedule.timezone,
      });
    }
  }
  const existing = await listSchedules(deps.queues.pipeline, SCHEDULE_ID_PREFIX);
  for (const schedule of existing) {
    if (wanted.has(schedule.id)) continue;
    await removeSchedule(deps.queues.pipeline, schedule.id);
    log.info({ schedule: schedule.id }, "schedule removed: no manifest names it any more");
  }
  for (const [id, s] of wanted) {
    const before = existing.find((e) => e.id === id);
    if (before?.pattern === s.pattern && before.tz === s.tz) continue;
    await upsertSchedule(
      deps.queues,
      "scheduled",
      { service: s.service, environment: s.environment },
      { id, repeat: { pattern: s.pattern, tz: s.tz } },
    );
    log.info(
      { schedule: id, cron: s.pattern, timezone: s.tz },
      before ? "schedule changed to match its manifest" : "schedule created",
    );
  }
}

/** One run of an environment's schedule; see the comment at the top of this file. */
export async function runSchedule(
  deps: ScheduleDeps,
  target: { readonly service: string; readonly environment: string },
  log: Logger,
): Promise<void> {
  const { service, environment } = target;
  const schedule = deps.catalog.environment(service, environment)?.schedule;
  if (!schedule) {
    log.warn({ service, environment }, "scheduled run for an environment without a schedule; ignored");
    return;
  }
  const [newest] = await deps.store.goodVersions(service, schedule.from);
  const live = await deps.store.lastSucceeded(service, environment);
  const memory = keys(deps.keyPrefix).scheduled(service, environment);
  const started = await deps.redis.get(memory);
  if (newest === undefined || newest === live || newest === started) {
    log.info({ service, environment, newest, live }, "scheduled run: nothing new to deploy");
    return;
  }
  const outcome = await requestDeployment(deps, {
    actor: systemActor("schedule", `${schedule.cron} ${schedule.timezone}`),
    via: "schedule",
    request: { service, environment, version: newest, hotfix: false },
  });
  log.info({ service, environment, version: newest, outcome: outcome.code }, "scheduled run");
  switch (outcome.code) {
    case "started":
      await deps.redis.set(memory, newest);
      return;
    case "busy":
    case "dry_run":
    case "queued":
    case "scheduled":
    case "repeated":
      // Another deployment holds the environment (a schedule's request names no trigger id to repeat); the next run looks again.
      return;
    case "locked":
    case "window":
    case "forbidden":
    case "invalid":
    case "unknown_version":
    case "promotion": {
      const channel = deps.catalog.service(service)?.manifest.channels.deploy;
      if (!channel) return;
      const why = refusalReason(outcome);
      const told = `${memory}:told:${newest}:${outcome.code}`;
      if ((await deps.redis.set(told, "1", "EX", TOLD_TTL_SECONDS, "NX")) === null) return;
      await enqueue(
        deps.queues,
        "scheduleSkipped",
        { channel, service, environment, version: newest, from: schedule.from, code: outcome.code, ...why },
        { id: JOB_IDS.scheduleSkipped(service, environment, newest, outcome.code) },
      );
      return;
    }
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}
