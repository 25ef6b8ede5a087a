import type { JsonObject } from "./json.js";

/** A Web API call the stand-in keeps unanswered until the test lets it go: a Slack call in flight when a crash comes. */
export interface HeldCall {
  /** Resolves once a matching call has arrived and is being held. */
  readonly arrived: Promise<void>;
  /** Answers the held call with HTTP 500, changing nothing (its caller may be gone by then). */
  release(): void;
}

interface Hold {
  readonly matches: (method: string, args: JsonObject) => boolean;
  readonly arrive: () => void;
  readonly released: Promise<void>;
}

/** Holds set by the test, each taken by the first call it matches. */
export class CallHolds {
  private readonly holds: Hold[] = [];

  add(matches: (method: string, args: JsonObject) => boolean): HeldCall {
    let arrive: () => void = () => undefined;
    let release: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.holds.push({ matches, arrive, released });
    return { arrived, release };
  }

  /** When a hold matches this call: marks it arrived, waits for its release and answers true. */
  async take(method: string, args: JsonObject): Promise<boolean> {
    const index = this.holds.findIndex((h) => h.matches(method, args));
    const hold = this.holds[index];
    if (!hold) return false;
    this.holds.splice(index, 1);
    hold.arrive();
    await hold.released;
    return true;
  }
}
