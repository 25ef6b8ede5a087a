import { type Deployment, holdsEnvironment, touchedTraffic } from "../domain/deployment.js";
import { type DeploymentRecord, recordOf } from "../domain/deployment-record.js";
import { isFinal } from "../domain/deployment-state.js";
import type { VersionHistory } from "../domain/promotion.js";
import { SlipwayError } from "../errors.js";
import { MAX_AUDIT_ENTRIES } from "./audit-log.js";
import { type Keys, keys, REMEMBER_TRIGGER_MS } from "./keys.js";
import type { Lock } from "./locks.js";
import { DEFAULT_KEEP_RECORDS, WRITE_RECORD } from "./records.js";
import type { RedisClient } from "./redis.js";
import { defineScript, type RedisScript } from "./script.js";

/*
 * Deployments live in Redis as one hash each: `rev` (an integer) and `doc`
 * (the JSON record). Every write is a compare-and-set on `rev`, done in one
 * Lua script, so a writer that read an older revision — a retried job, a
 * worker that lost its lock — is refused instead of overwriting newer state.
 * The same script keeps the "one active deployment per service and
 * environment" key in step: created with the deployment, released when it
 * reaches a final state (then remembered as the last one ended, if it
 * touched the running system), claimed again by the write that records a
 * restore of its backup after that end and released by the one that ends
 * the restore (see `holdsEnvironment`); and records the version of each success (once,
 * as it becomes succeeded), the one a rollback returns to. The state is kept
 * beside the document so the script can tell a new success from a later
 * write to a succeeded deployment (an acknowledged alert, a flag change).
 * As a deployment ends, the version's history there is kept for the
 * promotion gate: when it passed, and when it failed or was rolled back from
 * (a /rollback's success counts against the version it left).
 *
 * All those keys share the service's hash slot (keys.ts), so the scripts
 * work on a Redis Cluster. Two things live elsewhere and are written first,
 * before the record exists: which service an id belongs to (so a record is
 * found from its id alone; never changes, so each process remembers it) and
 * the index by creation time. A crash between them and the record leaves
 * an index entry without a record, which readers skip.
 *
 * Every save of an ended deployment also writes its deployment record (see
 * records.ts), so the record can never miss the end or a later review.
 */

/*
 * KEYS: the record, the active id, the lock, the last success, the audit
 * log, the trigger id. ARGV: the document (JSON), id, state, trigger id or
 * '', how long to remember it (ms), '1' to refuse when locked, the audit
 * log's length, then the audit entry's fields (none: nothing audited).
 */
const CREATE = `
if ARGV[4] ~= '' and not redis.call('SET', KEYS[6], '1', 'PX', ARGV[5], 'NX') then return {'repeated'} end
if ARGV[6] == '1' then
  local lock = redis.call('GET', KEYS[3])
  if lock then return {'locked', lock} end
end
if redis.call('EXISTS', KEYS[1]) == 1 then return {'held', ARGV[2]} end
local holder = redis.call('GET', KEYS[2])
if holder then return {'held', holder} end
local doc = ARGV[1]
local previous = redis.call('GET', KEYS[4])
if previous then doc = string.sub(doc, 1, -2) .. ',"previousVersion":' .. cjson.encode(previous) .. '}' end
redis.call('HSET', KEYS[1], 'rev', '0', 'doc', doc, 'state', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2])
if #ARGV > 7 then redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[7], '*', unpack(ARGV, 8)) end
return {'created', previous}
`;

/*
 * KEYS: the record, the active id, the last success, the successes, the
 * versions withdrawn, the last ended, the versions passed, the versions in
 * trouble, the records, the deployment record, the lock. ARGV: the revision
 * read, the new one, the document, '1' to release the active id, id, the
 * version of a new success, the version its rollback leaves, state, '1' when
 * it touched the running system, the history's two fields and values, the
 * deployment record's four (records.ts), '1' to claim the active id, '1' to
 * refuse while locked. Answers -2 when written, -1 when there is no record,
 * the stored revision when stale, the holder's id when the active id it
 * claims is held by another, and {'locked', the lock} when refused for a lock.
 */
const COMPARE_AND_SET = `
local current = redis.call('HGET', KEYS[1], 'rev')
if not current then return -1 end
if current ~= ARGV[1] then return tonumber(current) end
if ARGV[19] == '1' then
  local lock = redis.call('GET', KEYS[11])
  if lock then return {'locked', lock} end
end
if ARGV[18] == '1' then
  local holder = redis.call('GET', KEYS[2])
  if holder and holder ~= ARGV[5] then return holder end
  redis.call('SET', KEYS[2], ARGV[5])
end
local was = redis.call('HGET', KEYS[1], 'state')
redis.call('HSET', KEYS[1], 'rev', ARGV[2], 'doc', ARGV[3], 'state', ARGV[8])
if ARGV[4] == '1' and redis.call('GET', KEYS[2]) == ARGV[5] then
  redis.call('DEL', KEYS[2])
  if ARGV[9] == '1' then redis.call('SET', KEYS[6], ARGV[5]) end
end
if ARGV[6] ~= '' and was ~= 'succeeded' then
  redis.call('SET', KEYS[3], ARGV[6])
  redis.call('LPUSH', KEYS[4], ARGV[6])
  redis.call('LTRIM', KEYS[4], 0, 49)
  redis.call('SREM', KEYS[5], ARGV[6])
  if ARGV[7] ~= '' then redis.call('SADD', KEYS[5], ARGV[7]) end
end
if was ~= ARGV[8] then
  if ARGV[10] ~= '' then redis.call('HSET', KEYS[7], ARGV[10], ARGV[11]) end
  if ARGV[12] ~= '' then redis.call('HSET', KEYS[8], ARGV[12], ARGV[13]) end
end
if ARGV[14] ~= '' then
${WRITE_RECORD}
end
return -2
`;

/** Raises the revision Slack last showed, never lowers it; nothing for a deployment that does not exist. */
const MARK_RENDERED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local shown = tonumber(redis.call('HGET', KEYS[1], 'rendered') or '-1')
if tonumber(ARGV[1]) > shown then redis.call('HSET', KEYS[1], 'rendered', ARGV[1]) end
return 1
`;

export class StaleWriteError extends SlipwayError {
  constructor(
    readonly deploymentId: string,
    readonly expectedRev: number,
    readonly actualRev: number,
  ) {
    super(
      "stale_write",
      `deployment ${deploymentId} was changed by someone else (expected revision ${expectedRev}, found ${actualRev})`,
    );
  }
}

/** A write that would have its deployment hold the service and environment while another one holds them. */
export class EnvironmentHeldError extends SlipwayError {
  constructor(
    readonly deploymentId: string,
    readonly holderId: string,
  ) {
    super("environment_held", `deployment ${deploymentId} cannot hold its environment: ${holderId} holds it`);
  }
}

/** A write asked to be refused while its service and environment are locked (`save`'s `unlessLocked`), and they are. */
export class LockedError extends SlipwayError {
  constructor(
    readonly deploymentId: string,
    readonly lock: Lock,
  ) {
    super("locked", `deployment ${deploymentId} was not written: ${lock.service} ${lock.environment} is locked`);
  }
}

export class DeploymentNotFoundError extends SlipwayError {
  constructor(readonly deploymentId: string) {
    super("deployment_not_found", `no deployment with id ${deploymentId}`);
  }
}

/** Recorded, with the version it replaces (the last success there) filled in; or held by another deployment. */
export type PlainCreateResult =
  | { readonly ok: true; readonly deployment: Deployment }
  /** Another deployment is active there (or this id was recorded before: held by itself). */
  | { readonly ok: false; readonly heldBy: string };

export type CreateResult =
  | PlainCreateResult
  /** The service and environment are locked (only when asked to respect locks). */
  | { readonly ok: false; readonly locked: Lock }
  /** The trigger id was seen before: a repeat of a request already handled. */
  | { readonly ok: false; readonly repeated: true };

export interface CreateOptions {
  /** A slash command's trigger id: a second create with it within Slack's replay window is refused as `repeated`. */
  readonly once?: string;
  /** Refuse while the service and environment are locked. */
  readonly respectLock?: boolean;
  /** Written to the service's audit log with the record (auditFields), only when it is recorded. */
  readonly audit?: readonly string[];
}

/** How long a write waits for replicas while they have not been confirming. */
const UNREPLICATED_TIMEOUT_MS = 20;

/** How many ids' services a store remembers (the oldest forgotten first). */
const REMEMBERED_IDS = 10_000;

/** Deployment records read at once by `endedBefore`. */
const ENDED_PAGE = 20;

export interface DeploymentStoreOptions {
  /**
   * Replicas that must hold each write before it counts (Redis `WAIT`):
   * 1 behind Sentinel, so that a failover, which promotes a replica, keeps
   * every record and step completion Slipway has acted on. @default 0
   */
  readonly replicas?: number;
  /** How long a write waits for its replicas. @default 1000 */
  readonly replicaTimeoutMs?: number;
  /**
   * Told when a write is not confirmed by enough replicas in time (a replica
   * down or far behind, or none left after a failover). Slipway goes on
   * rather than stall every deployment on a lost replica: until a write is
   * confirmed again, writes wait only briefly, and are as safe as Redis's
   * asynchronous replication.
   */
  readonly onUnreplicated?: (deploymentId: string, confirmedBy: number) => void;
  /** Deployment records kept per service and environment; older ones are dropped as new ones are written. @default 1000 */
  readonly keepRecords?: number;
}

export class DeploymentStore {
  private readonly k: Keys;
  private readonly replicas: number;
  private readonly replicaTimeoutMs: number;
  private readonly onUnreplicated: (deploymentId: string, confirmedBy: number) => void;
  /** Whether the last write went unconfirmed. */
  private unreplicated = false;
  /** Deployment id → its service, as far as this process has looked them up. */
  private readonly services = new Map<string, string>();
  private readonly createScript: RedisScript;
  private readonly compareAndSet: RedisScript;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly options: DeploymentStoreOptions = {},
  ) {
    this.k = keys(prefix);
    this.replicas = options.replicas ?? 0;
    this.replicaTimeoutMs = options.replicaTimeoutMs ?? 1_000;
    this.onUnreplicated = options.onUnreplicated ?? (() => undefined);
    this.createScript = defineScript(redis, "slipwayCreateDeployment", 6, CREATE);
    this.compareAndSet = defineScript(redis, "slipwayCompareAndSetDeployment", 11, COMPARE_AND_SET);
  }

  /** Waits until the replicas hold every write this connection made so far. */
  private async replicated(deploymentId: string): Promise<void> {
    if (this.replicas === 0) return;
    const timeoutMs = this.unreplicated ? UNREPLICATED_TIMEOUT_MS : this.replicaTimeoutMs;
    const confirmedBy = await this.redis.wait(this.replicas, timeoutMs);
    const unreplicated = confirmedBy < this.replicas;
    if (unreplicated && !this.unreplicated) this.onUnreplicated(deploymentId, confirmedBy);
    this.unreplicated = unreplicated;
  }

  /**
   * Stores a new deployment unless another one is active for the same
   * service and environment; a deployment whose id is already stored is
   * never made again (answered as held by itself). Its `previousVersion` is
   * the last success there, read in the same script. One round trip: the
   * id's service and the index entry are sent with the script (a lone
   * server runs them in that order, so an index entry may lack its record,
   * which readers skip, but never the other way round).
   */
  async create(deployment: Deployment): Promise<PlainCreateResult>;
  async create(deployment: Deployment, options: CreateOptions): Promise<CreateResult>;
  async create(deployment: Deployment, options: CreateOptions = {}): Promise<CreateResult> {
    const { id, service, environment } = deployment;
    const [, , reply] = await Promise.all([
      this.redis.set(this.k.home(id), service),
      this.redis.zadd(this.k.deploymentIndex, String(deployment.createdAt), id),
      this.createScript(
        [
          this.k.deployment(service, id),
          this.k.active(service, environment),
          this.k.lock(service, environment),
          this.k.lastSucceeded(service, environment),
          this.k.audit(service),
          this.k.seenFor(service, options.once ?? ""),
        ],
        [
          JSON.stringify({ ...deployment, previousVersion: undefined, rev: 0 }),
          id,
          deployment.state,
          options.once ?? "",
          REMEMBER_TRIGGER_MS,
          options.respectLock ? "1" : "0",
          MAX_AUDIT_ENTRIES,
          ...(options.audit ?? []),
        ],
      ),
    ]);
    const [outcome, value] = reply as [string, string | null | undefined];
    if (outcome !== "created") {
      // Held by this very id: a second start of the same waiting deployment, whose record this is.
      if (outcome !== "held" || value !== id) {
        await Promise.all([this.redis.del(this.k.home(id)), this.redis.zrem(this.k.deploymentIndex, id)]);
      }
      if (outcome === "repeated") return { ok: false, repeated: true };
      if (outcome === "locked") return { ok: false, locked: JSON.parse(value ?? "null") as Lock };
      return { ok: false, heldBy: value ?? "" };
    }
    this.remember(id, service);
    await this.replicated(id);
    const { previousVersion: _, ...rest } = deployment;
    return { ok: true, deployment: { ...rest, rev: 0, ...(value ? { previousVersion: value } : {}) } };
  }

  async get(id: string): Promise<Deployment | undefined> {
    const service = await this.serviceOf(id);
    if (service === undefined) return undefined;
    const [rev, doc] = await this.redis.hmget(this.k.deployment(service, id), "rev", "doc");
    if (rev === null || rev === undefined || doc === null || doc === undefined) return undefined;
    return { ...(JSON.parse(doc) as Deployment), rev: Number(rev) };
  }

  async require(id: string): Promise<Deployment> {
    const deployment = await this.get(id);
    if (!deployment) throw new DeploymentNotFoundError(id);
    return deployment;
  }

  /**
   * Writes `next` if the stored revision is still `next.rev` (the revision it
   * was read at). Returns the stored record with its new revision; throws
   * StaleWriteError when someone wrote in between. An ended deployment that
   * holds its environment again (a restore after its end) claims the active
   * key, and throws EnvironmentHeldError while another deployment has it.
   * With `unlessLocked`, throws LockedError while the service and
   * environment are locked, read in the same step as the revision.
   */
  async save(next: Deployment, options: { readonly unlessLocked?: boolean } = {}): Promise<Deployment> {
    const written: Deployment = { ...next, rev: next.rev + 1 };
    const ended = isFinal(next.state);
    const holds = holdsEnvironment(next);
    const result = (await this.compareAndSet(
      [
        this.k.deployment(next.service, next.id),
        this.k.active(next.service, next.environment),
        this.k.lastSucceeded(next.service, next.environment),
        this.k.successes(next.service, next.environment),
        this.k.withdrawn(next.service, next.environment),
        this.k.lastEnded(next.service, next.environment),
        this.k.passed(next.service, next.environment),
        this.k.trouble(next.service, next.environment),
        this.k.records(next.service, next.environment),
        this.k.record(next.service, next.id),
        this.k.lock(next.service, next.environment),
      ],
      [
        String(next.rev),
        String(written.rev),
        JSON.stringify(written),
        holds ? "0" : "1",
        next.id,
        next.state === "succeeded" ? next.version : "",
        next.state === "succeeded" ? (next.rollbackOf ?? "") : "",
        next.state,
        touchedTraffic(next) ? "1" : "0",
        ...historyArgs(next),
        ended ? JSON.stringify(recordOf(written)) : "",
        String(written.finishedAt ?? written.updatedAt),
        String(this.options.keepRecords ?? DEFAULT_KEEP_RECORDS),
        this.k.recordPrefix(next.service),
        ended && holds ? "1" : "0",
        options.unlessLocked ? "1" : "0",
      ],
    )) as number | string | [string, string];
    if (Array.isArray(result)) throw new LockedError(next.id, JSON.parse(result[1]) as Lock);
    if (typeof result === "string") throw new EnvironmentHeldError(next.id, result);
    if (result === -2) {
      await this.replicated(next.id);
      return written;
    }
    if (result === -1) throw new DeploymentNotFoundError(next.id);
    throw new StaleWriteError(next.id, next.rev, result);
  }

  private async serviceOf(id: string): Promise<string | undefined> {
    const known = this.services.get(id);
    if (known !== undefined) return known;
    const service = await this.redis.get(this.k.home(id));
    if (service !== null) this.remember(id, service);
    return service ?? undefined;
  }

  private remember(id: string, service: string): void {
    if (this.services.size >= REMEMBERED_IDS) {
      const oldest = this.services.keys().next();
      if (!oldest.done) this.services.delete(oldest.value);
    }
    this.services.set(id, service);
  }

  /** The id of the deployment currently active for a service and environment, if any. */
  async activeFor(service: string, environment: string): Promise<string | undefined> {
    return (await this.redis.get(this.k.active(service, environment))) ?? undefined;
  }

  /** The last deployment of this service and environment that touched the running system and then ended. */
  async lastEnded(service: string, environment: string): Promise<Deployment | undefined> {
    const id = await this.redis.get(this.k.lastEnded(service, environment));
    return id === null ? undefined : this.get(id);
  }

  /**
   * The deployments of this service and environment that ended at or before
   * `at`, newest first, as their deployment records list them (so only as
   * far back as records are kept), read a page at a time as they are wanted.
   */
  async *endedBefore(service: string, environment: string, at: number): AsyncGenerator<Deployment> {
    const key = this.k.records(service, environment);
    for (let offset = 0; ; offset += ENDED_PAGE) {
      const ids = await this.redis.zrevrangebyscore(key, at, "-inf", "LIMIT", offset, ENDED_PAGE);
      for (const id of ids) {
        const d = await this.get(id);
        if (d) yield d;
      }
      if (ids.length < ENDED_PAGE) return;
    }
  }

  /** The version of the last deployment that succeeded in this service and environment. */
  async lastSucceeded(service: string, environment: string): Promise<string | undefined> {
    return (await this.redis.get(this.k.lastSucceeded(service, environment))) ?? undefined;
  }

  /**
   * Versions that succeeded here, newest first (at most 50), without those a
   * rollback has since taken the environment away from.
   */
  async goodVersions(service: string, environment: string): Promise<string[]> {
    const [versions, withdrawn] = await Promise.all([
      this.redis.lrange(this.k.successes(service, environment), 0, -1),
      this.redis.smembers(this.k.withdrawn(service, environment)),
    ]);
    return [...new Set(versions)].filter((v) => !withdrawn.includes(v));
  }

  /**
   * Records that the deployment's Slack messages now show revision `rev`
   * (kept beside the record, so it never competes with its compare-and-set).
   */
  async markRendered(id: string, rev: number): Promise<void> {
    const service = await this.serviceOf(id);
    if (service === undefined) return;
    await this.redis.eval(MARK_RENDERED, 1, this.k.deployment(service, id), String(rev));
  }

  /** The revision each deployment's Slack messages last showed in full; -1 for one never shown. */
  async renderedRevs(ids: readonly string[]): Promise<number[]> {
    // One command per record (records of different services are in different cluster slots).
    return Promise.all(
      ids.map(async (id) => {
        const service = await this.serviceOf(id);
        const value = service === undefined ? null : await this.redis.hget(this.k.deployment(service, id), "rendered");
        return value === null ? -1 : Number(value);
      }),
    );
  }

  /** When `version` last passed in this service and environment, and when it last failed or was rolled back there. */
  async versionHistory(service: string, environment: string, version: string): Promise<VersionHistory> {
    const [passed, trouble] = await Promise.all([
      this.redis.hget(this.k.passed(service, environment), version),
      this.redis.hget(this.k.trouble(service, environment), version),
    ]);
    const [troubleAt, how] = (trouble ?? "").split(":");
    return {
      ...(passed ? { passedAt: Number(passed) } : {}),
      ...(trouble && (how === "failed" || how === "rolled_back") ? { trouble: { at: Number(troubleAt), how } } : {}),
    };
  }

  /** The record of the deployment that last passed `version` here, while it is kept. */
  async passedRecord(service: string, environment: string, version: string): Promise<DeploymentRecord | undefined> {
    const passedAt = await this.redis.hget(this.k.passed(service, environment), version);
    if (passedAt === null) return undefined;
    // A record's score is when it ended, and so is the version's pass.
    const ids = await this.redis.zrangebyscore(this.k.records(service, environment), passedAt, passedAt);
    const docs = await Promise.all(ids.map((id) => this.redis.get(this.k.record(service, id))));
    return docs
      .flatMap((doc) => (doc === null ? [] : [JSON.parse(doc) as DeploymentRecord]))
      .find((r) => r.version === version && r.state === "succeeded");
  }

  /** Most recent deployments first. */
  async recent(limit: number): Promise<Deployment[]> {
    const ids = await this.redis.zrevrange(this.k.deploymentIndex, 0, limit - 1);
    const found = await Promise.all(ids.map((id) => this.get(id)));
    return found.filter((d): d is Deployment => d !== undefined);
  }
}

/**
 * The version history a write adds once the deployment reaches its state:
 * a success passes its version (and, for a /rollback, troubles the version
 * it left); a failure or rollback after a stage ran troubles its version.
 */
function historyArgs(d: Deployment): [string, string, string, string] {
  const at = String(d.finishedAt ?? d.updatedAt);
  switch (d.state) {
    case "succeeded":
      return [d.version, at, d.rollbackOf ?? "", d.rollbackOf ? `${at}:rolled_back` : ""];
    case "failed":
    case "rolled_back": {
      const ran = d.stages.some((s) => s.status !== "pending");
      return ["", "", ran ? d.version : "", ran ? `${at}:${d.state}` : ""];
    }
    default:
      return ["", "", "", ""];
  }
}
