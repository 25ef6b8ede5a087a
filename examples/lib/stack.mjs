// Helpers for target scripts that drive the example router (SLIPWAY_EXAMPLE_ROUTER):
// its admin API, and starting and stopping service processes behind it.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { terminate, waitForReady } from "./process.mjs";

const SERVER = fileURLToPath(new URL("../service/server.mjs", import.meta.url));

/** The router's admin URL, or undefined when the scripts run without a router. */
export function routerAdmin(env = process.env) {
  return env.SLIPWAY_EXAMPLE_ROUTER || undefined;
}

export function strategy(env = process.env) {
  return env.SLIPWAY_STRATEGY || "all-at-once";
}

export function fail(message) {
  console.error(message);
  process.exit(1);
}

/** Calls the router's admin API; exits 1 with the router's answer if it refuses. */
export async function call(admin, method, path, body) {
  let res;
  try {
    res = await fetch(`${admin}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5000),
    });
  } catch (error) {
    fail(`router at ${admin} did not answer ${method} ${path}: ${error.cause?.code ?? error.message}`);
  }
  const answer = await res.json();
  if (!res.ok) fail(`router refused ${method} ${path}: ${res.status} ${answer.error}`);
  return answer;
}

export function describe(member) {
  return `${member.version} (instance ${member.instance}, port ${member.port}, pid ${member.pid})`;
}

/**
 * Starts a service process that outlives this script but watches `parent`
 * (the router's pid), and resolves with its pool member once it listens.
 */
export async function startService({ version, slot, instance, parent }) {
  const child = spawn(
    process.execPath,
    [SERVER, "--version", version, "--slot", slot, "--instance", String(instance), "--parent", String(parent)],
    { detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  const ready = await waitForReady(child, `${version} instance ${instance}`);
  child.stdout.destroy();
  child.stderr.destroy();
  child.unref();
  const member = { version, port: ready.port, pid: ready.pid, instance, slot };
  console.log(`started ${describe(member)}`);
  return member;
}

export async function stopServices(members) {
  await Promise.all(members.map((member) => terminate(member.pid)));
  for (const member of members) console.log(`stopped ${describe(member)}`);
}

/** GET /healthz of a member: its status code, or 0 when it does not answer. */
export async function health(member) {
  try {
    const res = await fetch(`http://127.0.0.1:${member.port}/healthz`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Checks every member's /healthz, printing one line each; resolves with the ones not answering 200. */
export async function checkHealth(members) {
  const statuses = await Promise.all(members.map(health));
  members.forEach((member, i) => {
    console.log(`GET /healthz ${statuses[i] || "no answer"} from ${describe(member)}`);
  });
  return members.filter((_, i) => statuses[i] !== 200);
}

/**
 * Replaces instance `instance` of the stable pool with a new process running
 * `version` (adds it when the pool has no such instance): start it, swap it
 * in, stop the old one. The new member remembers the version it replaced
 * (pass `replaces` to set it, null for none). Resolves with the router's new state.
 */
export async function replaceInstance(admin, instance, version, replaces) {
  const state = await call(admin, "GET", "/state");
  const stable = state.pools.stable;
  const old = stable.find((member) => member.instance === instance);
  const fresh = await startService({ version, slot: "stable", instance, parent: state.pid });
  const status = await health(fresh);
  console.log(`instance ${instance}: GET /healthz ${status || "no answer"}`);
  const previous = replaces !== undefined ? replaces : old?.version === version ? old.replaces : old?.version;
  const member = previous ? { ...fresh, replaces: previous } : fresh;
  const members = old ? stable.map((m) => (m === old ? member : m)) : [...stable, member];
  const after = await call(admin, "PUT", "/pool/stable", { members });
  await stopServices(after.retired);
  return after;
}

/** "v1.1.0" or "v1.1.0, v1.2.0": the versions a pool runs. */
export function versionsOf(members) {
  return [...new Set(members.map((member) => member.version))].join(", ") || "nothing";
}
