// Shared helpers for the example service's scripts: the deployment context
// Slipway passes in environment variables, an optional delay, and a ledger
// that makes side effects happen once per idempotency key, by one attempt.
import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
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
    attempt: Number(env.SLIPWAY_ATTEMPT || 1),
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

/*
 * SLIPWAY_ATTEMPT is a fencing token. Slipway starts attempt n+1 of a step
 * only once the worker running attempt n has lost it, but attempt n's process
 * may still be running (its worker frozen past its lock). So every attempt
 * claims the key and action with a lock file of its own, created O_EXCL in
 * locks/ and holding its pid:
 *
 *   - a newer attempt removes the claims of older ones and goes ahead;
 *   - an older attempt refuses once a newer one has claimed the key;
 *   - the same attempt run twice waits while the other's process is alive,
 *     and takes its claim over once that process is gone;
 *   - work is recorded done by renaming the attempt's own claim to the done
 *     file. That fails once a newer attempt has removed the claim, so of two
 *     attempts inside the work at once only the newer one records it; and a
 *     newer attempt that comes after the rename finds the work done.
 */

function lockFiles(key, action, env) {
  const dir = join(stateDir(env), "locks");
  const prefix = `${encodeURIComponent(key)}.${action}.`;
  return {
    dir,
    done: join(dir, `${prefix}done`),
    claim: (attempt) => join(dir, `${prefix}attempt-${attempt}`),
    /** The attempts that hold a claim now. */
    claimed: () =>
      readdirSync(dir).flatMap((name) => {
        const attempt = /^attempt-(\d+)$/.exec(name.slice(prefix.length));
        return name.startsWith(prefix) && attempt ? [Number(attempt[1])] : [];
      }),
  };
}

/** A claim or done file's {attempt, pid}; undefined while it is missing or still being written. */
function readLock(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    if (error.code === "ENOENT" || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/** Creates this attempt's claim; waits while the same attempt runs in a live process, takes over from a dead one. */
async function claim(files, key, attempt) {
  const file = files.claim(attempt);
  let told = false;
  for (;;) {
    try {
      writeFileSync(file, JSON.stringify({ attempt, pid: process.pid }), { flag: "wx" });
      return file;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
    }
    const holder = readLock(file);
    if (holder && !alive(holder.pid)) {
      rmSync(file, { force: true });
      continue;
    }
    if (holder && !told) console.log(`waiting: attempt ${attempt} of ${key} is running in pid ${holder.pid}`);
    told ||= holder !== undefined;
    await sleep(100);
  }
}

function refuse(message, file) {
  if (file) rmSync(file, { force: true });
  console.error(message);
  process.exit(1);
}

/**
 * Runs `work` once per idempotency key and action, in one attempt at a time
 * (see above). A repeat call with the same key prints "already done" and
 * changes nothing; a completed call appends {key, action, attempt, at} to the
 * ledger, plus any fields `work` returns. An attempt that a newer one has
 * superseded exits 1 without recording anything.
 */
export async function once(action, work, env = process.env) {
  const ctx = context(env);
  const { idempotencyKey: key, attempt } = ctx;
  if (!key) {
    console.error(`error: SLIPWAY_IDEMPOTENCY_KEY is not set; ${action} refuses to run without one`);
    process.exit(2);
  }
  if (!Number.isInteger(attempt) || attempt < 1) {
    console.error(`error: SLIPWAY_ATTEMPT must be a whole number from 1, got '${env.SLIPWAY_ATTEMPT}'`);
    process.exit(2);
  }
  const files = lockFiles(key, action, env);
  mkdirSync(files.dir, { recursive: true });
  const mine = await claim(files, key, attempt);
  for (const older of files.claimed().filter((a) => a < attempt)) rmSync(files.claim(older), { force: true });
  const newest = Math.max(0, ...files.claimed());
  if (newest > attempt)
    refuse(`superseded: attempt ${newest} of ${key} has started; attempt ${attempt} does not ${action}`, mine);
  const done = readLock(files.done);
  if (done) {
    rmSync(mine, { force: true });
    console.log(`already done: ${action} for key ${key} by attempt ${done.attempt}; nothing changed`);
    return;
  }

  const extra = await work(ctx);
  try {
    renameSync(mine, files.done);
  } catch (error) {
    if (error.code !== "ENOENT") throw error;
    refuse(`superseded: a newer attempt of ${key} took over while attempt ${attempt} worked; ${action} not recorded`);
  }
  const entry = {
    key,
    action,
    attempt,
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
