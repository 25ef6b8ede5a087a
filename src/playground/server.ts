import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { DemoWorkspace } from "../demo/workspace.js";
import { coerceError } from "../errors.js";
import type { Delivery } from "../standin/app-delivery.js";
import type { FakeSlack } from "../standin/fake-slack.js";
import { isJsonObject, type JsonObject } from "../standin/json.js";

/*
 * The playground: the stand-in's workspace in a browser page, as Slack would
 * show it. The page reads the whole workspace from /api/state and reads it
 * again whenever /api/events (Server-Sent Events) says something changed;
 * what a person does there (a slash command, a click, a modal submitted, the
 * Home tab opened) comes back as a POST and goes into Slipway as the
 * stand-in's signed request, exactly as Slack would send it. The page is
 * plain HTML, CSS and one script, served from src/playground/web.
 */

const WEB = fileURLToPath(new URL("../../src/playground/web/", import.meta.url));
const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/mrkdwn.js": { file: "mrkdwn.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};
const MAX_BODY = 64 * 1024;

export interface PlaygroundOptions {
  readonly slack: FakeSlack;
  readonly workspace: DemoWorkspace;
  /** Extra buttons on the page: name → what it starts (the story); a string answer says why it did not start. */
  readonly plays?: Readonly<Record<string, () => string | undefined>>;
  /** @default 0: any free port */
  readonly port?: number;
}

export interface Playground {
  readonly url: string;
  close(): Promise<void>;
}

class BadRequest extends Error {}
/** The request was understood but cannot be done now (a play already playing). */
class Conflict extends Error {}

function text(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "") throw new BadRequest(`${what} must be a non-empty string`);
  return value;
}

async function body(req: IncomingMessage): Promise<JsonObject> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new BadRequest("request body too large");
    chunks.push(chunk);
  }
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
  if (!isJsonObject(parsed)) throw new BadRequest("expected a JSON object");
  return parsed;
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(payload));
}

/** What the app answered a request with: its status, and its JSON body when it has one (modal errors). */
function answer(delivery: Delivery): { status: number; body: unknown } {
  return { status: delivery.status, body: delivery.json ?? null };
}

export async function startPlayground(options: PlaygroundOptions): Promise<Playground> {
  const { slack, workspace } = options;
  const streams = new Set<ServerResponse>();
  /** Modals the person closed or submitted, so the page stops showing them. */
  const closedViews = new Set<string>();
  let pending: NodeJS.Timeout | undefined;
  const changed = () => {
    pending ??= setTimeout(() => {
      pending = undefined;
      for (const stream of streams) stream.write("event: change\ndata: {}\n\n");
    }, 40);
  };
  slack.on("call", changed).on("message", changed).on("response", changed);

  const state = () => ({
    identity: slack.identity,
    channels: workspace.channels,
    users: Object.entries(workspace.users).map(([id, name]) => ({ id, name, roles: workspace.rolesOf[id] ?? [] })),
    messages: slack.messages().filter((m) => !m.deleted),
    ephemerals: slack.ephemerals(),
    modals: slack
      .views()
      .filter((v) => v.method === "views.open" && !closedViews.has(v.id))
      .map((v) => ({ id: v.id, userId: v.userId, view: v.view })),
    homes: Object.fromEntries(Object.keys(workspace.users).map((id) => [id, slack.homeView(id) ?? null])),
    plays: Object.keys(options.plays ?? {}),
  });

  const routes: Record<string, (input: JsonObject) => Promise<unknown>> = {
    async command(input) {
      const typed = text(input.text, "text").trim();
      const match = /^(\/[a-z][a-z0-9_-]*)\s*([\s\S]*)$/.exec(typed);
      if (!match) throw new BadRequest(`'${typed}' is not a slash command: start with /, e.g. /deploy help`);
      return answer(
        await slack.command({
          command: match[1] ?? "",
          text: match[2] ?? "",
          userId: text(input.userId, "userId"),
          channelId: text(input.channelId, "channelId"),
        }),
      );
    },
    async action(input) {
      const selected = Array.isArray(input.selectedValues) ? input.selectedValues.map(String) : undefined;
      return answer(
        await slack.click({
          actionId: text(input.actionId, "actionId"),
          userId: text(input.userId, "userId"),
          channelId: text(input.channelId, "channelId"),
          messageTs: text(input.messageTs, "messageTs"),
          ...(typeof input.value === "string" ? { value: input.value } : {}),
          ...(typeof input.blockId === "string" ? { blockId: input.blockId } : {}),
          ...(selected ? { selectedValues: selected } : {}),
        }),
      );
    },
    async submit(input) {
      const viewId = text(input.viewId, "viewId");
      if (!isJsonObject(input.values)) throw new BadRequest("values must be Slack's state.values object");
      const delivery = await slack.interact(
        slack.viewSubmission({
          userId: text(input.userId, "userId"),
          viewId,
          values: input.values as Record<string, Record<string, JsonObject>>,
        }),
      );
      const result = answer(delivery);
      const errors = isJsonObject(result.body) && result.body.response_action === "errors";
      if (!errors) closedViews.add(viewId);
      changed();
      return result;
    },
    async close(input) {
      closedViews.add(text(input.viewId, "viewId"));
      changed();
      return { status: 200, body: null };
    },
    async home(input) {
      return answer(await slack.event({ type: "app_home_opened", user: text(input.userId, "userId"), tab: "home" }));
    },
    async play(input) {
      const name = text(input.name, "name");
      const play = options.plays?.[name];
      if (!play) throw new BadRequest(`no play named '${name}'`);
      const refused = play();
      if (refused !== undefined) throw new Conflict(refused);
      return { status: 202, body: null };
    },
  };

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://playground").pathname;
    const file = FILES[path];
    if (req.method === "GET" && file) {
      readFile(`${WEB}${file.file}`).then(
        (content) => {
          res.writeHead(200, { "content-type": file.type, "cache-control": "no-store" });
          res.end(content);
        },
        () => send(res, 500, { error: `${file.file} is missing from the playground's files` }),
      );
      return;
    }
    if (req.method === "GET" && path === "/api/state") return send(res, 200, state());
    if (req.method === "GET" && path === "/api/events") {
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
        connection: "keep-alive",
      });
      res.write("event: change\ndata: {}\n\n");
      streams.add(res);
      req.on("close", () => streams.delete(res));
      return;
    }
    const route = req.method === "POST" && path.startsWith("/api/") ? routes[path.slice(5)] : undefined;
    if (!route) return send(res, 404, { error: `no ${req.method} ${path} here` });
    body(req)
      .then(route)
      .then(
        (result) => {
          changed();
          send(res, 200, result);
        },
        (thrown: unknown) => {
          const error = coerceError(thrown);
          const status =
            thrown instanceof Conflict
              ? 409
              : thrown instanceof BadRequest || thrown instanceof SyntaxError
                ? 400
                : 500;
          send(res, status, {
            error: error.message,
          });
        },
      );
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      slack.off("call", changed).off("message", changed).off("response", changed);
      if (pending) clearTimeout(pending);
      for (const stream of streams) stream.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
