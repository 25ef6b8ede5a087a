import { z } from "zod";

/*
 * The shape of what Slack sends Slipway, checked before Bolt routes it.
 *
 * Bolt trusts a request body once its signature checks out: it reads
 * `body.user.team_id`, `body.channel.id` or `body.actions[0]` while routing,
 * and a listener reads the rest. A signed body without those fields (never
 * from Slack, but from anyone holding the signing secret, or a bug in a
 * proxy) would throw inside Bolt, answered 500, or reach a listener that acts
 * on `undefined`, such as a /deploy by nobody. So each body is matched here
 * against the fields that Bolt and Slipway's listeners rely on, and refused
 * when one is missing or of the wrong type.
 *
 * Only the kinds of request Slipway's Slack app is set up for pass
 * (manifests/slack-app.yaml): slash commands, clicks on message buttons, the
 * reject dialog's submission, and Events API deliveries. Slack sends no
 * other kind (shortcuts, select menus loading options, legacy attachments and
 * dialogs), so none reaches Bolt.
 */

/** A Slack user, channel or team id: upper-case letters and digits (U0123ABCD, C0DEPLOYS, T0TEAM). */
const slackId = z.string().regex(/^[A-Z0-9]{1,64}$/, "expected a Slack id such as U0123ABCD");

/** The team of an interaction; null for an org-wide install. Bolt reads `team.id` while routing. */
const team = z.object({ id: z.string() }).nullable();

const slashCommand = z.object({
  command: z.string(),
  text: z.string(),
  user_id: slackId,
  channel_id: slackId,
});

/** One element's action; a checkbox group sends the options now ticked, each with the value Slipway gave it. */
const action = z.object({
  type: z.string(),
  action_id: z.string(),
  selected_options: z.array(z.object({ value: z.string() })).optional(),
});

/** A click on one of Slipway's buttons, which live only on messages in channels. */
const blockActions = z.object({
  type: z.literal("block_actions"),
  user: z.object({ id: slackId }),
  team,
  channel: z.object({ id: slackId }),
  response_url: z.url(),
  trigger_id: z.string(),
  actions: z.array(action).min(1),
});

/** One input's state in a submitted view: text inputs give a string value, or null when left empty. */
const inputState = z.object({ type: z.string(), value: z.string().nullable().optional() });

const viewSubmission = z.object({
  type: z.literal("view_submission"),
  user: z.object({ id: slackId }),
  team,
  view: z.object({
    id: z.string(),
    callback_id: z.string(),
    private_metadata: z.string(),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), inputState)) }),
  }),
});

/** Bolt looks for a channel in the event, and in its `item`. */
const eventCallback = z.object({
  type: z.literal("event_callback"),
  event: z.object({ type: z.string(), item: z.object({}).optional() }),
});

/** Sent to the Events API URL when Slack holds back events; it only needs acknowledging. */
const rateLimited = z.object({ type: z.literal("app_rate_limited") });

const KINDS = {
  command: slashCommand,
  block_actions: blockActions,
  view_submission: viewSubmission,
  event_callback: eventCallback,
  app_rate_limited: rateLimited,
} as const;

export type PayloadKind = keyof typeof KINDS;

export type PayloadShape = { ok: true; kind: PayloadKind } | { ok: false; reason: string };

const REASON_MAX = 300;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The kind a body claims to be, decided by the same keys in the same order
 * as Bolt's routing (`getTypeAndConversation`), so that a body checked as one
 * kind cannot reach the listeners of another: `{ command, type:
 * "block_actions", … }` is a command to Bolt, and is checked as one.
 */
function claimedKind(body: Record<string, unknown>): PayloadKind | undefined {
  if (body.event !== undefined) return "event_callback";
  if (body.command !== undefined) return "command";
  // Bolt routes a body with `name` as an options request, which Slipway does not serve.
  if (body.name !== undefined) return undefined;
  if (body.actions !== undefined) return "block_actions";
  if (body.type === "view_submission" || body.type === "app_rate_limited") return body.type;
  return undefined;
}

function clip(text: string): string {
  return text.length > REASON_MAX ? `${text.slice(0, REASON_MAX - 1)}…` : text;
}

/** Whether `body` has the fields Slipway relies on for its kind; why not, when it does not. */
export function checkPayloadShape(body: unknown): PayloadShape {
  if (!isRecord(body)) return { ok: false, reason: "the body is not an object" };
  const kind = claimedKind(body);
  if (kind === undefined) {
    const type = typeof body.type === "string" ? `type ${JSON.stringify(body.type)}` : "no type";
    return { ok: false, reason: clip(`not a request Slipway's Slack app receives (${type})`) };
  }
  const parsed = KINDS[kind].safeParse(body);
  if (parsed.success) return { ok: true, kind };
  const [issue] = parsed.error.issues;
  const where = issue?.path.map(String).join(".") || "body";
  const label = kind === "command" ? "slash command" : kind;
  return { ok: false, reason: clip(`${label}: ${where}: ${issue?.message ?? "malformed"}`) };
}
