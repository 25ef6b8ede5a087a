import { randomBytes, randomInt } from "node:crypto";

/** Trigger IDs handed out with commands and actions; Slack accepts each for 3 seconds. */
export class TriggerIds {
  private readonly issued = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs: number,
  ) {}

  issue(): string {
    const id = `${randomInt(1e9, 1e10)}.${randomInt(1e9, 1e10)}.${randomBytes(16).toString("hex")}`;
    this.issued.set(id, this.now());
    return id;
  }

  check(id: string): "ok" | "invalid_trigger_id" | "expired_trigger_id" {
    const issuedAt = this.issued.get(id);
    if (issuedAt === undefined) return "invalid_trigger_id";
    return this.now() - issuedAt > this.ttlMs ? "expired_trigger_id" : "ok";
  }
}
