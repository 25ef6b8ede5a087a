import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc times; 100 on every common Linux build. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system) process `pid` has used so far, in milliseconds, or
 * undefined where /proc is not available. Resolution is one clock tick (10 ms).
 */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return ((utime + stime) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
