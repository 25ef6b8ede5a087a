import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config.js";
import { parseRedisUrl } from "../../../src/store/redis-url.js";

describe("parseRedisUrl", () => {
  it("takes a plain or TLS URL as one server", () => {
    expect(parseRedisUrl("redis://127.0.0.1:6379")).toEqual({
      ok: true,
      target: { kind: "standalone", url: "redis://127.0.0.1:6379" },
    });
    expect(parseRedisUrl("rediss://cache.example:6380/2")).toMatchObject({ ok: true, target: { kind: "standalone" } });
  });

  it("reads the Sentinels, the master group, the database and Redis's own credentials", () => {
    expect(parseRedisUrl("redis+sentinel://:s3cr%40t@10.0.0.1:26379,sentinel-b,[::1]:26380/mymaster/3")).toEqual({
      ok: true,
      target: {
        kind: "sentinel",
        sentinels: [
          { host: "10.0.0.1", port: 26379 },
          { host: "sentinel-b", port: 26379 },
          { host: "::1", port: 26380 },
        ],
        name: "mymaster",
        db: 3,
        password: "s3cr@t",
      },
    });
  });

  it("reads a cluster's nodes, with the default port where none is given", () => {
    expect(parseRedisUrl("redis+cluster://user:pw@10.0.0.1:7000,10.0.0.2")).toEqual({
      ok: true,
      target: {
        kind: "cluster",
        nodes: [
          { host: "10.0.0.1", port: 7000 },
          { host: "10.0.0.2", port: 6379 },
        ],
        username: "user",
        password: "pw",
      },
    });
    const withDb = parseRedisUrl("redis+cluster://10.0.0.1:7000/2");
    expect(withDb.ok ? "accepted" : withDb.problem).toContain("a Redis Cluster has only database 0");
  });

  it("says what is wrong with a Sentinel URL and shows the form that works", () => {
    const problems = [
      "redis+sentinel://h1:26379,h2:26379",
      "redis+sentinel://h1:26379,h2:99999/mymaster",
      "redis+sentinel://h1:26379/mymaster/zero",
      "memcached://h1:11211",
    ].map((url) => {
      const parsed = parseRedisUrl(url);
      return parsed.ok ? "accepted" : parsed.problem;
    });
    expect(problems[0]).toContain("must end with the name of the master group");
    expect(problems[1]).toContain('names "h2:99999" as a Sentinel');
    expect(problems[2]).toContain("the database must be a number");
    expect(problems[3]).toContain("redis+sentinel://host1:26379,host2:26379/mymaster");
    for (const problem of problems) expect(problem).toContain("redis+sentinel://");
  });

  it("is how the configuration checks REDIS_URL", () => {
    const env = { SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s" };
    expect(loadConfig({ ...env, REDIS_URL: "redis+sentinel://a:26379,b:26379/mymaster" }).redisUrl).toBe(
      "redis+sentinel://a:26379,b:26379/mymaster",
    );
    expect(() => loadConfig({ ...env, REDIS_URL: "redis+sentinel://a:26379" })).toThrow(ConfigError);
  });
});
