import { randomBytes } from "node:crypto";
import { blockProblems, decodeObjectArray, LIMITS } from "./block-limits.js";
import { cursorAt, type HistoryWindow, inWindow, readWindow } from "./history-window.js";
import { isJsonObject, type JsonObject, parseJson, presentString, stringField } from "./json.js";
import { readContent } from "./message-content.js";
import { readMetadata, withMetadataWarning } from "./message-metadata.js";
import type { MessageStore, StoredMessage } from "./message-store.js";
import { renderMessage } from "./render-message.js";
import { compareSlackTs, type SlackTsClock } from "./slack-ts.js";
import type { TriggerIds } from "./trigger-ids.js";
import type { ChannelInfo, Workspace } from "./workspace.js";

/** A modal opened or a Home tab published through the API. */
export interface ViewRecord {
  id: string;
  method: "views.open" | "views.publish";
  userId: string | undefined;
  triggerId: string | undefined;
  view: JsonObject;
  at: number;
}

export interface MethodDeps {
  workspace: Workspace;
  store: MessageStore;
  tsClock: SlackTsClock;
  now: () => number;
  triggers: TriggerIds;
  views: ViewRecord[];
  /** A fresh single-use Socket Mode URL. */
  socketUrl: () => string;
  /** The stand-in's base URL, ending with `/`. */
  baseUrl: () => string;
}

export type MethodHandler = (args: JsonObject, deps: MethodDeps) => JsonObject;

/** Which token a method wants: app-level (`xapp-`) or bot (`xoxb-`). */
export function tokenKindFor(method: string): "app" | "bot" {
  return method === "apps.connections.open" ? "app" : "bot";
}

export function apiError(error: string, messages: readonly string[] = []): JsonObject {
  return messages.length > 0 ? { ok: false, error, response_metadata: { messages } } : { ok: false, error };
}

function channelArg(args: JsonObject, deps: MethodDeps): ChannelInfo | undefined {
  return deps.workspace.resolveChannel(stringField(args, "channel"));
}

function liveMessage(deps: MethodDeps, channel: string, ts: string | undefined): StoredMessage | undefined {
  if (ts === undefined) return undefined;
  const message = deps.store.find(channel, ts);
  return message && !message.deleted ? message : undefined;
}

const postMessage: MethodHandler = (args, deps) => {
  const channel = channelArg(args, deps);
  if (!channel) return apiError("channel_not_found");
  const content = readContent(args);
  if (!content.ok) return apiError(content.error, content.messages);
  const threadArg = presentString(args, "thread_ts");
  let threadTs: string | undefined;
  if (threadArg !== undefined) {
    const parent = liveMessage(deps, channel.id, threadArg);
    if (!parent) return apiError("thread_not_found");
    threadTs = parent.threadTs ?? parent.ts;
  }
  const metadata = readMetadata(args);
  if (metadata.kind === "invalid") return apiError(metadata.error);
  const identity = deps.workspace.identity;
  const message = deps.store.post({
    channel: channel.id,
    ts: deps.tsClock.next(),
    threadTs,
    user: identity.botUserId,
    botId: identity.botId,
    text: content.content.text ?? "",
    blocks: content.content.blocks ?? [],
    attachments: content.content.attachments ?? [],
    metadata: metadata.kind === "set" ? metadata.metadata : undefined,
    postedAt: deps.now(),
  });
  return withMetadataWarning(
    { ok: true, channel: channel.id, ts: message.ts, message: renderMessage(message, identity) },
    metadata,
  );
};

const update: MethodHandler = (args, deps) => {
  const channel = channelArg(args, deps);
  if (!channel) return apiError("channel_not_found");
  const message = liveMessage(deps, channel.id, presentString(args, "ts"));
  if (!message) return apiError("message_not_found");
  if (message.user !== deps.workspace.identity.botUserId) return apiError("cant_update_message");
  const content = readContent(args);
  if (!content.ok) return apiError(content.error, content.messages);
  const metadata = readMetadata(args);
  if (metadata.kind === "invalid") return apiError(metadata.error);
  if (metadata.kind === "set") message.metadata = metadata.metadata;
  if (metadata.kind === "clear") message.metadata = undefined;
  deps.store.update(message, content.content, deps.now());
  return withMetadataWarning(
    {
      ok: true,
      channel: channel.id,
      ts: message.ts,
      text: message.text,
      message: renderMessage(message, deps.workspace.identity),
    },
    metadata,
  );
};

const remove: MethodHandler = (args, deps) => {
  const channel = channelArg(args, deps);
  if (!channel) return apiError("channel_not_found");
  const message = liveMessage(deps, channel.id, presentString(args, "ts"));
  if (!message) return apiError("message_not_found");
  deps.store.delete(message);
  return { ok: true, channel: channel.id, ts: message.ts };
};

const postEphemeral: MethodHandler = (args, deps) => {
  const channel = channelArg(args, deps);
  if (!channel) return apiError("channel_not_found");
  const user = presentString(args, "user");
  if (user === undefined) return apiError("user_not_found");
  const content = readContent(args);
  if (!content.ok) return apiError(content.error, content.messages);
  const ts = deps.tsClock.next();
  deps.store.postEphemeral({
    channel: channel.id,
    ts,
    threadTs: presentString(args, "thread_ts"),
    user,
    source: "api",
    text: content.content.text ?? "",
    blocks: content.content.blocks ?? [],
    attachments: content.content.attachments ?? [],
    postedAt: deps.now(),
  });
  return { ok: true, message_ts: ts };
};

const getPermalink: MethodHandler = (args, deps) => {
  const channel = channelArg(args, deps);
  if (!channel) return apiError("channel_not_found");
  const message = liveMessage(deps, channel.id, presentString(args, "message_ts"));
  if (!message) return apiError("message_not_found");
  const base = `${deps.baseUrl()}archives/${channel.id}/p${message.ts.replace(".", "")}`;
  const permalink = message.threadTs === undefined ? base : `${base}?thread_ts=${message.threadTs}&cid=${channel.id}`;
  return { ok: true, channel: channel.id, permalink };
};

function channelObject(channel: ChannelInfo): JsonObject {
  return {
    id: channel.id,
    name: channel.name,
    is_channel: !channel.isIm && !channel.isPrivate,
    is_group: channel.isPrivate && !channel.isIm,
    is_im: channel.isIm,
    is_private: channel.isPrivate,
    is_archived: false,
    is_member: true,
    created: channel.created,
    ...(channel.imUser === undefined ? {} : { user: channel.imUser }),
  };
}

const conversationsInfo: MethodHandler = (args, deps) => {
  const channel = channelArg(args, deps);
  return channel ? { ok: true, channel: channelObject(channel) } : apiError("channel_not_found");
};

/** conversations.history's page size: 100 unless asked, at most 999. */
const HISTORY_LIMITS = { defaultLimit: 100, maxLimit: 999 } as const;
/** conversations.replies's page size: 1000 unless asked, at most 1000. */
const REPLIES_LIMITS = { defaultLimit: 1000, maxLimit: 1000 } as const;

function renderPage(messages: readonly StoredMessage[], window: HistoryWindow, deps: MethodDeps): JsonObject[] {
  return messages.map((message) =>
    renderMessage(message, deps.workspace.identity, { metadata: window.includeAllMetadata }),
  );
}

function pageAnswer(messages: JsonObject[], next: StoredMessage | undefined, extra: JsonObject = {}): JsonObject {
  return {
    ok: true,
    messages,
    has_more: next !== undefined,
    ...extra,
    ...(next === undefined ? {} : { response_metadata: { next_cursor: cursorAt(next.ts) } }),
  };
}

/** Root messages, newest first, between `oldest` and `latest`; metadata only with `include_all_metadata`. */
const conversationsHistory: MethodHandler = (args, deps) => {
  const channel = channelArg(args, deps);
  if (!channel) return apiError("channel_not_found");
  const read = readWindow(args, HISTORY_LIMITS);
  if (!read.ok) return apiError(read.error);
  const { window } = read;
  const from = window.from;
  const roots = deps.store
    .all(channel.id)
    .filter((message) => !message.deleted && message.threadTs === undefined && inWindow(message.ts, window))
    .reverse()
    .filter((message) => from === undefined || compareSlackTs(message.ts, from) <= 0);
  const page = roots.slice(0, window.limit);
  return pageAnswer(renderPage(page, window, deps), roots[window.limit], { pin_count: 0 });
};

/**
 * A thread: on the first page its parent, then the replies between `oldest`
 * and `latest`, oldest first. `ts` may name the parent or any reply.
 */
const conversationsReplies: MethodHandler = (args, deps) => {
  const channel = channelArg(args, deps);
  if (!channel) return apiError("channel_not_found");
  const ts = presentString(args, "ts");
  if (ts === undefined) return apiError("invalid_arguments", ["[ERROR] missing required field: ts"]);
  const read = readWindow(args, REPLIES_LIMITS);
  if (!read.ok) return apiError(read.error);
  const { window } = read;
  const from = window.from;
  const found = liveMessage(deps, channel.id, ts);
  if (!found) return apiError("thread_not_found");
  const threadTs = found.threadTs ?? found.ts;
  const parent = liveMessage(deps, channel.id, threadTs);
  const replies = deps.store
    .all(channel.id)
    .filter((message) => !message.deleted && message.threadTs === threadTs && inWindow(message.ts, window))
    .filter((message) => from === undefined || compareSlackTs(message.ts, from) >= 0);
  const thread = from === undefined && parent ? [parent, ...replies] : replies;
  const page = thread.slice(0, window.limit);
  return pageAnswer(renderPage(page, window, deps), thread[window.limit]);
};

const usergroupUsers: MethodHandler = (args, deps) => {
  const id = presentString(args, "usergroup");
  const users = id === undefined ? undefined : deps.workspace.usergroupMembers(id);
  return users ? { ok: true, users } : apiError("no_such_subteam");
};

const authTest: MethodHandler = (_args, deps) => {
  const identity = deps.workspace.identity;
  return {
    ok: true,
    url: `https://${identity.teamDomain}.slack.com/`,
    team: identity.teamName,
    user: identity.botName,
    team_id: identity.teamId,
    user_id: identity.botUserId,
    bot_id: identity.botId,
    is_enterprise_install: false,
  };
};

function readView(
  args: JsonObject,
  kind: "modal" | "home",
): { ok: true; view: JsonObject } | { ok: false; result: JsonObject } {
  const raw = typeof args.view === "string" ? parseJson(args.view) : args.view;
  if (!isJsonObject(raw))
    return { ok: false, result: apiError("invalid_arguments", ["[ERROR] missing required field: view"]) };
  if (raw.type !== kind) {
    return {
      ok: false,
      result: apiError("invalid_arguments", [`[ERROR] view type must be ${kind} [json-pointer:/view/type]`]),
    };
  }
  const blocks = decodeObjectArray(raw.blocks);
  if (!blocks.ok)
    return {
      ok: false,
      result: apiError("invalid_arguments", ["[ERROR] must provide an array [json-pointer:/view/blocks]"]),
    };
  const problems = blockProblems(blocks.value ?? [], LIMITS.surfaceBlocks).map(
    (problem) => `[ERROR] ${problem.replace("json-pointer:/blocks", "json-pointer:/view/blocks")}`,
  );
  if (kind === "modal") {
    const title = isJsonObject(raw.title) ? raw.title.text : undefined;
    if (typeof title !== "string") problems.push("[ERROR] must provide a title [json-pointer:/view/title]");
    else if (title.length > LIMITS.modalTitle) {
      problems.push(`[ERROR] must be less than ${LIMITS.modalTitle + 1} characters [json-pointer:/view/title/text]`);
    }
  }
  if (problems.length > 0) return { ok: false, result: apiError("invalid_arguments", problems) };
  return { ok: true, view: raw };
}

function viewResult(view: JsonObject, deps: MethodDeps, record: Omit<ViewRecord, "id" | "view" | "at">): JsonObject {
  const id = `V${randomBytes(5).toString("hex").toUpperCase()}`;
  deps.views.push({ ...record, id, view, at: deps.now() });
  return {
    ok: true,
    view: {
      ...view,
      id,
      team_id: deps.workspace.identity.teamId,
      app_id: deps.workspace.identity.appId,
      bot_id: deps.workspace.identity.botId,
      state: { values: {} },
      hash: `${Math.floor(deps.now() / 1000)}.${randomBytes(4).toString("hex")}`,
    },
  };
}

const viewsOpen: MethodHandler = (args, deps) => {
  const triggerId = presentString(args, "trigger_id");
  if (triggerId === undefined) return apiError("invalid_arguments", ["[ERROR] missing required field: trigger_id"]);
  const trigger = deps.triggers.check(triggerId);
  if (trigger !== "ok") return apiError(trigger);
  const view = readView(args, "modal");
  if (!view.ok) return view.result;
  return viewResult(view.view, deps, { method: "views.open", userId: deps.triggers.userOf(triggerId), triggerId });
};

const viewsPublish: MethodHandler = (args, deps) => {
  const userId = presentString(args, "user_id");
  if (userId === undefined) return apiError("invalid_arguments", ["[ERROR] missing required field: user_id"]);
  const view = readView(args, "home");
  if (!view.ok) return view.result;
  return viewResult(view.view, deps, { method: "views.publish", userId, triggerId: undefined });
};

const connectionsOpen: MethodHandler = (_args, deps) => ({ ok: true, url: deps.socketUrl() });

/** The Web API methods the stand-in answers, by name. */
export const METHODS: Readonly<Record<string, MethodHandler>> = {
  "apps.connections.open": connectionsOpen,
  "auth.test": authTest,
  "chat.delete": remove,
  "chat.getPermalink": getPermalink,
  "chat.postEphemeral": postEphemeral,
  "chat.postMessage": postMessage,
  "chat.update": update,
  "conversations.history": conversationsHistory,
  "conversations.info": conversationsInfo,
  "conversations.replies": conversationsReplies,
  "usergroups.users.list": usergroupUsers,
  "views.open": viewsOpen,
  "views.publish": viewsPublish,
};
