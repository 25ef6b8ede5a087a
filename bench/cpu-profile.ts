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
}

export interface HotSpot {
  readonly name: string;
  readonly where: string;
  readonly selfMs: number;
  readonly share: number;
}

export interface ProfileSummary {
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
  if (/\/dist\//.test(url)) return `slipway ${url.replace(/^.*\/dist\//, "")}`;
  if (/\/bench\//.test(url)) return "bench";
  if (url.startsWith("node:")) return "node internals";
  if (url === "") return `(${functionName || "native"})`;
  return url.replace(/^.*\//, "");
}

function top(map: Map<string, { where: string; ticks: number }>, ticks: number, msPerTick: number, n: number) {
  return [...map.entries()]
    .sort((a, b) => b[1].ticks - a[1].ticks)
    .slice(0, n)
    .map(([name, v]) => ({ name, where: v.where, selfMs: v.ticks * msPerTick, share: v.ticks / ticks }));
}

/** Self time of a `.cpuprofile`, by function and by area, leaving out idle time. */
export function summarizeProfile(file: string, profile: CpuProfile, n = 12): ProfileSummary {
  const counts = new Map<number, number>();
  if (profile.samples) for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  else for (const node of profile.nodes) counts.set(node.id, node.hitCount ?? 0);
  const totalTicks = [...counts.values()].reduce((a, b) => a + b, 0);
  const msPerTick = totalTicks === 0 ? 0 : (profile.endTime - profile.startTime) / 1000 / totalTicks;
  const byFunction = new Map<string, { where: string; ticks: number }>();
  const byArea = new Map<string, { where: string; ticks: number }>();
  let busyTicks = 0;
  for (const node of profile.nodes) {
    const ticks = counts.get(node.id) ?? 0;
    const frame = node.callFrame;
    if (ticks === 0 || frame.functionName === "(idle)") continue;
    busyTicks += ticks;
    const where = `${frame.url.replace(/^.*\/(node_modules|dist|bench)\//, "$1/")}:${frame.lineNumber + 1}`;
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

/** Summaries of every `.cpuprofile` in `dir`. */
export async function summarizeProfiles(dir: string): Promise<ProfileSummary[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith(".cpuprofile")).sort();
  const summaries: ProfileSummary[] = [];
  for (const name of files) {
    const parsed: unknown = JSON.parse(await readFile(join(dir, name), "utf8"));
    if (isCpuProfile(parsed)) summaries.push(summarizeProfile(join(dir, name), parsed));
  }
  return summaries;
}
