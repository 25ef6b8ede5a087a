import { ACTOR_KINDS, type ActorKind } from "../domain/actor.js";
import { type RefusedAnswer, refusedAnswerSchema } from "../engine/answers.js";
import { type Keys, keys, REMEMBER_TRIGGER_MS } from "./keys.js";
import type { RedisClient } from "./redis.js";
import { defineScript, type RedisScript } from "./script.js";

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
  protected readonly k: Keys;

  constructor(
    protected readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.k = keys(prefix);
  }

  /** This log as one slash command's handling writes it (see CommandAuditLog). */
  forCommand(service: string, triggerId: string): CommandAuditLog {
    return new CommandAuditLog(this.redis, this.prefix, service, triggerId);
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

/*
 * KEYS: the audit log, the trigger id. ARGV: how long to remember the
 * trigger id (ms), the log's length, then the entry's fields. Writes the
 * entry only when it claims the trigger id; answers 1 when it did, else 0.
 */
const CLAIM_AND_RECORD = `
if not redis.call('SET', KEYS[2], '1', 'PX', ARGV[1], 'NX') then return 0 end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
return 1
`;

/**
 * The audit log as the handling of one slash command for `service` writes
 * it. Slack's retries of a command and a replay of it carry its trigger id,
 * which is claimed once, by whichever comes first: the command's first
 * entry (in the same script, so a refusal still answers after one round
 * trip), the deployment's record (the store's create claims the same key;
 * say so with `claimedByRecord`), or `claim` before a side effect that
 * writes neither. Once claimed, the command's later entries are written as
 * usual; when a delivery before this one had claimed it, they are all left
 * out, and `repeated` says so: a retried refusal is audited once.
 */
export class CommandAuditLog extends AuditLog {
  private readonly claimScript: RedisScript;
  /** Whether this delivery holds the trigger id; undefined until something claims it. */
  private held: Promise<boolean> | undefined;

  constructor(
    redis: RedisClient,
    prefix: string,
    private readonly service: string,
    readonly triggerId: string,
  ) {
    super(redis, prefix);
    this.claimScript = defineScript(redis, "slipwayClaimAndAudit", 2, CLAIM_AND_RECORD);
  }

  /** Written with the claim, after it, or not at all (see the class). The entry must be for the command's service. */
  override async record(entry: AuditEntry): Promise<void> {
    if (this.held === undefined) {
      this.held = this.claimScript(
        [this.k.audit(entry.service), this.k.seenFor(this.service, this.triggerId)],
        [REMEMBER_TRIGGER_MS, MAX_AUDIT_ENTRIES, ...auditFields(entry)],
      ).then((claimed) => claimed === 1);
      await this.held;
    } else if (await this.held) {
      await super.record(entry);
    }
  }

  /** Claims the trigger id unless something did already; false when an earlier delivery had. */
  claim(): Promise<boolean> {
    this.held ??= this.redis
      .set(this.k.seenFor(this.service, this.triggerId), "1", "PX", REMEMBER_TRIGGER_MS, "NX")
      .then((reply) => reply === "OK");
    return this.held;
  }

  /** The store's create claimed the trigger id with the deployment's record: later entries are written. */
  claimedByRecord(): void {
    this.held = Promise.resolve(true);
  }

  /** Whether an earlier delivery of the command had claimed its trigger id (so nothing this one asked was written). */
  async repeated(): Promise<boolean> {
    return this.held !== undefined && !(await this.held);
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
