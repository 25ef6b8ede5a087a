// Process lifetime helpers for the example stack: every long-running example
// process stops when told (SIGTERM, SIGINT) or when the process it watches is gone.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

/** Whether `pid` is running; a zombie (exited, not yet reaped) counts as gone. */
export function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === "EPERM";
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return true;
  }
}

/** Calls `stop(reason)` once: on SIGTERM/SIGINT, or when `watchPid` no longer exists (checked every second). */
export function stopWith(watchPid, stop) {
  let stopping = false;
  const once = (reason) => {
    if (stopping) return;
    stopping = true;
    stop(reason);
  };
  setInterval(() => {
    if (!alive(watchPid)) once(`process ${watchPid} is gone`);
  }, 1000).unref();
  process.once("SIGTERM", () => once("SIGTERM"));
  process.once("SIGINT", () => once("SIGINT"));
}

/** Resolves with the first JSON line `{"ready":true,…}` a child prints; rejects if it exits or times out first. */
export function waitForReady(child, what, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const errors = [];
    child.stderr?.on("data", (chunk) => errors.push(chunk));
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => finish(new Error(`${what} was not ready after ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code) =>
      finish(new Error(`${what} exited with ${code}: ${Buffer.concat(errors).toString().trim()}`));
    function finish(error, value) {
      clearTimeout(timer);
      lines.close();
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve(value);
    }
    child.once("exit", onExit);
    lines.on("line", (line) => {
      try {
        const parsed = JSON.parse(line);
        if (parsed.ready) finish(undefined, parsed);
      } catch {
        // not the ready line
      }
    });
  });
}

/** Sends SIGTERM and resolves once the process is gone (SIGKILL after `graceMs`). */
export async function terminate(pid, graceMs = 3000) {
  if (!alive(pid)) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, "SIGKILL");
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
