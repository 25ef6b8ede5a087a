import { randomBytes, randomInt } from "node:crypto";

/** Trigger IDs handed out with commands and actions; Slack accepts each for 3 seconds. */
export class TriggerIds {
  private readonly issued = new Map<string, { at: number; userId: string | undefined }>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs: number,
  ) {}

  /** A new trigger id for what `userId` did: a modal opened with it is shown to that person. */
  issue(userId?: string): string {
    const id = `${randomInt(1e9, 1e10)}.${randomInt(1e9, 1e10)}.${randomBytes(16).toString("hex")}`;
    this.issued.set(id, { at: this.now(), userId });
    return id;
  }

  /** Who the trigger id was issued to, when known. */
  userOf(id: string): string | undefined {
    return this.issued.get(id)?.userId;
  }

  check(id: string): "ok" | "invalid_trigger_id" | "expired_trigger_id" {
    const issuedAt = this.issued.get(id)?.at;
    if (issuedAt === undefined) return "invalid_trigger_id";
    return this.now() - issuedAt > this.ttlMs ? "expired_trigger_id" : "ok";
  }
}
