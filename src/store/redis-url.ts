/*
 * Where Redis is, read from one URL (REDIS_URL) in three forms:
 *
 *   redis://[user:password@]host:6379[/db]        one server (rediss:// for TLS)
 *   redis+sentinel://[user:password@]host1:26379,host2:26379/mymaster[/db]
 *                                                 Sentinels watching the master group `mymaster`;
 *                                                 Slipway asks them where the master is and
 *                                                 follows it when they fail over
 *   redis+cluster://[user:password@]host1:7000,host2:7001
 *                                                 some nodes of a Redis Cluster (the rest are found)
 *
 * The user and password, when given, are Redis's own (the master's, or every
 * cluster node's), never the Sentinels'.
 */

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

interface Credentials {
  readonly username?: string;
  readonly password?: string;
}

export type RedisTarget =
  | { readonly kind: "standalone"; readonly url: string }
  | (Credentials & {
      readonly kind: "sentinel";
      readonly sentinels: readonly RedisNode[];
      readonly name: string;
      readonly db: number;
    })
  | (Credentials & { readonly kind: "cluster"; readonly nodes: readonly RedisNode[] });

export const REDIS_URL_FORMS =
  "redis://host:6379 (rediss:// for TLS), redis+sentinel://host1:26379,host2:26379/mymaster or redis+cluster://host1:7000,host2:7001";

const DEFAULT_PORT = { sentinel: 26379, cluster: 6379 } as const;

/** The Redis that `url` names, or what is wrong with it and the forms that work. */
export function parseRedisUrl(url: string): { ok: true; target: RedisTarget } | { ok: false; problem: string } {
  const scheme = /^([a-z+]+):\/\//.exec(url)?.[1];
  if (scheme === "redis" || scheme === "rediss") return { ok: true, target: { kind: "standalone", url } };
  if (scheme !== "redis+sentinel" && scheme !== "redis+cluster") {
    return { ok: false, problem: `REDIS_URL must look like ${REDIS_URL_FORMS}` };
  }
  const kind = scheme === "redis+sentinel" ? "sentinel" : "cluster";
  const rest = url.slice(scheme.length + 3);
  const at = rest.lastIndexOf("@");
  const credentials = at === -1 ? {} : parseCredentials(rest.slice(0, at));
  const afterAuth = rest.slice(at + 1);
  const slash = afterAuth.indexOf("/");
  const hostList = slash === -1 ? afterAuth : afterAuth.slice(0, slash);
  const path = slash === -1 ? [] : afterAuth.slice(slash + 1).split("/");

  const nodes: RedisNode[] = [];
  for (const entry of hostList.split(",")) {
    const node = parseNode(entry, DEFAULT_PORT[kind]);
    if (!node) {
      return {
        ok: false,
        problem: `REDIS_URL names "${entry}" as a ${kind === "sentinel" ? "Sentinel" : "cluster node"}; give host:port pairs separated by commas, as in ${kind === "sentinel" ? "redis+sentinel://host1:26379,host2:26379/mymaster" : "redis+cluster://host1:7000,host2:7001"}`,
      };
    }
    nodes.push(node);
  }

  if (kind === "cluster") {
    if (path.some((part) => part !== "")) {
      return {
        ok: false,
        problem: "a Redis Cluster has only database 0; REDIS_URL=redis+cluster://… takes no path after the nodes",
      };
    }
    return { ok: true, target: { kind, nodes, ...credentials } };
  }
  const [name = "", dbText = "0", ...extra] = path;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    return {
      ok: false,
      problem:
        "REDIS_URL=redis+sentinel://… must end with the name of the master group the Sentinels monitor, as in redis+sentinel://host1:26379,host2:26379/mymaster",
    };
  }
  if (!/^\d{1,2}$/.test(dbText) || extra.length > 0) {
    return {
      ok: false,
      problem: `REDIS_URL=redis+sentinel://…/${name}/<db>: the database must be a number such as 0, found "${path.slice(1).join("/")}"`,
    };
  }
  return { ok: true, target: { kind, sentinels: nodes, name, db: Number(dbText), ...credentials } };
}

function parseCredentials(userinfo: string): Credentials {
  const colon = userinfo.indexOf(":");
  const username = decodeURIComponent(colon === -1 ? userinfo : userinfo.slice(0, colon));
  const password = colon === -1 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
  return {
    ...(username !== "" ? { username } : {}),
    ...(password !== undefined && password !== "" ? { password } : {}),
  };
}

function parseNode(entry: string, defaultPort: number): RedisNode | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(entry.trim());
  if (!match?.[1]) return undefined;
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1].replace(/^\[|\]$/g, ""), port };
}
