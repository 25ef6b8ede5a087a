/**
 * Where a request comes from: a person in Slack, a push to a branch, a
 * schedule, or Slipway itself (rolling back what an extended window found bad).
 */
export const ACTOR_KINDS = ["slack", "push", "schedule", "slipway"] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/**
 * Who asks for something, whatever the source. For `slack`, `id` is the
 * Slack user id; for `push` and `schedule` it is the system actor's name
 * (`push`, `schedule`, `slipway`), which the manifest's permissions name (all
 * but `slipway`), and `name` says who or what in words (the pusher, the
 * schedule, the extended window).
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

/** A push, a schedule or Slipway, acting as the system actor of that name; `name` says who pushed, which schedule, why. */
export function systemActor(kind: Exclude<ActorKind, "slack">, name?: string): Actor {
  return { kind, id: kind, ...(name ? { name } : {}) };
}
