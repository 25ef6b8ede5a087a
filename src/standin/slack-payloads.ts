import { randomBytes } from "node:crypto";
import { isJsonObject, type JsonObject } from "./json.js";
import type { WorkspaceIdentity } from "./workspace.js";

/** What a person types: `/deploy production v1.2.0` in a channel. */
export interface CommandInput {
  /** The command with its slash, e.g. "/deploy". */
  command: string;
  /** Everything after the command. @default "" */
  text?: string;
  userId: string;
  /** @default the name registered for userId, else the ID in lower case */
  userName?: string;
  channelId: string;
  /** @default the channel's name in the stand-in */
  channelName?: string;
  /** @default the stand-in's team */
  teamId?: string;
}

/** A click on a message element: a button, a checkbox, a select. */
export interface BlockActionInput {
  actionId: string;
  /** The button's value; taken from the message's element when omitted. */
  value?: string;
  userId: string;
  userName?: string;
  channelId: string;
  /** The message carrying the element. */
  messageTs: string;
  /** Taken from the message's blocks when omitted. */
  blockId?: string;
  /** For checkboxes and multi-selects: the values that are now selected. */
  selectedValues?: readonly string[];
}

/** A modal submitted by a person. */
export interface ViewSubmissionInput {
  userId: string;
  userName?: string;
  /** Which opened modal; the latest views.open with this callback_id is used. */
  callbackId?: string;
  /** Or the exact view ID from views.open. */
  viewId?: string;
  /** `state.values`: block_id → action_id → element state, as Slack sends it. */
  values: Record<string, Record<string, JsonObject>>;
  /** Overrides the view's private_metadata. */
  privateMetadata?: string;
}

export interface PayloadContext {
  identity: WorkspaceIdentity;
  verificationToken: string;
  triggerId: string;
  nowMs: number;
}

function teamObject(identity: WorkspaceIdentity): JsonObject {
  return { id: identity.teamId, domain: identity.teamDomain };
}

function userObject(identity: WorkspaceIdentity, id: string, name: string): JsonObject {
  return { id, username: name, name, team_id: identity.teamId };
}

function actionTs(nowMs: number): string {
  return (nowMs / 1000).toFixed(6);
}

/** The form fields of a slash command, in the order Slack sends them. */
export function slashCommandFields(
  input: CommandInput,
  context: PayloadContext & { responseUrl: string; channelName: string; userName: string },
): Record<string, string> {
  return {
    token: context.verificationToken,
    team_id: input.teamId ?? context.identity.teamId,
    team_domain: context.identity.teamDomain,
    channel_id: input.channelId,
    channel_name: context.channelName,
    user_id: input.userId,
    user_name: context.userName,
    command: input.command,
    text: input.text ?? "",
    api_app_id: context.identity.appId,
    is_enterprise_install: "false",
    response_url: context.responseUrl,
    trigger_id: context.triggerId,
  };
}

/** Finds an interactive element by action_id in message or view blocks. */
export function findElement(
  blocks: readonly JsonObject[],
  actionId: string,
): { blockId: string | undefined; element: JsonObject } | undefined {
  for (const block of blocks) {
    const blockId = typeof block.block_id === "string" ? block.block_id : undefined;
    const candidates: unknown[] = [
      ...(Array.isArray(block.elements) ? block.elements : []),
      block.accessory,
      block.element,
    ];
    for (const candidate of candidates) {
      if (isJsonObject(candidate) && candidate.action_id === actionId) return { blockId, element: candidate };
    }
  }
  return undefined;
}

function optionsMatching(element: JsonObject, values: readonly string[]): JsonObject[] {
  const options = Array.isArray(element.options) ? element.options.filter(isJsonObject) : [];
  return values.map(
    (value) => options.find((option) => option.value === value) ?? { text: { type: "plain_text", text: value }, value },
  );
}

function actionObject(
  input: BlockActionInput,
  found: ReturnType<typeof findElement>,
  blockId: string,
  nowMs: number,
): JsonObject {
  const element = found?.element;
  const type = typeof element?.type === "string" ? element.type : "button";
  const base: JsonObject = { type, action_id: input.actionId, block_id: blockId, action_ts: actionTs(nowMs) };
  if (type === "checkboxes" || type.startsWith("multi_")) {
    return { ...base, selected_options: optionsMatching(element ?? {}, input.selectedValues ?? []) };
  }
  if (type.endsWith("_select") || type === "radio_buttons") {
    const [selected] = optionsMatching(
      element ?? {},
      input.selectedValues ?? (input.value === undefined ? [] : [input.value]),
    );
    return { ...base, selected_option: selected ?? null };
  }
  const value = input.value ?? (typeof element?.value === "string" ? element.value : undefined);
  return {
    ...base,
    text: element?.text ?? { type: "plain_text", text: input.actionId, emoji: true },
    ...(value === undefined ? {} : { value }),
    ...(typeof element?.style === "string" ? { style: element.style } : {}),
  };
}

/** A `block_actions` payload as Slack sends it for a click on a message. */
export function blockActionPayload(
  input: BlockActionInput,
  context: PayloadContext & {
    responseUrl: string;
    channelName: string;
    userName: string;
    /** The message as rendered by the stand-in, or undefined for an unknown (e.g. ephemeral) one. */
    message: JsonObject | undefined;
    threadTs: string | undefined;
  },
): JsonObject {
  const blocks = Array.isArray(context.message?.blocks) ? context.message.blocks.filter(isJsonObject) : [];
  const found = findElement(blocks, input.actionId);
  const blockId = input.blockId ?? found?.blockId ?? randomBytes(3).toString("base64url");
  const action = actionObject(input, found, blockId, context.nowMs);
  const values: JsonObject = {};
  if ("selected_options" in action || "selected_option" in action) {
    const { type, selected_options, selected_option } = action;
    values[blockId] = {
      [input.actionId]: { type, ...(selected_options ? { selected_options } : { selected_option }) },
    };
  }
  const container: JsonObject = {
    type: "message",
    message_ts: input.messageTs,
    channel_id: input.channelId,
    is_ephemeral: context.message === undefined,
  };
  if (context.threadTs !== undefined) container.thread_ts = context.threadTs;
  return {
    type: "block_actions",
    user: userObject(context.identity, input.userId, context.userName),
    api_app_id: context.identity.appId,
    token: context.verificationToken,
    container,
    trigger_id: context.triggerId,
    team: teamObject(context.identity),
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channelId, name: context.channelName },
    ...(context.message === undefined ? {} : { message: context.message }),
    state: { values },
    response_url: context.responseUrl,
    actions: [action],
  };
}

/** A `view_submission` payload for a modal the app opened. */
export function viewSubmissionPayload(
  input: ViewSubmissionInput,
  context: PayloadContext & { userName: string; viewId: string; view: JsonObject },
): JsonObject {
  const { identity } = context;
  return {
    type: "view_submission",
    team: teamObject(identity),
    user: userObject(identity, input.userId, context.userName),
    api_app_id: identity.appId,
    token: context.verificationToken,
    trigger_id: context.triggerId,
    view: {
      ...context.view,
      id: context.viewId,
      team_id: identity.teamId,
      app_id: identity.appId,
      bot_id: identity.botId,
      root_view_id: context.viewId,
      previous_view_id: null,
      private_metadata:
        input.privateMetadata ??
        (typeof context.view.private_metadata === "string" ? context.view.private_metadata : ""),
      state: { values: input.values },
      hash: `${Math.floor(context.nowMs / 1000)}.${randomBytes(4).toString("hex")}`,
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** An Events API `event_callback` wrapping one event (e.g. app_home_opened). */
export function eventCallbackPayload(event: JsonObject, context: Omit<PayloadContext, "triggerId">): JsonObject {
  const { identity } = context;
  const eventTs = actionTs(context.nowMs);
  return {
    token: context.verificationToken,
    team_id: identity.teamId,
    api_app_id: identity.appId,
    event: { event_ts: eventTs, ...event },
    type: "event_callback",
    event_id: `Ev${randomBytes(5).toString("hex").toUpperCase()}`,
    event_time: Math.floor(context.nowMs / 1000),
    authorizations: [
      {
        enterprise_id: null,
        team_id: identity.teamId,
        user_id: identity.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
    event_context: `4-${randomBytes(12).toString("base64url")}`,
  };
}
