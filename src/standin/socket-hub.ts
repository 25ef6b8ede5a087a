import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import { z } from "zod";
import { SlipwayError } from "../errors.js";
import { type JsonObject, parseJson } from "./json.js";
import type { ChangeFeed } from "./wait-until.js";

export type EnvelopeType = "slash_commands" | "interactive" | "events_api";

/** What the app sent back for an envelope: `{ envelope_id, payload? }`. */
export interface SocketAck {
  envelope_id: string;
  payload?: unknown;
}

/** One Socket Mode envelope sent to the app, with its ack once it came. */
export interface Envelope {
  envelopeId: string;
  type: EnvelopeType;
  payload: JsonObject;
  retryAttempt: number;
  retryReason: string;
  sentAt: number;
  ack: SocketAck | undefined;
  ackedAt: number | undefined;
}

export interface SendOptions {
  retryAttempt?: number;
  retryReason?: string;
  /** How long to wait for the ack. */
  timeoutMs: number;
  /** Short description for error messages, e.g. "/deploy production v1.2.0". */
  label: string;
}

interface PendingAck {
  socket: WebSocket;
  envelope: Envelope;
  resolve: (ack: SocketAck) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const ackSchema = z.object({ envelope_id: z.string(), payload: z.unknown().optional() });

/**
 * The Socket Mode side of the stand-in: single-use tickets from
 * apps.connections.open, the `hello` greeting, server pings, envelopes out and
 * acks back matched by envelope_id.
 */
export class SocketHub {
  private readonly server = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly sockets = new Set<WebSocket>();
  private readonly pending = new Map<string, PendingAck>();
  private readonly sent: Envelope[] = [];
  private turn = 0;

  constructor(
    private readonly options: {
      appId: string;
      now: () => number;
      pingIntervalMs: number;
      feed: ChangeFeed;
      /** Told the number of open connections whenever it changes. */
      onConnections: (count: number) => void;
    },
  ) {}

  /** A URL for apps.connections.open; its ticket works once. */
  issueUrl(wsBase: string): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return `${wsBase}link/?ticket=${ticket}&app_id=${this.options.appId}`;
  }

  /** Takes over an HTTP upgrade for `/link/`; answers false for any other path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/link/" && url.pathname !== "/link") return false;
    const ticket = url.searchParams.get("ticket") ?? "";
    if (!this.tickets.delete(ticket)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return true;
    }
    this.server.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    return true;
  }

  get connectionCount(): number {
    return [...this.sockets].filter((ws) => ws.readyState === WebSocket.OPEN).length;
  }

  envelopes(): Envelope[] {
    return this.sent.map((envelope) => ({ ...envelope }));
  }

  /** Sends an envelope to one connected client (round robin) and resolves with its ack. */
  send(type: EnvelopeType, payload: JsonObject, options: SendOptions): Promise<{ envelope: Envelope; ack: SocketAck }> {
    const open = [...this.sockets].filter((ws) => ws.readyState === WebSocket.OPEN);
    const socket = open[this.turn % Math.max(open.length, 1)];
    this.turn += 1;
    if (!socket) {
      return Promise.reject(
        new SlipwayError(
          "standin_no_socket",
          `cannot send ${options.label} over Socket Mode: no client is connected (start the app with socketMode: true and await slack.socketConnected())`,
        ),
      );
    }
    const envelope: Envelope = {
      envelopeId: randomUUID(),
      type,
      payload,
      retryAttempt: options.retryAttempt ?? 0,
      retryReason: options.retryReason ?? "",
      sentAt: this.options.now(),
      ack: undefined,
      ackedAt: undefined,
    };
    this.sent.push(envelope);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelope.envelopeId);
        reject(
          new SlipwayError(
            "standin_ack_timeout",
            `Socket Mode client did not ack envelope ${envelope.envelopeId} (${type}: ${options.label}) within ${options.timeoutMs} ms`,
          ),
        );
      }, options.timeoutMs);
      this.pending.set(envelope.envelopeId, {
        socket,
        envelope,
        timer,
        reject,
        resolve: (ack) => resolve({ envelope: { ...envelope }, ack }),
      });
      socket.send(
        JSON.stringify({
          envelope_id: envelope.envelopeId,
          type,
          payload,
          accepts_response_payload: type !== "events_api",
          retry_attempt: envelope.retryAttempt,
          retry_reason: envelope.retryReason,
        }),
      );
    });
  }

  /** Asks every client to reconnect, as Slack does before recycling a server. */
  disconnectAll(reason: "warning" | "refresh_requested" | "link_disabled"): void {
    for (const ws of this.sockets) {
      ws.send(JSON.stringify({ type: "disconnect", reason, debug_info: { host: "applink-standin" } }));
    }
  }

  async close(): Promise<void> {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(
        new SlipwayError(
          "standin_closed",
          `the stand-in closed before envelope ${pending.envelope.envelopeId} was acked`,
        ),
      );
    }
    this.pending.clear();
    await Promise.all([...this.sockets].map((ws) => closeSocket(ws)));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    const pinger = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.ping(Buffer.from(`ping ${randomBytes(4).toString("hex")}`));
    }, this.options.pingIntervalMs);
    pinger.unref();
    ws.on("message", (data, isBinary) => {
      if (!isBinary) this.onMessage(data);
    });
    ws.on("error", () => ws.terminate());
    ws.on("close", () => {
      clearInterval(pinger);
      this.sockets.delete(ws);
      for (const [id, pending] of this.pending) {
        if (pending.socket !== ws) continue;
        clearTimeout(pending.timer);
        this.pending.delete(id);
        pending.reject(
          new SlipwayError("standin_socket_closed", `Socket Mode connection closed before envelope ${id} was acked`),
        );
      }
      this.options.onConnections(this.connectionCount);
      this.options.feed.notify();
    });
    ws.send(
      JSON.stringify({
        type: "hello",
        num_connections: this.connectionCount,
        debug_info: { host: "applink-standin", build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.options.appId },
      }),
    );
    this.options.onConnections(this.connectionCount);
    this.options.feed.notify();
  }

  private onMessage(data: RawData): void {
    const parsed = ackSchema.safeParse(parseJson(rawText(data)));
    if (!parsed.success) return;
    const pending = this.pending.get(parsed.data.envelope_id);
    if (!pending) return;
    this.pending.delete(parsed.data.envelope_id);
    clearTimeout(pending.timer);
    const ack: SocketAck = { envelope_id: parsed.data.envelope_id };
    if (parsed.data.payload !== undefined) ack.payload = parsed.data.payload;
    const record = this.sent.find((envelope) => envelope.envelopeId === ack.envelope_id);
    if (record) {
      record.ack = ack;
      record.ackedAt = this.options.now();
    }
    pending.resolve(ack);
    this.options.feed.notify();
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  return Buffer.from(data).toString("utf8");
}

function closeSocket(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => ws.terminate(), 500);
    ws.once("close", () => {
      clearTimeout(force);
      resolve();
    });
    ws.close(1001, "stand-in closing");
  });
}
