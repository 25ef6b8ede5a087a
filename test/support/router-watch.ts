import { setTimeout as sleep } from "node:timers/promises";
import type { RouterState, SampleStack } from "./sample-stack.js";

/*
 * Watches the sample router while a deployment runs: its state every
 * `intervalMs`, kept in order, so a test can wait for a weight to be set and
 * afterwards read what traffic did at each weight from counter deltas
 * (no counter resets, so the watch never changes what it watches).
 */

export interface Snapshot {
  readonly at: number;
  readonly weight: number;
  readonly candidate: readonly string[];
  readonly stable: readonly string[];
  readonly counters: RouterState["counters"];
}

/** What the router proxied while one weight was set: answers per version (any status) between two snapshots. */
export interface Phase {
  readonly weight: number;
  readonly from: number;
  readonly to: number;
  readonly byVersion: Record<string, number>;
  readonly total: number;
}

function answered(counters: RouterState["counters"], version: string): number {
  return Object.values(counters[version] ?? {}).reduce((sum, n) => sum + n, 0);
}

export class RouterWatch {
  readonly snapshots: Snapshot[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly stack: SampleStack,
    private readonly intervalMs: number,
  ) {
    this.loop = this.run();
  }

  static start(stack: SampleStack, intervalMs = 40): RouterWatch {
    return new RouterWatch(stack, intervalMs);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const state = await this.stack.state().catch(() => undefined);
      if (state) {
        this.snapshots.push({
          at: Date.now(),
          weight: state.weight,
          candidate: state.pools.candidate.map((m) => m.version),
          stable: state.pools.stable.map((m) => m.version),
          counters: state.counters,
        });
        for (const wake of [...this.waiters]) wake();
      }
      await sleep(this.intervalMs);
    }
  }

  /** Resolves with the first snapshot (already seen or future) matching `predicate`. */
  waitFor(what: string, predicate: (s: Snapshot) => boolean, timeoutMs = 20_000): Promise<Snapshot> {
    const seen = this.snapshots.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const last = this.snapshots.at(-1);
        reject(new Error(`router never showed ${what} within ${timeoutMs} ms (last: ${JSON.stringify(last)})`));
      }, timeoutMs);
      const check = () => {
        const found = this.snapshots.find(predicate);
        if (!found) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(found);
      };
      this.waiters.add(check);
    });
  }

  /** Every weight the router had, in order, without repeats. */
  weights(): number[] {
    return this.snapshots.map((s) => s.weight).filter((w, i, all) => i === 0 || all[i - 1] !== w);
  }

  /**
   * The traffic of each run of snapshots that share a weight and candidate
   * pool: counter deltas between the run's first and last snapshot.
   */
  phases(): Phase[] {
    const phases: Phase[] = [];
    let start = 0;
    for (let i = 1; i <= this.snapshots.length; i++) {
      const first = this.snapshots[start];
      const current = this.snapshots[i];
      if (!first) break;
      const same =
        current !== undefined &&
        current.weight === first.weight &&
        current.candidate.join() === first.candidate.join() &&
        current.stable.join() === first.stable.join();
      if (same) continue;
      const last = this.snapshots[i - 1] ?? first;
      const versions = new Set([...Object.keys(first.counters), ...Object.keys(last.counters)]);
      const byVersion: Record<string, number> = {};
      for (const version of versions) {
        const delta = answered(last.counters, version) - answered(first.counters, version);
        if (delta > 0) byVersion[version] = delta;
      }
      phases.push({
        weight: first.weight,
        from: first.at,
        to: last.at,
        byVersion,
        total: Object.values(byVersion).reduce((sum, n) => sum + n, 0),
      });
      start = i;
    }
    return phases;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
