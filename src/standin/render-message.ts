import type { JsonObject } from "./json.js";
import type { StoredMessage } from "./message-store.js";
import type { WorkspaceIdentity } from "./workspace.js";

export interface RenderOptions {
  /**
   * Whether to show the message's `metadata`. conversations.history and
   * conversations.replies show it only when asked with `include_all_metadata`.
   * @default true
   */
  readonly metadata?: boolean;
}

/** A stored message in the JSON shape Slack's API and payloads use. */
export function renderMessage(
  message: StoredMessage,
  identity: WorkspaceIdentity,
  options: RenderOptions = {},
): JsonObject {
  const rendered: JsonObject = {
    type: "message",
    user: message.user,
    ts: message.ts,
    text: message.text,
    team: identity.teamId,
  };
  if (message.botId !== undefined) {
    rendered.bot_id = message.botId;
    rendered.app_id = identity.appId;
  }
  if (message.blocks.length > 0) rendered.blocks = message.blocks;
  if (message.attachments.length > 0) rendered.attachments = message.attachments;
  if (message.threadTs !== undefined) {
    rendered.thread_ts = message.threadTs;
    rendered.parent_user_id = message.user;
  } else if (message.replies.length > 0) {
    rendered.thread_ts = message.ts;
    rendered.reply_count = message.replies.length;
    rendered.latest_reply = message.replies[message.replies.length - 1];
  }
  const lastEdit = message.edits[message.edits.length - 1];
  if (lastEdit !== undefined) {
    rendered.edited = { user: message.user, ts: String(lastEdit.replacedAt / 1000) };
  }
  if (message.metadata !== undefined && options.metadata !== false) rendered.metadata = message.metadata;
  return rendered;
}
