/**
 * Hands out message timestamps the way Slack formats them ("1700000000.000100"):
 * seconds and microseconds from the clock, strictly increasing even when the
 * clock stands still or goes back.
 */
export class SlackTsClock {
  private lastMicros = 0n;

  constructor(private readonly now: () => number) {}

  next(): string {
    const fromClock = BigInt(Math.floor(this.now())) * 1000n;
    const micros = fromClock > this.lastMicros ? fromClock : this.lastMicros + 1n;
    this.lastMicros = micros;
    return formatSlackTs(micros);
  }
}

export function formatSlackTs(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = (micros % 1_000_000n).toString().padStart(6, "0");
  return `${seconds}.${fraction}`;
}

/** Milliseconds since the epoch for a Slack ts, for display. */
export function slackTsToMillis(ts: string): number {
  const [seconds = "0", fraction = "0"] = ts.split(".");
  return Number(seconds) * 1000 + Math.floor(Number(fraction.padEnd(6, "0")) / 1000);
}

/** Orders two Slack timestamps numerically. */
export function compareSlackTs(a: string, b: string): number {
  const [as = "0", af = "0"] = a.split(".");
  const [bs = "0", bf = "0"] = b.split(".");
  const bySeconds = Number(as) - Number(bs);
  return bySeconds !== 0 ? bySeconds : Number(af.padEnd(6, "0")) - Number(bf.padEnd(6, "0"));
}
