import { flattenBlocks } from "./flatten-blocks.js";
import { isJsonObject } from "./json.js";
import type { EphemeralMessage, MessageContent, StoredMessage } from "./message-store.js";
import { compareSlackTs, slackTsToMillis } from "./slack-ts.js";
import type { ChannelInfo } from "./workspace.js";

export interface TranscriptOptions {
  /** Include messages only one user could see, marked as such. @default true */
  ephemeral?: boolean;
  /** Show earlier versions of edited messages under them. @default false */
  history?: boolean;
  /** Render only the thread whose root has this ts. */
  threadTs?: string;
}

/** Message-like content as found in call arguments: anything not of the right shape is ignored. */
export interface LooseContent {
  text?: unknown;
  blocks?: unknown;
  attachments?: unknown;
}

/** Narrows loose content (e.g. `call.args`) to message content. */
export function toContent(loose: LooseContent): MessageContent {
  return {
    text: typeof loose.text === "string" ? loose.text : "",
    blocks: Array.isArray(loose.blocks) ? loose.blocks.filter(isJsonObject) : [],
    attachments: Array.isArray(loose.attachments) ? loose.attachments.filter(isJsonObject) : [],
  };
}

/** The text a person would read: the blocks when there are any, else the text, else attachments. */
export function visibleText(content: MessageContent): string {
  if (content.blocks.length > 0) return flattenBlocks(content.blocks);
  if (content.text.trim() !== "") return content.text;
  return content.attachments
    .map((attachment) =>
      [attachment.pretext, attachment.title, attachment.text, attachment.fallback].find(
        (value) => typeof value === "string",
      ),
    )
    .filter((value): value is string => typeof value === "string")
    .join("\n");
}

type Entry = { kind: "message"; message: StoredMessage } | { kind: "ephemeral"; message: EphemeralMessage };

function clock(ts: string): string {
  return new Date(slackTsToMillis(ts)).toISOString().slice(11, 19);
}

function indentBody(text: string, indent: string): string {
  const [first = "", ...rest] = text.split("\n");
  return [first, ...rest.map((line) => `${indent}${line}`)].join("\n");
}

function line(entry: Entry, indent: string, userName: (id: string) => string, options: TranscriptOptions): string {
  const { message } = entry;
  let author = `(only to ${userName(message.user)})`;
  let marker = "";
  if (entry.kind === "message") {
    author = userName(entry.message.user);
    if (entry.message.deleted) marker = " (deleted)";
    else if (entry.message.edits.length > 0) marker = ` (edited ${entry.message.edits.length}×)`;
  }
  const head = `${indent}[${clock(message.ts)}] ${author}${marker}: `;
  const bodyIndent = " ".repeat(head.length);
  const rendered = `${head}${indentBody(visibleText(message), bodyIndent)}`;
  if (entry.kind !== "message" || !options.history) return rendered;
  const earlier = entry.message.edits.map(
    (version, index) => `${bodyIndent}~ v${index + 1}: ${indentBody(visibleText(version), `${bodyIndent}  `)}`,
  );
  return [rendered, ...earlier].join("\n");
}

/**
 * Renders one channel as plain text: each root message with its latest
 * content, its thread replies indented below it.
 */
export function renderChannel(
  channel: ChannelInfo,
  messages: readonly StoredMessage[],
  ephemerals: readonly EphemeralMessage[],
  userName: (id: string) => string,
  options: TranscriptOptions = {},
): string {
  const showEphemeral = options.ephemeral ?? true;
  const entries: Entry[] = [
    ...messages.map((message): Entry => ({ kind: "message", message })),
    ...(showEphemeral ? ephemerals.map((message): Entry => ({ kind: "ephemeral", message })) : []),
  ].sort((a, b) => compareSlackTs(a.message.ts, b.message.ts));
  const roots = entries.filter(
    (entry) =>
      (entry.message.threadTs === undefined || !messages.some((m) => m.ts === entry.message.threadTs)) &&
      (options.threadTs === undefined || entry.message.ts === options.threadTs),
  );
  const lines = [`#${channel.name} (${channel.id})`];
  for (const root of roots) {
    lines.push(line(root, "  ", userName, options));
    for (const reply of entries.filter((entry) => entry !== root && entry.message.threadTs === root.message.ts)) {
      lines.push(line(reply, "      ↳ ", userName, options));
    }
  }
  if (roots.length === 0) lines.push("  (no messages)");
  return lines.join("\n");
}
