import type { DeploymentRecord } from "../domain/deployment-record.js";
import { type Keys, keys } from "./keys.js";
import type { RedisClient } from "./redis.js";

/*
 * Deployment records: one JSON string per ended deployment, and per service
 * and environment a sorted set of their ids by end time. The write is a
 * fragment of the deployment store's compare-and-set script (KEYS[9] the
 * sorted set, KEYS[10] the record; ARGV[14] the record, ARGV[15] its end
 * time, ARGV[16] how many to keep, ARGV[17] the record key prefix), so a
 * deployment and its record never disagree, and writing one costs a fixed
 * handful of commands: SET, ZADD and, when the set has grown past the limit,
 * one ZPOPMIN and DEL of the oldest. Records survive restarts with Redis's
 * AOF like everything else Slipway keeps.
 */

export const DEFAULT_KEEP_RECORDS = 1_000;

export const WRITE_RECORD = `
  redis.call('SET', KEYS[10], ARGV[14])
  if redis.call('ZADD', KEYS[9], ARGV[15], ARGV[5]) == 1 then
    local over = redis.call('ZCARD', KEYS[9]) - tonumber(ARGV[16])
    if over > 0 then
      local dropped = redis.call('ZPOPMIN', KEYS[9], over)
      for i = 1, #dropped, 2 do redis.call('DEL', ARGV[17] .. dropped[i]) end
    end
  end
`;

/** A service and environment whose records are read together. */
export interface Scope {
  readonly service: string;
  readonly environment: string;
}

export interface RecordPage {
  readonly records: DeploymentRecord[];
  /** Whether older records follow this page. */
  readonly more: boolean;
}

export class RecordStore {
  private readonly k: Keys;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.k = keys(prefix);
  }

  async get(service: string, id: string): Promise<DeploymentRecord | undefined> {
    const doc = await this.redis.get(this.k.record(service, id));
    return doc === null ? undefined : (JSON.parse(doc) as DeploymentRecord);
  }

  private async load(entries: readonly { service: string; id: string }[]): Promise<DeploymentRecord[]> {
    if (entries.length === 0) return [];
    // One GET each: records of different services live in different slots of a cluster.
    const docs = await Promise.all(entries.map((e) => this.redis.get(this.k.record(e.service, e.id))));
    return docs.flatMap((doc) => (doc === null ? [] : [JSON.parse(doc) as DeploymentRecord]));
  }

  /** Records of these scopes, newest first, skipping `offset`, at most `limit`. */
  async newest(scopes: readonly Scope[], offset: number, limit: number): Promise<RecordPage> {
    const wanted = offset + limit;
    const perScope = await Promise.all(
      scopes.map(async (s) => {
        const key = this.k.records(s.service, s.environment);
        const [flat, total] = await Promise.all([
          this.redis.zrevrange(key, 0, wanted - 1, "WITHSCORES"),
          this.redis.zcard(key),
        ]);
        const entries: { service: string; id: string; at: number }[] = [];
        for (let i = 0; i + 1 < flat.length; i += 2) {
          entries.push({ service: s.service, id: flat[i] ?? "", at: Number(flat[i + 1]) });
        }
        return { entries, total };
      }),
    );
    const merged = perScope
      .flatMap((s) => s.entries)
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
      .slice(offset, wanted);
    const total = perScope.reduce((sum, s) => sum + s.total, 0);
    return { records: await this.load(merged), more: total > wanted };
  }

  /** Every record of one scope that ended at or after `from`, oldest first. */
  async since(scope: Scope, from: number): Promise<DeploymentRecord[]> {
    const ids = await this.redis.zrangebyscore(this.k.records(scope.service, scope.environment), from, "+inf");
    return this.load(ids.map((id) => ({ service: scope.service, id })));
  }
}
