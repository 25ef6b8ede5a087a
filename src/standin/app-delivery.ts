import { SlipwayError } from "../errors.js";
import { buildSignedRequest, type SentRequest, type SigningOptions, sendRequest } from "./http-delivery.js";
import { isJsonObject, type JsonObject } from "./json.js";
import { assertLoopbackUrl } from "./loopback.js";
import { renderMessage } from "./render-message.js";
import { applyResponse } from "./response-effects.js";
import type { ResponseContext } from "./response-urls.js";
import {
  type BlockActionInput,
  blockActionPayload,
  type CommandInput,
  eventCallbackPayload,
  slashCommandFields,
  type ViewSubmissionInput,
  viewSubmissionPayload,
} from "./slack-payloads.js";
import type { EnvelopeType, SocketAck } from "./socket-hub.js";
import type { StandInState } from "./stand-in-state.js";

/** Per-request choices: the transport, tampering for HTTP, a different timeout. */
export interface DeliveryOptions extends SigningOptions {
  /** Force a transport instead of the stand-in's `mode`. */
  via?: "http" | "socket";
  /** Overrides `ackTimeoutMs` / `deliveryTimeoutMs` for this request. */
  timeoutMs?: number;
}

interface DeliveryBase {
  /** The response URL handed to the app with this request, if any. */
  responseUrl: string | undefined;
  /** What was sent (slash command fields, or the interaction/event payload). */
  payload: JsonObject;
  /** HTTP status of the app's answer; 200 for a Socket Mode ack. */
  status: number;
  /** The answer's raw text; for Socket Mode the ack payload as JSON. */
  body: string;
  /** The answer parsed: the ack body (HTTP) or the ack payload (Socket Mode). */
  json: unknown;
  /** Time from sending to the app's answer. */
  elapsedMs: number;
}

export interface HttpDelivery extends DeliveryBase {
  mode: "http";
  /** The exact request, for `replay`. */
  request: SentRequest;
}

export interface SocketDelivery extends DeliveryBase {
  mode: "socket";
  envelopeId: string;
  ack: SocketAck;
}

export type Delivery = HttpDelivery | SocketDelivery;

type Kind = "command" | "interactive" | "event";

const ENVELOPE_TYPE: Record<Kind, EnvelopeType> = {
  command: "slash_commands",
  interactive: "interactive",
  event: "events_api",
};

/** Sends requests into the app exactly as Slack would, over HTTP or Socket Mode. */
export class AppDelivery {
  constructor(private readonly state: StandInState) {}

  async command(input: CommandInput, options: DeliveryOptions = {}): Promise<Delivery> {
    const { workspace } = this.state;
    const channel = workspace.resolveChannel(input.channelId);
    const context: ResponseContext = {
      kind: "command",
      channel: channel?.id ?? input.channelId,
      user: input.userId,
      messageTs: undefined,
      threadTs: undefined,
    };
    const responseUrl = this.state.responseUrls.issue(this.state.urls.base, context).url;
    const fields = slashCommandFields(input, {
      identity: workspace.identity,
      verificationToken: this.verificationToken(),
      triggerId: this.state.triggers.issue(input.userId),
      nowMs: this.state.now(),
      responseUrl,
      channelName: input.channelName ?? channel?.name ?? input.channelId.toLowerCase(),
      userName: input.userName ?? workspace.userName(input.userId),
    });
    const delivery = await this.deliver(
      "command",
      fields,
      new URLSearchParams(fields).toString(),
      responseUrl,
      options,
      `${input.command} ${input.text ?? ""}`.trim(),
    );
    this.showCommandAck(context, delivery);
    return delivery;
  }

  /** Builds a `block_actions` payload for a click on a message the app posted. */
  blockAction(input: BlockActionInput): JsonObject {
    const { workspace, store } = this.state;
    const channel = workspace.resolveChannel(input.channelId);
    const channelId = channel?.id ?? input.channelId;
    const stored = store.find(channelId, input.messageTs);
    const responseUrl = this.state.responseUrls.issue(this.state.urls.base, {
      kind: "interaction",
      channel: channelId,
      user: input.userId,
      messageTs: input.messageTs,
      threadTs: stored?.threadTs,
    }).url;
    return blockActionPayload(
      { ...input, channelId },
      {
        identity: workspace.identity,
        verificationToken: this.verificationToken(),
        triggerId: this.state.triggers.issue(input.userId),
        nowMs: this.state.now(),
        responseUrl,
        channelName: channel?.name ?? channelId.toLowerCase(),
        userName: input.userName ?? workspace.userName(input.userId),
        message: stored && !stored.deleted ? renderMessage(stored, workspace.identity) : undefined,
        threadTs: stored?.threadTs,
      },
    );
  }

  /** Builds a `view_submission` payload for a modal the app opened with views.open. */
  viewSubmission(input: ViewSubmissionInput): JsonObject {
    const opened = this.state.views.filter((record) => record.method === "views.open");
    const record =
      input.viewId !== undefined
        ? opened.find((candidate) => candidate.id === input.viewId)
        : [...opened]
            .reverse()
            .find((candidate) => input.callbackId === undefined || candidate.view.callback_id === input.callbackId);
    if (!record) {
      const wanted = input.viewId ?? input.callbackId ?? "any modal";
      throw new SlipwayError(
        "standin_no_view",
        `cannot submit ${wanted}: the app has not opened it with views.open (opened: ${opened.map((v) => String(v.view.callback_id ?? v.id)).join(", ") || "none"})`,
      );
    }
    return viewSubmissionPayload(input, {
      identity: this.state.workspace.identity,
      verificationToken: this.verificationToken(),
      triggerId: this.state.triggers.issue(input.userId),
      nowMs: this.state.now(),
      userName: input.userName ?? this.state.workspace.userName(input.userId),
      viewId: record.id,
      view: record.view,
    });
  }

  /** Sends an interaction payload (block_actions, view_submission, …). */
  interact(payload: JsonObject, options: DeliveryOptions = {}): Promise<Delivery> {
    const responseUrl = typeof payload.response_url === "string" ? payload.response_url : undefined;
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return this.deliver("interactive", payload, body, responseUrl, options, String(payload.type ?? "interaction"));
  }

  /** Sends an Events API event (e.g. `{ type: "app_home_opened", user, tab: "home" }`). */
  event(event: JsonObject, options: DeliveryOptions = {}): Promise<Delivery> {
    const payload = eventCallbackPayload(event, {
      identity: this.state.workspace.identity,
      verificationToken: this.verificationToken(),
      nowMs: this.state.now(),
    });
    return this.deliver("event", payload, JSON.stringify(payload), undefined, options, String(event.type ?? "event"));
  }

  /** Sends the very same bytes and headers again, as an attacker replaying a captured request would. */
  async replay(previous: HttpDelivery, timeoutMs?: number): Promise<HttpDelivery> {
    const answer = await sendRequest(previous.request, timeoutMs ?? this.httpTimeout(), this.state.now);
    return { ...previous, ...answer, mode: "http" };
  }

  private async deliver(
    kind: Kind,
    payload: JsonObject,
    httpBody: string,
    responseUrl: string | undefined,
    options: DeliveryOptions,
    label: string,
  ): Promise<Delivery> {
    if (this.transport(options, label) === "socket") {
      const started = this.state.now();
      const { envelope, ack } = await this.state.hub.send(ENVELOPE_TYPE[kind], payload, {
        retryAttempt: options.retryNum,
        retryReason: options.retryReason,
        timeoutMs: options.timeoutMs ?? this.state.options.ackTimeoutMs ?? 5000,
        label,
      });
      return {
        mode: "socket",
        envelopeId: envelope.envelopeId,
        ack,
        responseUrl,
        payload,
        status: 200,
        body: ack.payload === undefined ? "" : JSON.stringify(ack.payload),
        json: ack.payload,
        elapsedMs: this.state.now() - started,
      };
    }
    const url = this.eventsUrl(label);
    const contentType = kind === "event" ? "application/json" : "application/x-www-form-urlencoded";
    const request = buildSignedRequest(
      url,
      httpBody,
      contentType,
      this.state.options.signingSecret,
      Math.floor(this.state.now() / 1000),
      options,
    );
    const answer = await sendRequest(request, options.timeoutMs ?? this.httpTimeout(), this.state.now);
    return { mode: "http", request, responseUrl, payload, ...answer };
  }

  private transport(options: DeliveryOptions, label: string): "http" | "socket" {
    if (options.via) return options.via;
    const mode = this.state.options.mode ?? "auto";
    if (mode !== "auto") return mode;
    if (this.state.hub.connectionCount > 0) return "socket";
    if (this.state.eventsUrl !== undefined) return "http";
    throw new SlipwayError(
      "standin_no_route",
      `cannot send ${label} to the app: no Socket Mode client is connected and no eventsUrl is set (pass eventsUrl or call setEventsUrl)`,
    );
  }

  private eventsUrl(label: string): string {
    const url = this.state.eventsUrl;
    if (url === undefined) {
      throw new SlipwayError(
        "standin_no_route",
        `cannot send ${label} over HTTP: no eventsUrl is set (pass eventsUrl or call setEventsUrl)`,
      );
    }
    return assertLoopbackUrl(url, "eventsUrl").toString();
  }

  private httpTimeout(): number {
    return this.state.options.deliveryTimeoutMs ?? 10_000;
  }

  private verificationToken(): string {
    return this.state.options.verificationToken ?? "standin-verification-token";
  }

  /** Slack shows a slash command's ack body to the user, like a response_url answer. */
  private showCommandAck(context: ResponseContext, delivery: Delivery): void {
    if (delivery.status !== 200) return;
    let body: JsonObject | undefined;
    if (isJsonObject(delivery.json)) body = delivery.json;
    else if (delivery.mode === "http" && delivery.json === undefined && delivery.body.trim() !== "")
      body = { text: delivery.body };
    if (!body || (body.text === undefined && body.blocks === undefined)) return;
    applyResponse(context, body, "ack", {
      store: this.state.store,
      tsClock: this.state.tsClock,
      now: this.state.now,
      identity: this.state.workspace.identity,
    });
    this.state.feed.notify();
  }
}
