import type { QueueName } from "../engine/jobs.js";

/**
 * How long a slash command's trigger id is remembered (`seen`, `seenFor`):
 * Slack's replay window, after which a signed request is refused anyway.
 */
export const REMEMBER_TRIGGER_MS = 5 * 60_000;

/*
 * Every Redis key Slipway and its queues use, under one prefix so test runs
 * and installs can share a server. Each key carries a hash tag (the part in
 * braces) that says which Redis Cluster slot it lives in, so that the keys
 * one script or transaction touches are always in one slot, and the load
 * is spread over many slots:
 *
 *   {p:s:<service>}   a service's deployment records, its active deployment,
 *                     successes and locks per environment, its audit log,
 *                     the slash commands that asked to deploy it — what the
 *                     store's create and compare-and-set scripts touch together
 *   {p:d:<id>}        one deployment's Slack messages, and which service it
 *                     belongs to (so a record can be found from its id alone)
 *   {p:bull:<queue>}  one BullMQ queue (BullMQ's scripts touch many of its keys)
 *   {p:index}         the index of deployments by creation time
 *
 * and single keys (Slack request and push delivery ids, user-group caches,
 * pacing buckets)
 * each in a slot of their own. A lone Redis server ignores the braces.
 */
export function keys(prefix: string) {
  const service = (name: string) => `{${prefix}:s:${name}}`;
  const deployment = (id: string) => `{${prefix}:d:${id}}`;
  return {
    deployment: (serviceName: string, id: string) => `${service(serviceName)}:deployment:${id}`,
    /** The service a deployment id belongs to. */
    home: (id: string) => `${deployment(id)}:service`,
    deploymentIndex: `{${prefix}:index}:deployments`,
    active: (name: string, environment: string) => `${service(name)}:active:${environment}`,
    lastSucceeded: (name: string, environment: string) => `${service(name)}:last-succeeded:${environment}`,
    successes: (name: string, environment: string) => `${service(name)}:successes:${environment}`,
    withdrawn: (name: string, environment: string) => `${service(name)}:withdrawn:${environment}`,
    passed: (name: string, environment: string) => `${service(name)}:passed:${environment}`,
    trouble: (name: string, environment: string) => `${service(name)}:trouble:${environment}`,
    lastEnded: (name: string, environment: string) => `${service(name)}:last-ended:${environment}`,
    lock: (name: string, environment: string) => `${service(name)}:lock:${environment}`,
    audit: (name: string) => `${service(name)}:audit`,
    slackRefs: (id: string) => `${deployment(id)}:slack`,
    userGroups: (groupId: string) => `{${prefix}:usergroup:${groupId}}`,
    seen: (triggerId: string) => `{${prefix}:seen:${triggerId}}`,
    /** A slash command's trigger id that asked to deploy a service, remembered in the service's slot (see seen). */
    seenFor: (name: string, triggerId: string) => `${service(name)}:seen:${triggerId}`,
    /** A push webhook's delivery id, remembered so a redelivery is acted on once. */
    delivery: (id: string) => `{${prefix}:delivery:${id}}`,
    /** What a schedule started, and which refusals it has told. */
    scheduled: (name: string, environment: string) => `${service(name)}:scheduled:${environment}`,
    /** Deployments waiting to start (queued or scheduled), ids by their place in line. */
    waiting: (name: string, environment: string) => `${service(name)}:waiting:${environment}`,
    /** The waiting deployments themselves (JSON), by id. */
    waitingEntries: (name: string, environment: string) => `${service(name)}:waiting-entries:${environment}`,
    /** The counter that gives each waiting deployment its place. */
    waitingPlace: (name: string) => `${service(name)}:waiting-place`,
    pace: (bucket: string) => `{${prefix}:pace:${bucket}}`,
    /** BullMQ's prefix for one queue: its keys are `<prefix>:<queue>:…`. */
    queuePrefix: (queue: QueueName) => `{${prefix}:bull:${queue}}`,
    /** The deployment record of an ended deployment (JSON), in its service's slot. */
    record: (name: string, id: string) => `${service(name)}:record:${id}`,
    recordPrefix: (name: string) => `${service(name)}:record:`,
    /** Ended deployments' ids by end time, per service and environment: history and stats read these. */
    records: (name: string, environment: string) => `${service(name)}:records:${environment}`,
  } as const;
}

export type Keys = ReturnType<typeof keys>;

/** The glob that matches every key under `prefix` (see deleteKeys). */
export function keysPattern(prefix: string): string {
  return `{${prefix}:*`;
}
