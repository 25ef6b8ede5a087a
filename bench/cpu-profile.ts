import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A span of the system's monotonic clock in microseconds, as `process.hrtime` reads it in any process. */
export type Window = readonly [startUs: number, endUs: number];

export interface HotSpot {
  readonly name: string;
  readonly where: string;
  readonly selfMs: number;
  readonly share: number;
}

export interface ProfileSummary {
  /** The profile's file name, in the directory the run printed. */
  readonly file: string;
  readonly totalMs: number;
  readonly functions: readonly HotSpot[];
  /** Self time by package (`node_modules/<name>`), Slipway's own code, Node internals. */
  readonly areas: readonly HotSpot[];
}

function isCpuProfile(value: unknown): value is CpuProfile {
  return typeof value === "object" && value !== null && "nodes" in value && Array.isArray(value.nodes);
}

/** Where a frame's code lives: a package, Slipway's dist/, Node itself, or the engine (GC, idle, program). */
function area(frame: CallFrame): string {
  const { url, functionName } = frame;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  if (/\/dist\//.test(url)) return `slipway ${shortUrl(url)}`;
  if (/\/bench\//.test(url)) return "bench";
  if (url.startsWith("node:")) return "node internals";
  if (url === "") return `(${functionName || "native"})`;
  return url.replace(/^.*\//, "");
}

/** A frame's file without this machine's directories: `@slack/bolt/dist/App.js`, `dist/runtime.js`, `node:net`. */
function shortUrl(url: string): string {
  const inPackage = /node_modules\/(.+)$/.exec(url);
  if (inPackage?.[1]) return inPackage[1];
  const own = /\/((?:dist|bench|src)\/.+)$/.exec(url);
  return own?.[1] ?? url;
}

function top(map: Map<string, { where: string; ticks: number }>, ticks: number, msPerTick: number, n: number) {
  return [...map.entries()]
    .sort((a, b) => b[1].ticks - a[1].ticks)
    .slice(0, n)
    .map(([name, v]) => ({ name, where: v.where, selfMs: v.ticks * msPerTick, share: v.ticks / ticks }));
}

/** Samples per node, only those taken inside `windows` when given. */
function sampleCounts(profile: CpuProfile, windows: readonly Window[] | undefined): Map<number, number> {
  const counts = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  if (!samples || !timeDeltas) {
    for (const node of profile.nodes) counts.set(node.id, node.hitCount ?? 0);
    return counts;
  }
  let at = profile.startTime;
  samples.forEach((id, i) => {
    at += timeDeltas[i] ?? 0;
    if (windows && !windows.some(([start, end]) => at >= start && at <= end)) return;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  });
  return counts;
}

/** Self time of a `.cpuprofile`, by function and by area, leaving out idle time; only inside `windows` when given. */
export function summarizeProfile(
  file: string,
  profile: CpuProfile,
  windows?: readonly Window[],
  n = 12,
): ProfileSummary {
  const counts = sampleCounts(profile, windows);
  const allSamples = profile.samples?.length ?? [...counts.values()].reduce((a, b) => a + b, 0);
  const msPerTick = allSamples === 0 ? 0 : (profile.endTime - profile.startTime) / 1000 / allSamples;
  const byFunction = new Map<string, { where: string; ticks: number }>();
  const byArea = new Map<string, { where: string; ticks: number }>();
  let busyTicks = 0;
  for (const node of profile.nodes) {
    const ticks = counts.get(node.id) ?? 0;
    const frame = node.callFrame;
    if (ticks === 0 || frame.functionName === "(idle)") continue;
    busyTicks += ticks;
    const where = `${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName || "(anonymous)"} ${where}`;
    const f = byFunction.get(key) ?? { where, ticks: 0 };
    f.ticks += ticks;
    byFunction.set(key, f);
    const a = area(frame);
    const entry = byArea.get(a) ?? { where: "", ticks: 0 };
    entry.ticks += ticks;
    byArea.set(a, entry);
  }
  return {
    file,
    totalMs: busyTicks * msPerTick,
    functions: top(byFunction, busyTicks, msPerTick, n),
    areas: top(byArea, busyTicks, msPerTick, n),
  };
}

/** The summary of the `.cpuprofile` that process `pid` wrote into `dir`, if it wrote one. */
export async function summarizeProfileOf(
  dir: string,
  pid: number,
  windows?: readonly Window[],
): Promise<ProfileSummary | undefined> {
  const name = (await readdir(dir)).find((file) => file.endsWith(".cpuprofile") && file.includes(`.${pid}.`));
  if (name === undefined) return undefined;
  const parsed: unknown = JSON.parse(await readFile(join(dir, name), "utf8"));
  return isCpuProfile(parsed) ? summarizeProfile(name, parsed, windows) : undefined;
}

/** Now on the system's monotonic clock, in microseconds (the clock of `.cpuprofile` timestamps). */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
