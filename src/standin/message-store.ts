import type { JsonObject } from "./json.js";
import { compareSlackTs } from "./slack-ts.js";

/** One version of a message's content. */
export interface MessageContent {
  text: string;
  blocks: JsonObject[];
  attachments: JsonObject[];
}

export interface MessageVersion extends MessageContent {
  /** When this version was replaced (ms since epoch). */
  replacedAt: number;
}

export interface StoredMessage extends MessageContent {
  channel: string;
  ts: string;
  /** The root's ts for a thread reply; `undefined` for a root message. */
  threadTs: string | undefined;
  user: string;
  botId: string | undefined;
  metadata: unknown;
  /** Earlier versions, oldest first; empty when never edited. */
  edits: MessageVersion[];
  /** ts of the replies, for a root message. */
  replies: string[];
  deleted: boolean;
  postedAt: number;
}

export interface EphemeralMessage extends MessageContent {
  channel: string;
  ts: string;
  threadTs: string | undefined;
  /** The only user who sees it. */
  user: string;
  /** `api` for chat.postEphemeral, `response_url` or `ack` for answers to a command or action. */
  source: "api" | "response_url" | "ack";
  postedAt: number;
}

/** Every message the stand-in has seen, per channel, with threads and edits. */
export class MessageStore {
  private readonly byChannel = new Map<string, Map<string, StoredMessage>>();
  private readonly ephemeralList: EphemeralMessage[] = [];

  /** @param onChange told about every message posted, edited or deleted */
  constructor(private readonly onChange: (message: StoredMessage) => void = () => undefined) {}

  post(message: Omit<StoredMessage, "edits" | "replies" | "deleted">): StoredMessage {
    const stored: StoredMessage = { ...message, edits: [], replies: [], deleted: false };
    this.channelMap(message.channel).set(message.ts, stored);
    if (message.threadTs !== undefined) {
      this.find(message.channel, message.threadTs)?.replies.push(message.ts);
    }
    this.onChange(stored);
    return stored;
  }

  postEphemeral(message: EphemeralMessage): void {
    this.ephemeralList.push(message);
  }

  find(channel: string, ts: string): StoredMessage | undefined {
    return this.byChannel.get(channel)?.get(ts);
  }

  /** Replaces the given parts of a message's content, keeping the earlier version. */
  update(message: StoredMessage, change: Partial<MessageContent>, at: number): void {
    message.edits.push({
      text: message.text,
      blocks: message.blocks,
      attachments: message.attachments,
      replacedAt: at,
    });
    if (change.text !== undefined) message.text = change.text;
    if (change.blocks !== undefined) message.blocks = change.blocks;
    if (change.attachments !== undefined) message.attachments = change.attachments;
    this.onChange(message);
  }

  delete(message: StoredMessage): void {
    message.deleted = true;
    this.onChange(message);
  }

  /** Messages of a channel (or of all channels) in ts order, replies included. */
  all(channel?: string): StoredMessage[] {
    const maps = channel === undefined ? [...this.byChannel.values()] : [this.byChannel.get(channel) ?? new Map()];
    return maps.flatMap((map) => [...map.values()]).sort((a, b) => compareSlackTs(a.ts, b.ts));
  }

  ephemerals(channel?: string): EphemeralMessage[] {
    return this.ephemeralList.filter((message) => channel === undefined || message.channel === channel);
  }

  channelsWithMessages(): string[] {
    const ids = new Set<string>(this.byChannel.keys());
    for (const message of this.ephemeralList) ids.add(message.channel);
    return [...ids];
  }

  private channelMap(channel: string): Map<string, StoredMessage> {
    let map = this.byChannel.get(channel);
    if (!map) {
      map = new Map();
      this.byChannel.set(channel, map);
    }
    return map;
  }
}
