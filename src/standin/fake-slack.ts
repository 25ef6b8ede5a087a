import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SlipwayError } from "../errors.js";
import { AppDelivery, type Delivery, type DeliveryOptions, type HttpDelivery } from "./app-delivery.js";
import type { HeldCall } from "./call-holds.js";
import { type ApiCall, describeCall } from "./call-log.js";
import type { FaultOptions } from "./fault-injector.js";
import type { JsonObject } from "./json.js";
import { assertLoopbackUrl } from "./loopback.js";
import type { EphemeralMessage, StoredMessage } from "./message-store.js";
import type { ResponseRecord } from "./response-urls.js";
import type { BlockActionInput, CommandInput, ViewSubmissionInput } from "./slack-payloads.js";
import type { Envelope } from "./socket-hub.js";
import { createState, type FakeSlackEvents, type FakeSlackOptions, type StandInState } from "./stand-in-state.js";
import { type LooseContent, renderChannel, type TranscriptOptions, toContent, visibleText } from "./transcript.js";
import { DEFAULT_WAIT_MS, waitUntil } from "./wait-until.js";
import type { ViewRecord } from "./web-api-methods.js";
import { handleHttp } from "./web-api-routes.js";
import type { ChannelInfo } from "./workspace.js";

export interface WaitForOptions {
  /** @default 5000 */
  timeoutMs?: number;
  /** Also match calls made before waitFor was called. @default true */
  includePast?: boolean;
}

/**
 * A local Slack for the demo and the end-to-end tests: the Web API the real
 * `@slack/web-api` client talks to (SLACK_API_URL = `apiUrl`), Socket Mode,
 * response URLs, and signed requests into the app, all on 127.0.0.1.
 *
 * Stop the app under test before `close()`: a Socket Mode client that loses
 * its server tries to reconnect.
 */
export class FakeSlack {
  private readonly delivery: AppDelivery;
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly state: StandInState,
    private readonly server: Server,
  ) {
    this.delivery = new AppDelivery(state);
  }

  static async start(options: FakeSlackOptions): Promise<FakeSlack> {
    if (options.eventsUrl !== undefined) assertLoopbackUrl(options.eventsUrl, "eventsUrl");
    const state = createState(options);
    const server = createServer((req, res) => void handleHttp(state, req, res));
    server.on("upgrade", (req, socket, head) => {
      if (!state.hub.handleUpgrade(req, socket, head)) {
        socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (cause) =>
        reject(
          new SlipwayError(
            "standin_listen_failed",
            `the Slack stand-in could not listen on 127.0.0.1:${options.port ?? 0}`,
            { cause },
          ),
        ),
      );
      server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    state.urls = {
      base: `http://127.0.0.1:${port}/`,
      api: `http://127.0.0.1:${port}/api/`,
      ws: `ws://127.0.0.1:${port}/`,
    };
    return new FakeSlack(state, server);
  }

  /** Web API base for `slackApiUrl` / SLACK_API_URL, ending with `/api/`. */
  get apiUrl(): string {
    return this.state.urls.api;
  }

  /** `http://127.0.0.1:<port>/` */
  get baseUrl(): string {
    return this.state.urls.base;
  }

  get port(): number {
    return Number(new URL(this.state.urls.base).port);
  }

  /** The pretend workspace, app and bot identity. */
  get identity(): StandInState["workspace"]["identity"] {
    return { ...this.state.workspace.identity };
  }

  /** Where HTTP-mode requests go (loopback only). */
  setEventsUrl(url: string): void {
    this.state.eventsUrl = assertLoopbackUrl(url, "eventsUrl").toString();
  }

  /** Closes Socket Mode connections and the server; safe to call twice. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.state.hub.close();
      this.server.closeAllConnections();
      await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
    })();
    return this.closed;
  }

  // ── events and waiting ────────────────────────────────────────────────

  on<K extends keyof FakeSlackEvents>(event: K, listener: (...args: FakeSlackEvents[K]) => void): this {
    // The emitter's listener type is conditional on K, which TypeScript cannot resolve for a generic K.
    this.state.events.on(event, listener as never);
    return this;
  }

  off<K extends keyof FakeSlackEvents>(event: K, listener: (...args: FakeSlackEvents[K]) => void): this {
    this.state.events.off(event, listener as never);
    return this;
  }

  /** Resolves with the first Web API call matching `predicate`. */
  waitFor(predicate: (call: ApiCall) => boolean, options: WaitForOptions = {}): Promise<ApiCall> {
    const from = options.includePast === false ? this.state.calls.lastSeq : 0;
    return waitUntil(
      this.state.feed,
      () => this.state.calls.all().find((call) => call.seq > from && predicate(call)),
      options.timeoutMs ?? DEFAULT_WAIT_MS,
      () => `no Web API call matched ${describePredicate(predicate)}; ${this.state.calls.dump()}`,
    );
  }

  /** Resolves with a copy of the first stored message (in its current state) matching `predicate`. */
  waitForMessage(
    predicate: (message: StoredMessage) => boolean,
    options: Omit<WaitForOptions, "includePast"> = {},
  ): Promise<StoredMessage> {
    return waitUntil(
      this.state.feed,
      () => this.messages().find(predicate),
      options.timeoutMs ?? DEFAULT_WAIT_MS,
      () => `no message matched ${describePredicate(predicate)}; channels now:\n${this.transcript()}`,
    );
  }

  /** Resolves with the `count`-th answer posted to a response URL (by id or full URL). */
  waitForResponse(
    idOrUrl: string,
    options: Omit<WaitForOptions, "includePast"> & { count?: number } = {},
  ): Promise<ResponseRecord> {
    const count = options.count ?? 1;
    return waitUntil(
      this.state.feed,
      () => this.responsesFor(idOrUrl)[count - 1],
      options.timeoutMs ?? DEFAULT_WAIT_MS,
      () =>
        `response URL ${idOrUrl} received ${this.responsesFor(idOrUrl).length} answer(s), expected ${count}; ${this.state.calls.dump(5)}`,
    );
  }

  /** Resolves once at least one Socket Mode client is connected. */
  socketConnected(options: Omit<WaitForOptions, "includePast"> = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    return waitUntil(
      this.state.feed,
      () => (this.state.hub.connectionCount > 0 ? true : undefined),
      timeoutMs,
      () =>
        `no Socket Mode client connected (apps.connections.open calls: ${this.calls("apps.connections.open").map(describeCall).join("; ") || "none"})`,
    ).then(() => undefined);
  }

  // ── what the stand-in saw ─────────────────────────────────────────────

  /** Web API calls in arrival order, optionally of one method. */
  calls(method?: string): ApiCall[] {
    return this.state.calls.all().filter((call) => method === undefined || call.method === method);
  }

  /** Messages (roots and replies, in ts order) of one channel or of all. */
  messages(channel?: string): StoredMessage[] {
    const id = channel === undefined ? undefined : (this.state.workspace.resolveChannel(channel)?.id ?? channel);
    return structuredClone(this.state.store.all(id));
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    const id = this.state.workspace.resolveChannel(channel)?.id ?? channel;
    const found = this.state.store.find(id, ts);
    return found === undefined ? undefined : structuredClone(found);
  }

  /** A root message followed by its replies. */
  thread(channel: string, ts: string): StoredMessage[] {
    return this.messages(channel).filter((message) => message.ts === ts || message.threadTs === ts);
  }

  ephemerals(channel?: string): EphemeralMessage[] {
    const id = channel === undefined ? undefined : (this.state.workspace.resolveChannel(channel)?.id ?? channel);
    return structuredClone(this.state.store.ephemerals(id));
  }

  /** Modals opened and Home tabs published. */
  views(): ViewRecord[] {
    return structuredClone(this.state.views);
  }

  /** The Home tab last published for a user. */
  homeView(userId: string): JsonObject | undefined {
    const published = this.state.views.filter(
      (record) => record.method === "views.publish" && record.userId === userId,
    );
    const last = published[published.length - 1];
    return last === undefined ? undefined : structuredClone(last.view);
  }

  /** Answers posted to a response URL (by id or full URL). */
  responsesFor(idOrUrl: string): ResponseRecord[] {
    return structuredClone(this.state.responseUrls.get(idOrUrl)?.responses ?? []);
  }

  /** Socket Mode envelopes sent to the app, with their acks. */
  envelopes(): Envelope[] {
    return this.state.hub.envelopes();
  }

  channels(): ChannelInfo[] {
    return this.state.workspace.list();
  }

  /** Open Socket Mode connections. */
  get socketCount(): number {
    return this.state.hub.connectionCount;
  }

  /** The visible text of a message or of call arguments: the blocks flattened, else the text. */
  textOf(content: LooseContent): string {
    return visibleText(toContent(content));
  }

  /** A plain-text rendering of one channel (or all channels with messages), threads indented. */
  transcript(channel?: string, options: TranscriptOptions = {}): string {
    const { workspace, store } = this.state;
    const ids =
      channel === undefined ? store.channelsWithMessages() : [workspace.resolveChannel(channel)?.id ?? channel];
    if (ids.length === 0) return "(no messages in any channel)";
    return ids
      .map((id) => {
        const info = workspace.resolveChannel(id) ?? {
          id,
          name: id.toLowerCase(),
          isPrivate: false,
          isIm: false,
          imUser: undefined,
          created: 0,
        };
        return renderChannel(info, store.all(id), store.ephemerals(id), (user) => workspace.userName(user), options);
      })
      .join("\n\n");
  }

  // ── configuration ─────────────────────────────────────────────────────

  addChannel(channel: { id: string; name: string; isPrivate?: boolean }): void {
    this.state.workspace.addChannel(channel);
  }

  addUser(id: string, name: string): void {
    this.state.workspace.addUser(id, name);
  }

  setUsergroup(id: string, members: readonly string[]): void {
    this.state.workspace.setUsergroup(id, members);
  }

  /** Random 429s and 5xx from now on, deterministic for a given seed. A faulted call changes nothing. */
  injectFaults(options: FaultOptions): void {
    this.state.faults.inject(options);
  }

  /** The next `times` calls of `method` answer `{ ok: false, error }` and change nothing. */
  failNext(method: string, error: string, times = 1): void {
    this.state.faults.failNext(method, error, times);
  }

  /**
   * Keeps the first call that `matches` unanswered until `release()`, then
   * answers it HTTP 500 and changes nothing: a Slack call in flight when its
   * caller crashes. Or until `pass()`, then answers it as usual: a slow call.
   */
  holdNext(matches: (method: string, args: JsonObject) => boolean): HeldCall {
    return this.state.holds.add(matches);
  }

  clearFaults(): void {
    this.state.faults.clear();
  }

  setRateLimitEnforcement(enabled: boolean): void {
    this.state.enforceRateLimits = enabled;
    if (!enabled) this.state.limiter.reset();
  }

  /** Sends Socket Mode clients a `disconnect` message; they reconnect through apps.connections.open. */
  disconnectSockets(reason: "warning" | "refresh_requested" | "link_disabled" = "refresh_requested"): void {
    this.state.hub.disconnectAll(reason);
  }

  // ── requests into the app ─────────────────────────────────────────────

  /** A slash command, as Slack sends it; resolves with the app's ack. */
  command(input: CommandInput, options?: DeliveryOptions): Promise<Delivery> {
    return this.delivery.command(input, options);
  }

  /** Builds a realistic `block_actions` payload for an element of a stored message. */
  blockAction(input: BlockActionInput): JsonObject {
    return this.delivery.blockAction(input);
  }

  /** Builds a `view_submission` payload for a modal the app opened. */
  viewSubmission(input: ViewSubmissionInput): JsonObject {
    return this.delivery.viewSubmission(input);
  }

  /** Sends an interaction payload (`payload=<json>` over HTTP, an `interactive` envelope over Socket Mode). */
  interact(payload: JsonObject, options?: DeliveryOptions): Promise<Delivery> {
    return this.delivery.interact(payload, options);
  }

  /** `blockAction` + `interact` in one step. */
  click(input: BlockActionInput, options?: DeliveryOptions): Promise<Delivery> {
    return this.delivery.interact(this.delivery.blockAction(input), options);
  }

  /** An Events API event, e.g. `{ type: "app_home_opened", user: "U1", tab: "home" }`. */
  event(event: JsonObject, options?: DeliveryOptions): Promise<Delivery> {
    return this.delivery.event(event, options);
  }

  /** Sends a captured HTTP request again, byte for byte. */
  replay(previous: HttpDelivery, timeoutMs?: number): Promise<HttpDelivery> {
    return this.delivery.replay(previous, timeoutMs);
  }
}

function describePredicate(predicate: (value: never) => boolean): string {
  const source = predicate.toString().replace(/\s+/g, " ");
  return source.length > 120 ? `${source.slice(0, 119)}…` : source;
}
