// Shared helpers for the example service's scripts: the deployment context
// Slipway passes in environment variables, an optional delay, and a ledger
// that makes side effects happen once per idempotency key.
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export function context(env = process.env) {
  return {
    service: env.SLIPWAY_SERVICE ?? "example",
    environment: env.SLIPWAY_ENVIRONMENT ?? "development",
    version: env.SLIPWAY_VERSION ?? "v0.0.0",
    deploymentId: env.SLIPWAY_DEPLOYMENT_ID ?? "manual",
    stage: env.SLIPWAY_STAGE ?? "manual",
    idempotencyKey: env.SLIPWAY_IDEMPOTENCY_KEY,
  };
}

export function stateDir(env = process.env) {
  return env.SLIPWAY_EXAMPLE_STATE || join(tmpdir(), ".slipway-example");
}

export function ledgerFile(env = process.env) {
  return join(stateDir(env), "ledger.jsonl");
}

/** Waits SLIPWAY_EXAMPLE_DELAY_MS (default 0) so stages take visible time. */
export async function pause(env = process.env) {
  const ms = Number(env.SLIPWAY_EXAMPLE_DELAY_MS ?? 0);
  if (Number.isFinite(ms) && ms > 0) await sleep(ms);
}

export function readLedger(env = process.env) {
  let text;
  try {
    text = readFileSync(ledgerFile(env), "utf8");
  } catch (error) {
    if (error.code === "ENOENT") return [];
    throw error;
  }
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}

/**
 * Runs `work` once per idempotency key and action. A repeat call with the same
 * key prints "already done" and changes nothing; a completed call appends
 * {key, action, at} to the ledger, plus any fields `work` returns.
 */
export async function once(action, work, env = process.env) {
  const ctx = context(env);
  const key = ctx.idempotencyKey;
  if (!key) {
    console.error(`error: SLIPWAY_IDEMPOTENCY_KEY is not set; ${action} refuses to run without one`);
    process.exit(2);
  }
  const done = readLedger(env).find((entry) => entry.key === key && entry.action === action);
  if (done) {
    console.log(`already done: ${action} for key ${key} at ${done.at}; nothing changed`);
    return;
  }
  const extra = await work(ctx);
  mkdirSync(stateDir(env), { recursive: true });
  const entry = {
    key,
    action,
    at: new Date().toISOString(),
    service: ctx.service,
    environment: ctx.environment,
    version: ctx.version,
    ...extra,
  };
  appendFileSync(ledgerFile(env), `${JSON.stringify(entry)}\n`);
}

/** The version last deployed to this service and environment, from the ledger. */
export function currentVersion(ctx, env = process.env) {
  const deploys = readLedger(env).filter(
    (entry) =>
      (entry.action === "deploy" || entry.action === "rollback") &&
      entry.service === ctx.service &&
      entry.environment === ctx.environment,
  );
  return deploys.at(-1)?.version;
}
