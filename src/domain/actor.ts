/** Where a request comes from: a person in Slack, a push to a branch, or a schedule. */
export const ACTOR_KINDS = ["slack", "push", "schedule"] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/**
 * Who asks for something, whatever the source. For `slack`, `id` is the
 * Slack user id; for `push` and `schedule` it is the system actor's id that
 * the manifest's roles name, and `name` says who or what in words (the
 * pusher, the schedule).
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
