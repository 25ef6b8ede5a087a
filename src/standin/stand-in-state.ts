import { EventEmitter } from "node:events";
import { CallHolds } from "./call-holds.js";
import { type ApiCall, CallLog } from "./call-log.js";
import { FaultInjector } from "./fault-injector.js";
import { MessageStore, type StoredMessage } from "./message-store.js";
import { RateLimiter, type RateLimitOptions } from "./rate-limiter.js";
import { type ResponseRecord, type ResponseUrlEntry, ResponseUrls } from "./response-urls.js";
import { SlackTsClock } from "./slack-ts.js";
import { SocketHub } from "./socket-hub.js";
import { TriggerIds } from "./trigger-ids.js";
import { ChangeFeed } from "./wait-until.js";
import type { ViewRecord } from "./web-api-methods.js";
import { DEFAULT_IDENTITY, Workspace, type WorkspaceIdentity } from "./workspace.js";

/** Options of `FakeSlack.start`. */
export interface FakeSlackOptions {
  /** The bot token (`xoxb-…`) Web API calls must carry. */
  botToken: string;
  /** The app-level token (`xapp-…`) apps.connections.open must carry; without it Socket Mode is refused. */
  appToken?: string;
  /** Signs requests sent into the app. */
  signingSecret: string;
  /** Where HTTP-mode requests go, e.g. http://127.0.0.1:3000/slack/events. Loopback only. */
  eventsUrl?: string;
  /** How requests reach the app; `auto` uses Socket Mode when a client is connected, else HTTP. @default "auto" */
  mode?: "http" | "socket" | "auto";
  /** Refuse calls beyond Slack's rate limits with HTTP 429 and Retry-After. @default false */
  enforceRateLimits?: boolean;
  /** Tunes the enforced limits. */
  rateLimits?: RateLimitOptions;
  /** User group ID → member user IDs, for usergroups.users.list. */
  usergroups?: Record<string, readonly string[]>;
  /** User ID → display name, for payloads and transcripts. */
  users?: Record<string, string>;
  /** Channels known by ID and name from the start. */
  channels?: ReadonlyArray<{ id: string; name: string; isPrivate?: boolean }>;
  /** Channel IDs shaped like Slack's (C…, G…, D…) exist on first use. @default true */
  autoCreateChannels?: boolean;
  /** Overrides the pretend workspace, app and bot identity. */
  identity?: Partial<WorkspaceIdentity>;
  /** Port on 127.0.0.1. @default 0 (a free port) */
  port?: number;
  /** The clock, in ms since the epoch. @default Date.now */
  now?: () => number;
  /** The legacy verification token put in payloads. @default "standin-verification-token" */
  verificationToken?: string;
  /** How long to wait for a Socket Mode ack. @default 5000 */
  ackTimeoutMs?: number;
  /** How long to wait for the app's HTTP answer. @default 10000 */
  deliveryTimeoutMs?: number;
  /** How long a trigger_id stays usable for views.open. @default 3000 */
  triggerTtlMs?: number;
  /** Interval of server pings on Socket Mode connections. @default 10000 */
  pingIntervalMs?: number;
}

/** Events of the stand-in, for tests that want to react rather than wait. */
export type FakeSlackEvents = {
  call: [ApiCall];
  message: [StoredMessage];
  response: [ResponseUrlEntry, ResponseRecord];
  connection: [number];
};

export interface StandInUrls {
  base: string;
  api: string;
  ws: string;
}

/** Everything the stand-in's parts share. */
export interface StandInState {
  readonly options: FakeSlackOptions;
  readonly now: () => number;
  readonly workspace: Workspace;
  readonly store: MessageStore;
  readonly tsClock: SlackTsClock;
  readonly calls: CallLog;
  readonly feed: ChangeFeed;
  readonly events: EventEmitter<FakeSlackEvents>;
  readonly faults: FaultInjector;
  readonly holds: CallHolds;
  readonly limiter: RateLimiter;
  readonly responseUrls: ResponseUrls;
  readonly triggers: TriggerIds;
  readonly views: ViewRecord[];
  readonly hub: SocketHub;
  urls: StandInUrls;
  eventsUrl: string | undefined;
  enforceRateLimits: boolean;
}

export function createState(options: FakeSlackOptions): StandInState {
  const now = options.now ?? Date.now;
  const identity = { ...DEFAULT_IDENTITY, ...options.identity };
  const workspace = new Workspace(identity, options.autoCreateChannels ?? true, now);
  for (const channel of options.channels ?? []) workspace.addChannel(channel);
  for (const [id, name] of Object.entries(options.users ?? {})) workspace.addUser(id, name);
  for (const [id, members] of Object.entries(options.usergroups ?? {})) workspace.setUsergroup(id, members);
  const feed = new ChangeFeed();
  const events = new EventEmitter<FakeSlackEvents>();
  const hub = new SocketHub({
    appId: identity.appId,
    now,
    pingIntervalMs: options.pingIntervalMs ?? 10_000,
    feed,
    onConnections: (count) => events.emit("connection", count),
  });
  return {
    options,
    now,
    workspace,
    store: new MessageStore((message) => events.emit("message", structuredClone(message))),
    tsClock: new SlackTsClock(now),
    calls: new CallLog(),
    feed,
    events,
    faults: new FaultInjector(),
    holds: new CallHolds(),
    limiter: new RateLimiter(options.rateLimits ?? {}, now),
    responseUrls: new ResponseUrls(now),
    triggers: new TriggerIds(now, options.triggerTtlMs ?? 3000),
    views: [],
    hub,
    urls: { base: "", api: "", ws: "" },
    eventsUrl: options.eventsUrl,
    enforceRateLimits: options.enforceRateLimits ?? false,
  };
}
