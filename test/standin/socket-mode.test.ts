import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startSocketApp } from "./bolt-apps.js";
import { APP_TOKEN, CHANNEL, client, Harness, rejectionOf } from "./support.js";

const harness = new Harness();
afterEach(() => harness.closeAll());

describe("a real Bolt app in Socket Mode", () => {
  it("connects through apps.connections.open and gets the slash command's ack back", async () => {
    const slack = await harness.slack();
    await startSocketApp(harness, slack, (app) => {
      app.command("/deploy", async ({ ack, command }) => {
        await ack({ text: `Deploying ${command.text}` });
      });
    });
    expect(slack.calls("apps.connections.open")).toMatchObject([{ status: 200, response: { ok: true } }]);
    expect(slack.socketCount).toBe(1);

    const delivery = await slack.command({
      command: "/deploy",
      text: "production v1.2.0",
      userId: "U0ALICE01",
      channelId: CHANNEL,
    });
    if (delivery.mode !== "socket") throw new Error(`expected a Socket Mode delivery, got ${delivery.mode}`);
    expect(delivery.ack).toEqual({
      envelope_id: delivery.envelopeId,
      payload: { text: "Deploying production v1.2.0" },
    });
    expect(delivery.json).toEqual({ text: "Deploying production v1.2.0" });
    expect(slack.envelopes()).toMatchObject([
      { type: "slash_commands", envelopeId: delivery.envelopeId, ack: delivery.ack },
    ]);
    expect(slack.ephemerals(CHANNEL)).toMatchObject([{ text: "Deploying production v1.2.0", source: "ack" }]);
  });

  it("delivers interactions and events, and the app's Web API calls land in the stand-in", async () => {
    const slack = await harness.slack();
    await startSocketApp(harness, slack, (app) => {
      app.action("approve", async ({ ack, respond }) => {
        await ack();
        await respond({ replace_original: true, text: "Approved" });
      });
      app.event("app_home_opened", async ({ event, client: web }) => {
        await web.views.publish({ user_id: event.user, view: { type: "home", blocks: [] } });
      });
    });
    const card = await client(slack).chat.postMessage({
      channel: CHANNEL,
      text: "Approve?",
      blocks: [
        {
          type: "actions",
          elements: [{ type: "button", action_id: "approve", text: { type: "plain_text", text: "Approve" } }],
        },
      ],
    });
    const click = await slack.click({
      actionId: "approve",
      userId: "U0ALICE01",
      channelId: CHANNEL,
      messageTs: card.ts ?? "",
    });
    expect(click.mode).toBe("socket");
    await slack.waitForMessage((message) => message.ts === card.ts && message.text === "Approved");

    const opened = await slack.event({ type: "app_home_opened", user: "U0ALICE01", channel: "D0ALICE01", tab: "home" });
    expect(opened.mode).toBe("socket");
    await slack.waitFor((call) => call.method === "views.publish" && call.args.user_id === "U0ALICE01");
    expect(slack.envelopes().map((envelope) => envelope.type)).toEqual(["interactive", "events_api"]);
  });

  it("fails clearly when the app does not ack in time", async () => {
    const slack = await harness.slack();
    await startSocketApp(harness, slack, (app) => {
      app.command("/deploy", async () => undefined);
    });
    const thrown = await rejectionOf(
      slack.command(
        { command: "/deploy", text: "production", userId: "U0ALICE01", channelId: CHANNEL },
        { timeoutMs: 100 },
      ),
    );
    expect((thrown as Error).message).toMatch(
      /did not ack envelope .* \(slash_commands: \/deploy production\) within 100 ms/,
    );
  });

  it("reconnects after Slack asks the client to", async () => {
    const slack = await harness.slack();
    await startSocketApp(
      harness,
      slack,
      (app) => {
        app.command("/deploy", async ({ ack }) => {
          await ack({ text: "still here" });
        });
      },
      50,
    );
    const reconnected = slack.waitFor((call) => call.method === "apps.connections.open", { includePast: false });
    const dropped = new Promise<void>((resolve) => {
      const listener = (count: number): void => {
        if (count === 0) {
          slack.off("connection", listener);
          resolve();
        }
      };
      slack.on("connection", listener);
    });
    slack.disconnectSockets("refresh_requested");
    await dropped;
    await reconnected;
    await slack.socketConnected();
    const delivery = await slack.command({ command: "/deploy", userId: "U0ALICE01", channelId: CHANNEL });
    expect(delivery.json).toEqual({ text: "still here" });
  });
});

describe("Socket Mode handshake", () => {
  it("greets with hello and refuses reused or unknown tickets", async () => {
    const slack = await harness.slack();
    const open = await fetch(`${slack.apiUrl}apps.connections.open`, {
      method: "POST",
      headers: { Authorization: `Bearer ${APP_TOKEN}` },
    });
    const { url } = (await open.json()) as { url: string };
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/);

    const ws = new WebSocket(url);
    harness.onClose(async () => ws.close());
    const hello = await new Promise<unknown>((resolve, reject) => {
      ws.once("message", (data: Buffer) => resolve(JSON.parse(data.toString("utf8"))));
      ws.once("error", reject);
    });
    expect(hello).toMatchObject({
      type: "hello",
      num_connections: 1,
      connection_info: { app_id: slack.identity.appId },
    });

    const refusal = (target: string) =>
      new Promise<number>((resolve) => {
        const socket = new WebSocket(target);
        socket.on("error", () => undefined);
        socket.once("unexpected-response", (req, res) => {
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
      });
    expect(await refusal(url)).toBe(401);
    expect(await refusal(url.replace(/ticket=[^&]+/, "ticket=made-up"))).toBe(401);

    await slack.socketConnected();
    expect(slack.socketCount).toBe(1);
  });
});
