import { z } from "zod";
import { WATCHDOG_TIMING, type WatchdogTiming } from "./engine/watchdog-timing.js";
import { parseRedisUrl } from "./store/redis-url.js";

/** Every environment variable Slipway reads, in one place. */
/**
 * A whole number from `min` to `max` (`unit` names what it counts, if
 * anything), `fallback` when unset; out of range or not a number, it is
 * refused saying what it takes.
 */
function inRange(name: string, unit: string, min: number, max: number, fallback: number) {
  return z.coerce
    .number({ error: `${name} must be a whole number${unit === "" ? "" : ` of ${unit}`} from ${min} to ${max}` })
    .int()
    .min(min)
    .max(max)
    .default(fallback);
}

export const ENV_KEYS = {
  botToken: "SLACK_BOT_TOKEN",
  signingSecret: "SLACK_SIGNING_SECRET",
  appToken: "SLACK_APP_TOKEN",
  slackApiUrl: "SLACK_API_URL",
  redisUrl: "REDIS_URL",
  manifests: "SLIPWAY_MANIFESTS",
  port: "PORT",
  logLevel: "LOG_LEVEL",
  role: "SLIPWAY_ROLE",
  workerConcurrency: "SLIPWAY_WORKER_CONCURRENCY",
  keyPrefix: "SLIPWAY_KEY_PREFIX",
  jobLockMs: "SLIPWAY_JOB_LOCK_MS",
  recordsKeep: "SLIPWAY_RECORDS_KEEP",
  watchdogEveryMs: "SLIPWAY_WATCHDOG_EVERY_MS",
  watchdogQuietMs: "SLIPWAY_WATCHDOG_QUIET_MS",
  watchdogGraceMs: "SLIPWAY_WATCHDOG_GRACE_MS",
} as const;

export const ROLES = ["app", "worker", "all"] as const;
export type Role = (typeof ROLES)[number];

const schema = z
  .object({
    [ENV_KEYS.botToken]: z
      .string({ error: "set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) from OAuth & Permissions" })
      .regex(/^xoxb-/, "SLACK_BOT_TOKEN must be a bot token starting with xoxb- (OAuth & Permissions)"),
    [ENV_KEYS.signingSecret]: z
      .string()
      .min(1, "set SLACK_SIGNING_SECRET to the Signing Secret from Basic Information → App Credentials")
      .optional(),
    [ENV_KEYS.appToken]: z
      .string()
      .regex(
        /^xapp-/,
        "SLACK_APP_TOKEN must be an app-level token starting with xapp- (Basic Information → App-Level Tokens, scope connections:write)",
      )
      .optional(),
    [ENV_KEYS.slackApiUrl]: z
      .url({ error: "SLACK_API_URL must be a URL such as https://slack.com/api/" })
      .default("https://slack.com/api/"),
    [ENV_KEYS.redisUrl]: z
      .string()
      .superRefine((url, ctx) => {
        const parsed = parseRedisUrl(url);
        if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.problem });
      })
      .default("redis://127.0.0.1:6379"),
    [ENV_KEYS.manifests]: z.string().min(1).default("manifests/services"),
    [ENV_KEYS.port]: inRange(ENV_KEYS.port, "", 0, 65535, 3000),
    [ENV_KEYS.logLevel]: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
        error: "LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent",
      })
      .default("info"),
    [ENV_KEYS.role]: z.enum(ROLES, { error: "SLIPWAY_ROLE must be app, worker or all" }).default("all"),
    [ENV_KEYS.workerConcurrency]: inRange(ENV_KEYS.workerConcurrency, "", 1, 100, 4),
    [ENV_KEYS.jobLockMs]: inRange(ENV_KEYS.jobLockMs, "milliseconds", 1_000, 600_000, 30_000),
    [ENV_KEYS.recordsKeep]: inRange(ENV_KEYS.recordsKeep, "records", 10, 1_000_000, 1_000),
    [ENV_KEYS.watchdogEveryMs]: inRange(
      ENV_KEYS.watchdogEveryMs,
      "milliseconds",
      1_000,
      600_000,
      WATCHDOG_TIMING.everyMs,
    ),
    [ENV_KEYS.watchdogQuietMs]: inRange(
      ENV_KEYS.watchdogQuietMs,
      "milliseconds",
      1_000,
      3_600_000,
      WATCHDOG_TIMING.quietMs,
    ),
    [ENV_KEYS.watchdogGraceMs]: inRange(
      ENV_KEYS.watchdogGraceMs,
      "milliseconds",
      1_000,
      3_600_000,
      WATCHDOG_TIMING.graceMs,
    ),
    [ENV_KEYS.keyPrefix]: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,40}$/, "SLIPWAY_KEY_PREFIX may hold letters, digits, - and _ (at most 40)")
      .default("slipway"),
  })
  .superRefine((env, ctx) => {
    if (!env[ENV_KEYS.appToken] && !env[ENV_KEYS.signingSecret]) {
      ctx.addIssue({
        code: "custom",
        path: [ENV_KEYS.signingSecret],
        message:
          "set SLACK_SIGNING_SECRET (HTTP mode, from Basic Information → App Credentials) or SLACK_APP_TOKEN (Socket Mode)",
      });
    }
  });

export interface Config {
  readonly botToken: string;
  readonly signingSecret: string | undefined;
  readonly appToken: string | undefined;
  readonly slackApiUrl: string;
  readonly redisUrl: string;
  readonly manifestsDir: string;
  readonly port: number;
  readonly logLevel: string;
  readonly role: Role;
  readonly workerConcurrency: number;
  readonly keyPrefix: string;
  /** How long a worker's hold on a pipeline job lasts without renewal; another worker takes over after it. */
  readonly jobLockMs: number;
  /** Deployment records kept per service and environment; older ones are dropped. */
  readonly recordsKeep: number;
  /** How often the watchdog runs, and how long it lets a deployment be before it acts. */
  readonly watchdog: WatchdogTiming;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Slipway cannot start; fix its environment:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses the environment once at start-up; throws ConfigError listing every problem and its fix. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.values(ENV_KEYS)
      .map((key) => [key, env[key]] as const)
      .filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => issue.message));
  }
  const c = parsed.data;
  return {
    botToken: c[ENV_KEYS.botToken],
    signingSecret: c[ENV_KEYS.signingSecret],
    appToken: c[ENV_KEYS.appToken],
    slackApiUrl: c[ENV_KEYS.slackApiUrl],
    redisUrl: c[ENV_KEYS.redisUrl],
    manifestsDir: c[ENV_KEYS.manifests],
    port: c[ENV_KEYS.port],
    logLevel: c[ENV_KEYS.logLevel],
    role: c[ENV_KEYS.role],
    workerConcurrency: c[ENV_KEYS.workerConcurrency],
    keyPrefix: c[ENV_KEYS.keyPrefix],
    jobLockMs: c[ENV_KEYS.jobLockMs],
    recordsKeep: c[ENV_KEYS.recordsKeep],
    watchdog: {
      everyMs: c[ENV_KEYS.watchdogEveryMs],
      quietMs: c[ENV_KEYS.watchdogQuietMs],
      graceMs: c[ENV_KEYS.watchdogGraceMs],
    },
  };
}
