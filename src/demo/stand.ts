import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { type RunningSlipway, startSlipway } from "../runtime.js";
import { FakeSlack } from "../standin/fake-slack.js";
import { deleteKeys } from "../store/delete-keys.js";
import { connectRedis, whenReady } from "../store/redis.js";
import type { DemoWorkspace } from "./workspace.js";

const SIGNING_SECRET = "demo-signing-secret";
const BOT_TOKEN = "xoxb-demo-token";

/** Slipway and its Slack stand-in on this machine, for one demo run. */
export interface DemoStand {
  readonly slack: FakeSlack;
  readonly slipway: RunningSlipway;
  readonly logFile: string;
  close(): Promise<void>;
}

export interface StandOptions {
  readonly redisUrl: string;
  readonly manifestsDir: string;
  readonly workspace: DemoWorkspace;
  /** Every line Slipway logs, parsed, as it is written (the log file keeps them all). */
  readonly onLog?: (line: { msg?: string; [key: string]: unknown }) => void;
  /** More variables for the example targets (the router's URL…). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Answers whether Redis answers at `url` (one server, Sentinels or a cluster) within a second and a half. */
export async function redisAnswers(url: string): Promise<boolean> {
  const probe = connectRedis(url, "producer");
  probe.on("error", () => undefined);
  try {
    await whenReady(probe, url, 1_500);
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * Starts the stand-in with the manifests' people and channels, then Slipway
 * (`all`, HTTP mode) against it under a key prefix of its own, logging to a
 * file. `close()` stops both and deletes the run's keys.
 */
export async function startStand(options: StandOptions): Promise<DemoStand> {
  const keyPrefix = `slipway-demo-${randomBytes(3).toString("hex")}`;
  const logFile = join(await mkdtemp(join(tmpdir(), "slipway-demo-")), "slipway.log");
  process.env.SLIPWAY_EXAMPLE_STATE ??= join(logFile, "..", "example-state");
  process.env.SLIPWAY_EXAMPLE_DELAY_MS ??= "600";
  for (const [name, value] of Object.entries(options.env ?? {})) process.env[name] = value;
  const slack = await FakeSlack.start({
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    channels: options.workspace.channels,
    users: options.workspace.users,
  });
  const config = loadConfig({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    REDIS_URL: options.redisUrl,
    PORT: "0",
    SLIPWAY_KEY_PREFIX: keyPrefix,
    SLIPWAY_MANIFESTS: options.manifestsDir,
    LOG_LEVEL: "info",
  });
  const file = pino.destination({ dest: logFile, sync: false });
  const onLog = options.onLog;
  const destination = onLog
    ? new Writable({
        write(chunk: Buffer, _encoding, done) {
          file.write(chunk.toString("utf8"));
          for (const line of chunk.toString("utf8").split("\n")) {
            if (line.trim() !== "") onLog(JSON.parse(line) as { msg?: string });
          }
          done();
        },
      })
    : file;
  const log = createLogger(config.logLevel, destination);
  let slipway: RunningSlipway;
  try {
    slipway = await startSlipway(config, "all", log);
  } catch (error) {
    await slack.close();
    throw error;
  }
  slack.setEventsUrl(`http://127.0.0.1:${slipway.port}/slack/events`);
  return {
    slack,
    slipway,
    logFile,
    async close() {
      await slipway.close(5_000);
      const cleaner = connectRedis(options.redisUrl, "worker");
      await deleteKeys(cleaner, keyPrefix);
      cleaner.disconnect();
      await slack.close();
    },
  };
}
