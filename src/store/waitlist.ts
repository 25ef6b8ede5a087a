import type { Actor } from "../domain/actor.js";
import type { FlagRequest } from "../domain/command-grammar.js";
import type { PushedCommit } from "../domain/git-push.js";
import type { Strategy } from "../domain/strategy.js";
import type { AuditVia } from "./audit-log.js";
import { type Keys, keys } from "./keys.js";
import type { RedisClient } from "./redis.js";

/*
 * Deployments waiting to start, per service and environment: queued behind
 * the active deployment there, or scheduled for the opening of the next
 * deployment window. The line lives in Redis (a sorted set of ids by their
 * place, and a hash of the entries, in the service's slot), so it outlives
 * any process. Adding and removing are single scripts: an entry is taken
 * out by exactly one caller, and a push that replaces the pushes still
 * waiting does so in the same step as it joins the line.
 *
 * Each entry carries the deployment id it will start as, so starting it a
 * second time (two workers, a retried job) finds that deployment already
 * there instead of making another.
 */

/** What was asked for, as the request named it. */
export interface WaitingRequest {
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly strategy?: Strategy;
  readonly flag?: FlagRequest;
  readonly hotfix: boolean;
  readonly sensitive?: boolean;
  readonly push?: PushedCommit;
}

export interface WaitingDeployment {
  /** The deployment id it starts as. */
  readonly id: string;
  readonly request: WaitingRequest;
  readonly actor: Actor;
  /** The surface it was asked through, for the audit log of its start. */
  readonly via: AuditVia;
  readonly queuedAt: number;
  /** The deployment it was queued behind. */
  readonly behind?: string;
  /** When it may start: the opening of the window it was scheduled for. */
  readonly notBefore?: number;
}

/**
 * Adds ARGV[1] (id) with ARGV[2] (JSON) at the end of the line. With
 * ARGV[3] = '1', first takes out every waiting entry that a push asked
 * for, and answers their JSON.
 */
const ADD = `
local removed = {}
if ARGV[3] == '1' then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    local json = redis.call('HGET', KEYS[2], id)
    if json and cjson.decode(json).actor.kind == 'push' then
      redis.call('ZREM', KEYS[1], id)
      redis.call('HDEL', KEYS[2], id)
      table.insert(removed, json)
    end
  end
end
local place = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[1], place, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return removed
`;

/** Replaces entry ARGV[1] by ARGV[3] if it still is ARGV[2]; answers 1 when it did. */
const REPLACE = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`;

/** Takes entry ARGV[1] out of the line; answers its JSON, or nothing when it was not there. */
const REMOVE = `
local json = redis.call('HGET', KEYS[2], ARGV[1])
if not json then return false end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return json
`;

export class Waitlist {
  private readonly k: Keys;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.k = keys(prefix);
  }

  /**
   * Puts a deployment at the end of its line. `replacePushes` first takes out
   * the ones a push asked for (answered, so they can be told), for a push
   * that makes the older ones pointless.
   */
  async add(entry: WaitingDeployment, replacePushes: boolean): Promise<{ replaced: WaitingDeployment[] }> {
    const { service, environment } = entry.request;
    const removed = (await this.redis.eval(
      ADD,
      3,
      this.k.waiting(service, environment),
      this.k.waitingEntries(service, environment),
      this.k.waitingPlace(service),
      entry.id,
      JSON.stringify(entry),
      replacePushes ? "1" : "0",
    )) as string[];
    return { replaced: removed.map((json) => JSON.parse(json) as WaitingDeployment) };
  }

  /** The line of a service and environment, first in line first. */
  async line(service: string, environment: string): Promise<WaitingDeployment[]> {
    const ids = await this.redis.zrange(this.k.waiting(service, environment), "0", "-1");
    if (ids.length === 0) return [];
    const found = await this.redis.hmget(this.k.waitingEntries(service, environment), ...ids);
    return found.flatMap((json) => (json ? [JSON.parse(json) as WaitingDeployment] : []));
  }

  /**
   * Keeps an entry in its place in line but has it wait until `notBefore`:
   * answers it as it now is when this call moved it, undefined when the
   * entry was no longer there as read (taken out, or moved by another call).
   */
  async reschedule(entry: WaitingDeployment, notBefore: number): Promise<WaitingDeployment | undefined> {
    const { behind: _queuedBehind, ...rest } = entry;
    const moved: WaitingDeployment = { ...rest, notBefore };
    const { service, environment } = entry.request;
    const replaced = (await this.redis.eval(
      REPLACE,
      1,
      this.k.waitingEntries(service, environment),
      entry.id,
      JSON.stringify(entry),
      JSON.stringify(moved),
    )) as number;
    return replaced === 1 ? moved : undefined;
  }

  /** Takes an entry out of its line: answers it when this call took it, undefined when it was not (or no longer) there. */
  async remove(service: string, environment: string, id: string): Promise<WaitingDeployment | undefined> {
    const json = (await this.redis.eval(
      REMOVE,
      2,
      this.k.waiting(service, environment),
      this.k.waitingEntries(service, environment),
      id,
    )) as string | null;
    return json ? (JSON.parse(json) as WaitingDeployment) : undefined;
  }
}
