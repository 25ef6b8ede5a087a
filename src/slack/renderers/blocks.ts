/*
 * The few Block Kit shapes Slipway uses, with Slack's limits applied at the
 * point of construction so no renderer can produce a message Slack refuses.
 */

export const LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  contextText: 3000,
  headerText: 150,
  messageText: 40_000,
  /** Slack advises keeping a message's total text well under this. */
  totalText: 10_000,
} as const;

export interface TextObject {
  type: "mrkdwn" | "plain_text";
  text: string;
  emoji?: boolean;
}

export interface ConfirmDialog {
  title: TextObject;
  text: TextObject;
  confirm: TextObject;
  deny: TextObject;
  style?: "primary" | "danger";
}

export interface ButtonElement {
  type: "button";
  text: TextObject;
  action_id: string;
  value?: string;
  style?: "primary" | "danger";
  url?: string;
  confirm?: ConfirmDialog;
}

export interface CheckboxOption {
  text: TextObject;
  value: string;
  description?: TextObject;
}

export interface CheckboxesElement {
  type: "checkboxes";
  action_id: string;
  options: CheckboxOption[];
}

export type ActionElement = ButtonElement | CheckboxesElement;

export type Block =
  | { type: "header"; text: TextObject }
  | { type: "section"; text: TextObject; block_id?: string; accessory?: ButtonElement }
  | { type: "context"; elements: TextObject[] }
  | { type: "divider" }
  | { type: "actions"; block_id?: string; elements: ActionElement[] };

export interface SlackMessage {
  /** Fallback text for notifications and clients without blocks. */
  text: string;
  blocks: Block[];
}

/** Whether the UTF-16 unit at `index` is the second half of a surrogate pair. */
function isLowSurrogate(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code >= 0xdc00 && code <= 0xdfff;
}

/** At most `max` UTF-16 units (Slack's measure), ending in "…" when cut, never splitting a character. */
export function fitText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (isLowSurrogate(text, end)) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** The last at most `max` UTF-16 units of `text`, starting with "…" when cut, never splitting a character. */
function keepTail(text: string, max: number): string {
  if (text.length <= max) return text;
  let start = text.length - (max - 1);
  if (isLowSurrogate(text, start)) start += 1;
  return `…${text.slice(start)}`;
}

export function header(text: string): Block {
  return { type: "header", text: { type: "plain_text", text: fitText(text, LIMITS.headerText), emoji: true } };
}

export function section(markdown: string, accessory?: ButtonElement): Block {
  return {
    type: "section",
    text: { type: "mrkdwn", text: fitText(markdown, LIMITS.sectionText) },
    ...(accessory ? { accessory } : {}),
  };
}

export function context(markdown: string): Block {
  return { type: "context", elements: [{ type: "mrkdwn", text: fitText(markdown, LIMITS.contextText) }] };
}

export function divider(): Block {
  return { type: "divider" };
}

/** Code block whose content keeps only its last characters when too long for a section. */
export function codeTail(text: string, max = LIMITS.sectionText - 10): string {
  const body = text.replaceAll("```", "ʼʼʼ");
  return `\`\`\`${keepTail(body, max)}\`\`\``;
}

/**
 * Keeps a message within the block count and total text budget: blocks past
 * the limit are dropped and replaced by a note saying how many were left out.
 */
export function fitMessage(message: SlackMessage): SlackMessage {
  const blocks: Block[] = [];
  let total = 0;
  const count = message.blocks.length;
  for (const [index, block] of message.blocks.entries()) {
    const size = blockTextLength(block);
    const last = index === count - 1;
    // Room is kept for the note that says how much was left out, unless this is the last block.
    const note = context(`…${count - index} more not shown`);
    const reserve = last ? 0 : blockTextLength(note);
    const blocksLeft = LIMITS.blocksPerMessage - blocks.length - (last ? 0 : 1);
    if (blocksLeft <= 0 || total + size + reserve > LIMITS.totalText) {
      blocks.push(note);
      break;
    }
    blocks.push(block);
    total += size;
  }
  return { text: fitText(message.text, LIMITS.messageText), blocks };
}

export function blockTextLength(block: Block): number {
  switch (block.type) {
    case "header":
    case "section":
      return block.text.text.length;
    case "context":
      return block.elements.reduce((sum, e) => sum + e.text.length, 0);
    case "actions":
      return block.elements.reduce(
        (sum, e) =>
          sum + (e.type === "button" ? e.text.text.length : e.options.reduce((n, o) => n + o.text.text.length, 0)),
        0,
      );
    case "divider":
      return 0;
    default: {
      const unreachable: never = block;
      return unreachable;
    }
  }
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

export function button(
  text: string,
  actionId: string,
  value: string,
  style?: "primary" | "danger",
  confirm?: { title: string; text: string; yes: string },
): ButtonElement {
  return {
    type: "button",
    text: { type: "plain_text", text: fitText(text, 75), emoji: true },
    action_id: actionId,
    value,
    ...(style ? { style } : {}),
    ...(confirm
      ? {
          confirm: {
            title: { type: "plain_text", text: fitText(confirm.title, 100) },
            text: { type: "mrkdwn", text: fitText(confirm.text, 300) },
            confirm: { type: "plain_text", text: fitText(confirm.yes, 30) },
            deny: { type: "plain_text", text: "Cancel" },
            ...(style ? { style } : {}),
          },
        }
      : {}),
  };
}

export function actions(blockId: string, elements: ActionElement[]): Block {
  return { type: "actions", block_id: blockId, elements };
}

/** The markup Slipway itself writes into its words: a user, a user group, a channel, a date. */
const OWN_MARKUP =
  /<@[UW][A-Z0-9]+>|<!subteam\^S[A-Z0-9]+(?:\|[^<>]*)?>|<#[CG][A-Z0-9]+>|<!date\^\d+\^\{[a-z_]+\}\|[^<>]*>/g;

/**
 * Escapes text Slipway composed that may carry someone's words inside it (a
 * failure reason, a refusal): its own mentions and dates stay live, anything
 * else that looks like markup (`<!channel>`, links) is shown as text.
 */
export function escapeExceptMentions(text: string): string {
  let out = "";
  let last = 0;
  for (const match of text.matchAll(OWN_MARKUP)) {
    out += escapeMrkdwn(text.slice(last, match.index)) + match[0];
    last = match.index + match[0].length;
  }
  return out + escapeMrkdwn(text.slice(last));
}

/** Who asked for a deployment: a mention for a person in Slack, the push's or schedule's name otherwise. */
export function requester(d: {
  readonly requestedBy: string;
  readonly source: string;
  readonly requesterName?: string;
}): string {
  if (d.source === "slack") return `<@${d.requestedBy}>`;
  if (d.source === "slipway") return `Slipway${d.requesterName ? ` (${escapeMrkdwn(d.requesterName)})` : ""}`;
  return `${escapeMrkdwn(d.requesterName ?? d.requestedBy)} (${d.source})`;
}

/** "web v1.2.0 → production" */
export function title(d: { readonly service: string; readonly version: string; readonly environment: string }): string {
  return `${d.service} ${d.version} → ${d.environment}`;
}
