import { ACTOR_KINDS, type ActorKind } from "../domain/actor.js";
import { type RefusedAnswer, refusedAnswerSchema } from "../engine/answers.js";
import { type Keys, keys } from "./keys.js";
import type { RedisClient } from "./redis.js";

/** Where an audited action came from. */
export type AuditVia = "slash_command" | "button" | "checkbox" | "modal" | "engine" | "webhook" | "schedule";

/** The source a surface belongs to, for entries written without one. */
const SOURCE_OF_VIA: Readonly<Record<AuditVia, ActorKind | undefined>> = {
  slash_command: "slack",
  button: "slack",
  checkbox: "slack",
  modal: "slack",
  webhook: "push",
  schedule: "schedule",
  engine: undefined,
};

export interface AuditEntry {
  readonly at: number;
  /** Slack user id, a push's or schedule's actor id, or "slipway" for what the engine did on its own. */
  readonly actor: string;
  /**
   * Where the action came from: slack, push or schedule; absent for what the
   * engine did on its own. Written from `via` when left out.
   */
  readonly source?: ActorKind;
  /** What was attempted, e.g. `deploy`, `approve`, `reject`, `lock`, `tick`, `expire`, `window-bypass`. */
  readonly action: string;
  readonly outcome: "ok" | "refused";
  readonly service: string;
  readonly environment?: string;
  readonly deploymentId?: string;
  /**
   * The reason given, the version, the item… as the actor or the engine gave
   * them. Entries written before refusals were kept as `answer` have their
   * refusal here, in words.
   */
  readonly detail?: string;
  /** Why an approval, tick, control, flag change or rollback was refused: the engine's answer, worded when shown. */
  readonly answer?: RefusedAnswer;
  readonly via: AuditVia;
}

/** Entries kept per service; older ones are trimmed. */
export const MAX_AUDIT_ENTRIES = 100_000;
/** The stream for actions that named no known service. */
export const NO_SERVICE = "-";

/**
 * An append-only log per service in a Redis stream: every command, click,
 * approval, refusal, lock and bypass, with who, when, what and the outcome.
 */
export class AuditLog {
  private readonly k: Keys;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.k = keys(prefix);
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.redis.xadd(
      this.k.audit(entry.service),
      "MAXLEN",
      "~",
      String(MAX_AUDIT_ENTRIES),
      "*",
      ...auditFields(entry),
    );
  }

  /** The newest entries first, optionally only those for one environment. */
  async recent(service: string, limit: number, environment?: string): Promise<AuditEntry[]> {
    const wanted: AuditEntry[] = [];
    let end = "+";
    while (wanted.length < limit) {
      const batch = await this.redis.xrevrange(this.k.audit(service), end, "-", "COUNT", 200);
      if (batch.length === 0) break;
      for (const [, fields] of batch) {
        const entry = toEntry(fields);
        if (environment === undefined || entry.environment === environment) wanted.push(entry);
        if (wanted.length === limit) break;
      }
      const lastId = batch.at(-1)?.[0];
      if (batch.length < 200 || lastId === undefined) break;
      end = `(${lastId}`;
    }
    return wanted;
  }
}

/** An entry as the stream's field-value list (a script that writes one with other keys appends these). */
export function auditFields(entry: AuditEntry): string[] {
  const fields: string[] = [];
  const source = entry.source ?? SOURCE_OF_VIA[entry.via];
  const answer = entry.answer === undefined ? undefined : JSON.stringify(entry.answer);
  for (const [name, value] of Object.entries({ ...entry, source, answer })) {
    if (value !== undefined) fields.push(name, String(value));
  }
  return fields;
}

function toEntry(fields: string[]): AuditEntry {
  const raw: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) raw[fields[i] as string] = fields[i + 1] as string;
  return {
    at: Number(raw.at),
    actor: raw.actor ?? "",
    action: raw.action ?? "",
    outcome: raw.outcome === "refused" ? "refused" : "ok",
    service: raw.service ?? NO_SERVICE,
    via: (raw.via ?? "engine") as AuditVia,
    ...(ACTOR_KINDS.some((kind) => kind === raw.source) ? { source: raw.source as ActorKind } : {}),
    ...(raw.environment ? { environment: raw.environment } : {}),
    ...(raw.deploymentId ? { deploymentId: raw.deploymentId } : {}),
    ...(raw.detail ? { detail: raw.detail } : {}),
    ...(raw.answer ? readAnswer(raw.answer) : {}),
  };
}

/** A stored refusal, when this Slipway understands it; one it cannot read is left out rather than misread. */
function readAnswer(stored: string): { answer?: RefusedAnswer } {
  try {
    const parsed = refusedAnswerSchema.safeParse(JSON.parse(stored));
    return parsed.success ? { answer: parsed.data } : {};
  } catch {
    return {};
  }
}
