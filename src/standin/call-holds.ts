import type { JsonObject } from "./json.js";

/** A Web API call the stand-in keeps unanswered until the test lets it go: a Slack call in flight when a crash comes. */
export interface HeldCall {
  /** Resolves once a matching call has arrived and is being held. */
  readonly arrived: Promise<void>;
  /** Answers the held call with HTTP 500, changing nothing (its caller may be gone by then). */
  release(): void;
  /** Lets the held call through, answered as it would have been: a slow Slack rather than a failing one. */
  pass(): void;
}

/** How a held call ends: answered 500 without effect, or let through. */
export type HoldEnd = "failed" | "passed";

interface Hold {
  readonly matches: (method: string, args: JsonObject) => boolean;
  readonly arrive: () => void;
  readonly ended: Promise<HoldEnd>;
}

/** Holds set by the test, each taken by the first call it matches. */
export class CallHolds {
  private readonly holds: Hold[] = [];

  add(matches: (method: string, args: JsonObject) => boolean): HeldCall {
    let arrive: () => void = () => undefined;
    let end: (how: HoldEnd) => void = () => undefined;
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const ended = new Promise<HoldEnd>((resolve) => {
      end = resolve;
    });
    this.holds.push({ matches, arrive, ended });
    return { arrived, release: () => end("failed"), pass: () => end("passed") };
  }

  /** When a hold matches this call: marks it arrived, waits for its end and answers how it ended; undefined when none matches. */
  async take(method: string, args: JsonObject): Promise<HoldEnd | undefined> {
    const index = this.holds.findIndex((h) => h.matches(method, args));
    const hold = this.holds[index];
    if (!hold) return undefined;
    this.holds.splice(index, 1);
    hold.arrive();
    return hold.ended;
  }
}
