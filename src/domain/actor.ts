/** Where a request comes from: a person in Slack, a push to a branch, or a schedule. */
export const ACTOR_KINDS = ["slack", "push", "schedule"] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/**
 * Who asks for something, whatever the source. For `slack`, `id` is the
 * Slack user id; for `push` and `schedule` it is the system actor's name
 * (`push`, `schedule`), which the manifest's permissions name, and `name`
 * says who or what in words (the pusher, the schedule).
 */
export interface Actor {
  readonly kind: ActorKind;
  readonly id: string;
  readonly name?: string;
}

/** A person in Slack. */
export function slackActor(userId: string): Actor {
  return { kind: "slack", id: userId };
}

/** A push or a schedule, acting as the system actor of that name; `name` says who pushed or which schedule. */
export function systemActor(kind: Exclude<ActorKind, "slack">, name?: string): Actor {
  return { kind, id: kind, ...(name ? { name } : {}) };
}
