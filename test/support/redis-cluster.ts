import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { eventually } from "./eventually.js";
import { PrivateRedis } from "./private-redis.js";

/*
 * A Redis Cluster of one test's own: three masters (`redis-server
 * --cluster-enabled yes`, each on a free port in a temp directory) joined
 * by `redis-cli --cluster create`, the 16384 slots split between them.
 * `start()` resolves once every node reports the cluster ok.
 */

const run = promisify(execFile);

export class RedisCluster {
  private constructor(readonly nodes: PrivateRedis[]) {}

  static async start(masters = 3): Promise<RedisCluster> {
    const nodes: PrivateRedis[] = [];
    const cluster = new RedisCluster(nodes);
    try {
      for (let i = 0; i < masters; i += 1) {
        nodes.push(
          await PrivateRedis.start({
            appendonly: true,
            args: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"],
          }),
        );
      }
      await run(
        "redis-cli",
        ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "0", "--cluster-yes"],
        { timeout: 60_000 },
      );
      await Promise.all(
        nodes.map(async (node) => {
          const client = node.client();
          try {
            await eventually(
              `cluster node ${node.port} to report the cluster ok`,
              async () => /cluster_state:ok/.test((await client.call("CLUSTER", "INFO")) as string),
              30_000,
              100,
            );
          } finally {
            client.disconnect();
          }
        }),
      );
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** REDIS_URL for Slipway: the cluster's nodes. */
  get url(): string {
    return `redis+cluster://${this.nodes.map((n) => `127.0.0.1:${n.port}`).join(",")}`;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
