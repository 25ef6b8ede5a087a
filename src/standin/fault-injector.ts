/** Random faults for chaos tests. Rates are probabilities per call, 0..1. */
export interface FaultOptions {
  /** Share of calls answered HTTP 429 `ratelimited`. @default 0 */
  rate429?: number;
  /** Share of calls answered HTTP 500. @default 0 */
  rate5xx?: number;
  /** Retry-After sent with an injected 429. @default 1 */
  retryAfterSeconds?: number;
  /** Methods that may fail. @default every method except auth.test and apps.connections.open */
  methods?: readonly string[];
  /** Seed of the pseudo-random sequence, so a failing run can be repeated. @default 1 */
  seed?: number;
}

export type Fault =
  | { kind: "ratelimited"; retryAfterSeconds: number }
  | { kind: "server_error"; status: number }
  | { kind: "error"; error: string };

const SPARED_BY_DEFAULT = new Set(["auth.test", "apps.connections.open"]);

/** mulberry32: small, fast and good enough to spread faults evenly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Decides, per call, whether the stand-in answers with a fault instead. */
export class FaultInjector {
  private random: (() => number) | undefined;
  private options: FaultOptions = {};
  private readonly oneOff = new Map<string, string[]>();

  inject(options: FaultOptions): void {
    for (const [name, rate] of [
      ["rate429", options.rate429],
      ["rate5xx", options.rate5xx],
    ] as const) {
      if (rate !== undefined && (rate < 0 || rate > 1)) {
        throw new RangeError(`injectFaults: ${name} must be between 0 and 1, got ${rate}`);
      }
    }
    this.options = { ...options };
    this.random = seededRandom(options.seed ?? 1);
  }

  /** The next `times` calls of `method` answer `{ ok: false, error }`. */
  failNext(method: string, error: string, times: number): void {
    const queue = this.oneOff.get(method) ?? [];
    for (let i = 0; i < times; i += 1) queue.push(error);
    this.oneOff.set(method, queue);
  }

  clear(): void {
    this.options = {};
    this.random = undefined;
    this.oneOff.clear();
  }

  /** The fault for this call, if any; consumes a one-off error. */
  next(method: string): Fault | undefined {
    const queued = this.oneOff.get(method)?.shift();
    if (queued !== undefined) return { kind: "error", error: queued };
    if (!this.random || !this.applies(method)) return undefined;
    const roll = this.random();
    const rate429 = this.options.rate429 ?? 0;
    if (roll < rate429) return { kind: "ratelimited", retryAfterSeconds: this.options.retryAfterSeconds ?? 1 };
    if (roll < rate429 + (this.options.rate5xx ?? 0)) return { kind: "server_error", status: 500 };
    return undefined;
  }

  private applies(method: string): boolean {
    const methods = this.options.methods;
    return methods === undefined ? !SPARED_BY_DEFAULT.has(method) : methods.includes(method);
  }
}
