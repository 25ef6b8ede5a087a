import type { Actor } from "../domain/actor.js";
import type { Deployment } from "../domain/deployment.js";
import type { Logger } from "../logger.js";
import type { AuditVia } from "../store/audit-log.js";
import type { WaitingDeployment } from "../store/waitlist.js";
import { authorizeActor } from "./authorize.js";
import { type EnvironmentScope, environmentsIn } from "./environment-scope.js";
import { enqueue, JOB_IDS } from "./jobs.js";
import { isRefusal, refusalReason } from "./refusal-reason.js";
import { type RequestDeps, requestDeployment } from "./request-deployment.js";

/*
 * Deployments waiting to start (queued behind the active deployment, or
 * scheduled for a window's opening; see request-deployment.ts for how they
 * join the line): starting the next, cancelling one, listing them.
 *
 * A start goes through `requestDeployment` as the person or system that
 * asked, so locks, windows, freezes, permissions and the promotion gate are
 * checked again as it starts, and the checklist and approvals follow as for
 * any deployment. A refused start leaves the line and the deploy channel is
 * told why, once (the notice's job id is the waiting deployment's); one
 * refused only because its window is closed keeps its place instead, waits
 * for the window's next opening, and the channel is told so once (only the
 * call that moved it tells). The first one that may start goes first; one
 * scheduled for later lets those behind it that may start now go.
 *
 * Starting is safe to repeat and to run on two workers at once: a waiting
 * deployment starts under its own id, which the store never creates twice,
 * and one found already started is only taken out of the line.
 */

export type StartOutcome =
  | { readonly code: "started"; readonly deployment: Deployment }
  /** Another deployment is active there; its end asks again. */
  | { readonly code: "busy"; readonly holderId: string }
  /** Nothing may start now; `nextAt` is the earliest scheduled one's opening. */
  | { readonly code: "nothing"; readonly nextAt?: number };

/** Starts the first waiting deployment of a service and environment that may start; see the top of this file. */
export async function startNextWaiting(
  deps: RequestDeps,
  target: { readonly service: string; readonly environment: string },
  log: Logger,
): Promise<StartOutcome> {
  const { service, environment } = target;
  for (;;) {
    const now = deps.now();
    const line = await deps.waitlist.line(service, environment);
    const next = line.find((w) => (w.notBefore ?? 0) <= now);
    if (!next) {
      const later = line.flatMap((w) => (w.notBefore === undefined ? [] : [w.notBefore]));
      if (later.length === 0) return { code: "nothing" };
      // Each scheduled one has its start queued for its opening; this one covers a start that came early.
      const nextAt = Math.min(...later);
      await enqueue(deps.queues, "startWaiting", target, {
        id: JOB_IDS.startWaiting(service, environment, `at-${nextAt}`),
        delay: nextAt - now,
      });
      return { code: "nothing", nextAt };
    }
    if (await deps.store.get(next.id)) {
      // Started before (a retried job, another worker): it only has to leave the line.
      await deps.waitlist.remove(service, environment, next.id);
      continue;
    }
    const holderId = await deps.store.activeFor(service, environment);
    if (holderId !== undefined) return { code: "busy", holderId };
    const outcome = await requestDeployment(deps, {
      actor: next.actor,
      via: next.via,
      request: next.request,
      deploymentId: next.id,
    });
    log.info({ service, environment, deploymentId: next.id, outcome: outcome.code }, "waiting deployment start");
    if (outcome.code === "started") {
      await deps.waitlist.remove(service, environment, next.id);
      return { code: "started", deployment: outcome.deployment };
    }
    if (outcome.code === "busy") {
      if (outcome.holderId !== next.id) return { code: "busy", holderId: outcome.holderId };
      await deps.waitlist.remove(service, environment, next.id);
      continue;
    }
    if (!isRefusal(outcome)) throw new Error(`a waiting deployment's start answered ${outcome.code}`);
    if (outcome.code === "window" && outcome.opensAt !== undefined && outcome.opensAt > now) {
      await waitForOpening(deps, next, outcome.opensAt, outcome.reason, now);
      continue;
    }
    // Taken out by this call only, so the channel hears of it once however often this runs.
    const taken = await deps.waitlist.remove(service, environment, next.id);
    const channel = deps.catalog.service(service)?.manifest.channels.deploy;
    if (taken && channel) {
      await enqueue(
        deps.queues,
        "waitingDropped",
        {
          channel,
          service,
          environment,
          version: next.request.version,
          deploymentId: next.id,
          requester: next.actor,
          code: outcome.code,
          ...refusalReason(outcome),
        },
        { id: JOB_IDS.waitingDropped(next.id) },
      );
    }
  }
}

/** Has a waiting deployment whose window is closed wait for its next opening, and tells its channel once. */
async function waitForOpening(
  deps: RequestDeps,
  waiting: WaitingDeployment,
  opensAt: number,
  reason: string,
  now: number,
): Promise<void> {
  const { service, environment } = waiting.request;
  const moved = await deps.waitlist.reschedule(waiting, opensAt);
  const channel = deps.catalog.service(service)?.manifest.channels.deploy;
  await Promise.all([
    enqueue(
      deps.queues,
      "startWaiting",
      { service, environment },
      {
        id: JOB_IDS.startWaiting(service, environment, `at-${opensAt}`),
        delay: opensAt - now,
      },
    ),
    moved && channel
      ? enqueue(
          deps.queues,
          "waitingRescheduled",
          {
            channel,
            service,
            environment,
            version: waiting.request.version,
            deploymentId: waiting.id,
            requester: waiting.actor,
            reason,
            opensAt,
          },
          { id: JOB_IDS.waitingRescheduled(waiting.id, opensAt) },
        )
      : undefined,
  ]);
}

export type CancelOutcome =
  | { readonly code: "cancelled"; readonly waiting: WaitingDeployment }
  /** It is no longer waiting: started (`deployment`), cancelled or dropped already. */
  | { readonly code: "not_waiting"; readonly id: string; readonly deployment?: Deployment }
  | { readonly code: "forbidden"; readonly reason: string };

/**
 * Takes a waiting deployment out of its line: the person who asked for it
 * may, and so may whoever may deploy to that environment. Audited.
 */
export async function cancelWaiting(
  deps: RequestDeps,
  input: {
    readonly actor: Actor;
    readonly via: AuditVia;
    readonly service: string;
    readonly environment: string;
    readonly id: string;
  },
): Promise<CancelOutcome> {
  const { actor, service, environment, id } = input;
  const waiting = (await deps.waitlist.line(service, environment)).find((w) => w.id === id);
  if (!waiting) {
    const deployment = await deps.store.get(id);
    return { code: "not_waiting", id, ...(deployment ? { deployment } : {}) };
  }
  const own = actor.kind === "slack" && waiting.actor.kind === "slack" && waiting.actor.id === actor.id;
  if (!own) {
    const allowed = await authorizeActor(deps, {
      action: "deploy",
      attempted: "cancel",
      actor,
      service,
      environment,
      via: input.via,
      deploymentId: id,
    });
    if (!allowed.allowed) return { code: "forbidden", reason: allowed.reason };
  }
  const taken = await deps.waitlist.remove(service, environment, id);
  if (!taken) {
    const deployment = await deps.store.get(id);
    return { code: "not_waiting", id, ...(deployment ? { deployment } : {}) };
  }
  await deps.audit.record({
    at: deps.now(),
    actor: actor.id,
    source: actor.kind,
    action: "cancel",
    outcome: "ok",
    service,
    environment,
    deploymentId: id,
    detail: `${taken.request.version}, ${taken.notBefore === undefined ? "queued" : "scheduled"} by ${taken.actor.name ?? taken.actor.id}`,
    via: input.via,
  });
  return { code: "cancelled", waiting: taken };
}

/** Every waiting deployment in `scope`, per service and environment in the manifests' order, first in line first. */
export async function waitingDeployments(
  deps: Pick<RequestDeps, "catalog" | "waitlist">,
  scope: EnvironmentScope = {},
): Promise<WaitingDeployment[]> {
  const lines = await Promise.all(
    environmentsIn(deps.catalog, scope).map(({ service, environment }) => deps.waitlist.line(service, environment)),
  );
  return lines.flat();
}
