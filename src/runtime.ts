import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import type { Worker } from "bullmq";
import type { Config, Role } from "./config.js";
import { deploymentIdFrom } from "./domain/ids.js";
import { Notifications } from "./engine/notifications.js";
import { startPipelineWorker } from "./engine/pipeline-worker.js";
import { createQueues } from "./engine/queues.js";
import { DEFAULT_STATS_DAYS, deploymentStats } from "./engine/records.js";
import { reconcileSchedules } from "./engine/schedules.js";
import { scheduleWatchdog } from "./engine/watchdog.js";
import { SlipwayError } from "./errors.js";
import { handleGitWebhook } from "./hooks/git-webhook.js";
import { startHttpServer } from "./http-server.js";
import type { Logger } from "./logger.js";
import { Catalog } from "./manifests/catalog.js";
import { loadManifests } from "./manifests/load.js";
import { unsetWebhookSecrets } from "./manifests/webhook-secrets.js";
import { createSlackApp } from "./slack/app.js";
import { Directory } from "./slack/directory.js";
import { startNotifier } from "./slack/notifier.js";
import { Pacer } from "./slack/pacer.js";
import { SlackRefStore } from "./slack/slack-refs.js";
import { createWebClient } from "./slack/web-client.js";
import { AuditLog } from "./store/audit-log.js";
import { DeploymentStore } from "./store/deployment-store.js";
import { keys } from "./store/keys.js";
import { LockStore } from "./store/locks.js";
import { RecordStore } from "./store/records.js";
import { connectRedis, durabilityWarnings, replicasToWaitFor, whenReady } from "./store/redis.js";
import { Waitlist } from "./store/waitlist.js";
import { createTelemetry, registerDoraGauges } from "./telemetry.js";

/**
 * Slack allows about one message a second per channel, with short bursts.
 * The pace keeps a tenth of a second in hand, so calls that travel at
 * different speeds still arrive at Slack inside its limit.
 */
export const SLACK_PACE = { burst: 3, intervalMs: 1_100 } as const;

export interface RunningSlipway {
  readonly port: number;
  /** Stops taking work, lets running stages finish until the deadline, then closes everything. */
  close(deadlineMs: number): Promise<void>;
}

/** Wires Slipway for one role: `app` takes Slack requests, `worker` runs pipelines and notifications, `all` both. */
export async function startSlipway(
  config: Config,
  role: Role,
  log: Logger,
  now: () => number = Date.now,
): Promise<RunningSlipway> {
  const manifests = await loadManifests(config.manifestsDir);
  if (manifests.errors.length > 0) {
    throw new SlipwayError(
      "invalid_manifests",
      `the manifests in ${config.manifestsDir} have errors (run \`slipway validate ${config.manifestsDir}\`):\n${manifests.errors
        .map((e) => `  ${e.file}: ${e.path ? `${e.path}: ` : ""}${e.message}`)
        .join("\n")}`,
    );
  }
  const catalog = new Catalog(manifests.services, process.env);
  log.info({ services: catalog.serviceNames(), role }, "manifests loaded");
  for (const unset of unsetWebhookSecrets(manifests.services, process.env)) {
    log.warn({ file: unset.file, path: unset.path }, unset.message);
  }

  const k = keys(config.keyPrefix);
  const producer = connectRedis(config.redisUrl, "producer");
  const workerConnection = connectRedis(config.redisUrl, "worker");
  producer.on("error", (error) => log.warn({ err: error }, "Redis connection error (producer)"));
  workerConnection.on("error", (error) => log.warn({ err: error }, "Redis connection error (worker)"));
  try {
    await Promise.all([whenReady(producer, config.redisUrl), whenReady(workerConnection, config.redisUrl)]);
  } catch (error) {
    producer.disconnect();
    workerConnection.disconnect();
    throw error;
  }
  for (const warning of await durabilityWarnings(producer)) log.warn({ redis: config.redisUrl }, warning);
  const store = new DeploymentStore(producer, config.keyPrefix, {
    replicas: replicasToWaitFor(config.redisUrl),
    onUnreplicated: (deploymentId, confirmedBy) =>
      log.warn(
        { deploymentId, confirmedBy },
        "no Redis replica confirmed a deployment write in time; until one does, a failover could lose the latest writes",
      ),
    keepRecords: config.recordsKeep,
  });
  const records = new RecordStore(producer, config.keyPrefix);
  const queues = createQueues(producer, config.keyPrefix);
  const notifications = new Notifications(queues.notify, queues.pipeline);
  const audit = new AuditLog(producer, config.keyPrefix);
  const locks = new LockStore(producer, config.keyPrefix);
  const slack = createWebClient(config.botToken, config.slackApiUrl, log);
  const refs = new SlackRefStore(producer, config.keyPrefix);
  const telemetry = createTelemetry();
  registerDoraGauges(telemetry, () => deploymentStats({ records, catalog, now }, { days: DEFAULT_STATS_DAYS }), now);
  const newId = () => deploymentIdFrom(randomBytes(16), now());

  const requestDeps = {
    store,
    locks,
    audit,
    catalog,
    queues,
    notifications,
    waitlist: new Waitlist(producer, config.keyPrefix),
    now,
    newId,
    directory: new Directory(slack, producer, config.keyPrefix),
  };
  const workers: Worker[] = [];
  if (role !== "app") {
    await scheduleWatchdog({ store, catalog, queues, notifications, now }, config.watchdog.everyMs);
    await reconcileSchedules(requestDeps, log.child({ component: "schedules" }));
    workers.push(
      startPipelineWorker({
        connection: workerConnection,
        keyPrefix: config.keyPrefix,
        deps: { ...requestDeps, redis: producer, keyPrefix: config.keyPrefix },
        log: log.child({ component: "pipeline" }),
        concurrency: config.workerConcurrency,
        lockDurationMs: config.jobLockMs,
        watchdog: config.watchdog,
      }),
      startNotifier({
        connection: workerConnection,
        keyPrefix: config.keyPrefix,
        slack,
        store,
        refs,
        pacer: new Pacer(producer, k.pace, SLACK_PACE),
        log: log.child({ component: "notifier" }),
        now,
        lockDurationMs: config.jobLockMs,
      }),
    );
  }

  const slackApp =
    role === "worker"
      ? undefined
      : createSlackApp(
          {
            botToken: config.botToken,
            signingSecret: config.signingSecret,
            appToken: config.appToken,
            slackApiUrl: config.slackApiUrl,
            log: log.child({ component: "slack" }),
            redis: producer,
            keyPrefix: config.keyPrefix,
          },
          {
            ...requestDeps,
            refs,
            records,
            log: log.child({ component: "listeners" }),
          },
        );

  const { server, port } = await startHttpServer({
    port: config.port,
    log,
    telemetry,
    slack: slackApp?.httpListener,
    ...(role === "worker"
      ? {}
      : {
          gitHook: (req) =>
            handleGitWebhook(
              {
                ...requestDeps,
                redis: producer,
                keyPrefix: config.keyPrefix,
                log: log.child({ component: "git-webhook" }),
              },
              req,
            ),
        }),
    readiness: async () => {
      try {
        await producer.ping();
        return { ready: true };
      } catch (error) {
        return { ready: false, reason: `Redis at ${config.redisUrl} does not answer (${(error as Error).message})` };
      }
    },
  });
  await slackApp?.start();
  log.info({ port, role, mode: config.appToken ? "socket" : "http" }, "slipway started");

  return {
    port,
    async close(deadlineMs: number) {
      const closing = (async () => {
        await slackApp?.stop();
        await closeServer(server);
        await Promise.all(workers.map((w) => w.close()));
        await queues.close();
      })();
      const deadline = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), deadlineMs).unref());
      const outcome = await Promise.race([closing.then(() => "closed" as const), deadline]);
      if (outcome === "timeout") {
        log.warn({ deadlineMs }, "shutdown deadline reached; stopping running stages");
        await Promise.all(workers.map((w) => w.close(true).catch(() => undefined)));
      }
      producer.disconnect();
      workerConnection.disconnect();
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
