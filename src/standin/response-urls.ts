import { randomBytes } from "node:crypto";
import type { JsonObject } from "./json.js";

/** Where a response URL's answers go: the conversation of the command or action. */
export interface ResponseContext {
  kind: "command" | "interaction";
  channel: string;
  user: string;
  /** The message the action was taken on, for `replace_original` / `delete_original`. */
  messageTs: string | undefined;
  threadTs: string | undefined;
}

/** One POST to a response URL and what the stand-in did with it. */
export interface ResponseRecord {
  body: JsonObject;
  status: number;
  outcome: "ephemeral" | "in_channel" | "replaced" | "deleted" | "rejected";
  error: string | undefined;
  at: number;
}

export interface ResponseUrlEntry {
  id: string;
  url: string;
  context: ResponseContext;
  createdAt: number;
  responses: ResponseRecord[];
}

/** Slack allows five answers within 30 minutes per response URL. */
export const RESPONSE_URL_LIMITS = { uses: 5, ttlMs: 30 * 60_000 } as const;

export class ResponseUrls {
  private readonly entries = new Map<string, ResponseUrlEntry>();

  constructor(private readonly now: () => number) {}

  issue(baseUrl: string, context: ResponseContext): ResponseUrlEntry {
    const id = randomBytes(12).toString("hex");
    const entry: ResponseUrlEntry = {
      id,
      url: `${baseUrl}response/${id}`,
      context,
      createdAt: this.now(),
      responses: [],
    };
    this.entries.set(id, entry);
    return entry;
  }

  /** Looks an entry up by its id or its full URL. */
  get(idOrUrl: string): ResponseUrlEntry | undefined {
    const id = idOrUrl.includes("/") ? (idOrUrl.split("/response/")[1] ?? "") : idOrUrl;
    return this.entries.get(id.replace(/[/?#].*$/, ""));
  }

  all(): ResponseUrlEntry[] {
    return [...this.entries.values()];
  }
}
