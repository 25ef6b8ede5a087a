import { booleanField, type JsonObject, presentString } from "./json.js";
import { readContent } from "./message-content.js";
import type { MessageStore } from "./message-store.js";
import type { ResponseContext, ResponseRecord } from "./response-urls.js";
import type { SlackTsClock } from "./slack-ts.js";
import type { WorkspaceIdentity } from "./workspace.js";

export interface EffectDeps {
  store: MessageStore;
  tsClock: SlackTsClock;
  now: () => number;
  identity: WorkspaceIdentity;
}

/**
 * Does what Slack does with an answer sent to a response URL (or in a slash
 * command's ack): delete or replace the original message, post in the channel
 * for `response_type: "in_channel"`, otherwise show it to the user alone.
 */
export function applyResponse(
  context: ResponseContext,
  body: JsonObject,
  source: "response_url" | "ack",
  deps: EffectDeps,
): Omit<ResponseRecord, "body" | "at"> {
  const original = context.messageTs === undefined ? undefined : deps.store.find(context.channel, context.messageTs);
  if (booleanField(body, "delete_original") === true) {
    if (!original || original.deleted) return { status: 404, outcome: "rejected", error: "message_not_found" };
    deps.store.delete(original);
    return { status: 200, outcome: "deleted", error: undefined };
  }
  const content = readContent(body);
  if (!content.ok) return { status: 400, outcome: "rejected", error: content.error };
  if (booleanField(body, "replace_original") === true && original && !original.deleted) {
    deps.store.update(original, content.content, deps.now());
    return { status: 200, outcome: "replaced", error: undefined };
  }
  const text = content.content.text ?? "";
  const blocks = content.content.blocks ?? [];
  const attachments = content.content.attachments ?? [];
  if (body.response_type === "in_channel") {
    const threadArg = presentString(body, "thread_ts");
    const parent = threadArg === undefined ? undefined : deps.store.find(context.channel, threadArg);
    deps.store.post({
      channel: context.channel,
      ts: deps.tsClock.next(),
      threadTs: parent ? (parent.threadTs ?? parent.ts) : undefined,
      user: deps.identity.botUserId,
      botId: deps.identity.botId,
      text,
      blocks,
      attachments,
      metadata: undefined,
      postedAt: deps.now(),
    });
    return { status: 200, outcome: "in_channel", error: undefined };
  }
  deps.store.postEphemeral({
    channel: context.channel,
    ts: deps.tsClock.next(),
    threadTs: presentString(body, "thread_ts") ?? context.threadTs,
    user: context.user,
    source,
    text,
    blocks,
    attachments,
    postedAt: deps.now(),
  });
  return { status: 200, outcome: "ephemeral", error: undefined };
}
