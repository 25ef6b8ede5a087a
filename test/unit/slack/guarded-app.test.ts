import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type BlockAction, HTTPReceiver, type ReceiverEvent } from "@slack/bolt";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { coerceError } from "../../../src/errors.js";
import { createLogger } from "../../../src/logger.js";
import { boltLogger } from "../../../src/slack/bolt-logger.js";
import { answerMalformedOverHttp, answerMalformedOverSocket, GuardedApp } from "../../../src/slack/guarded-app.js";
import { buildSignedRequest, sendRequest } from "../../../src/standin/http-delivery.js";
import type { JsonObject } from "../../../src/standin/json.js";

/* A GuardedApp behind Bolt's real HTTPReceiver on a loopback port, sent signed requests. */

const SECRET = "guarded-app-test-secret";
const log = createLogger("silent");

function click(actionId: string): JsonObject {
  return {
    type: "block_actions",
    user: { id: "U0APPROVE1" },
    team: { id: "T0SLIPWAY1" },
    channel: { id: "C0DEPLOYS" },
    response_url: "http://127.0.0.1:9/actions/1",
    trigger_id: `1.2.${Math.random()}`,
    actions: [{ type: "button", action_id: actionId, value: "d-7k3m9x2q" }],
  };
}

describe("GuardedApp", () => {
  let server: Server;
  let url: string;
  let app: GuardedApp;
  let clicks: string[] = [];
  let errors: string[] = [];

  beforeAll(async () => {
    const logger = boltLogger(log);
    const receiver = new HTTPReceiver({
      signingSecret: SECRET,
      logger,
      processEventErrorHandler: answerMalformedOverHttp(log),
    });
    app = new GuardedApp({ receiver, logger, authorize: async () => ({ botToken: "xoxb-test" }) }, log);
    app.action<BlockAction>("slipway_approve", async ({ ack, body }) => {
      await ack();
      clicks.push(body.user.id);
    });
    app.action<BlockAction>("slipway_broken", async () => {
      throw new Error("broke before acknowledging");
    });
    app.command("/deploy", async ({ ack, command }) =>
      ack({ response_type: "ephemeral", text: `ok ${command.user_id}` }),
    );
    app.error(async (error) => {
      errors.push(error.message);
    });
    server = createServer(receiver.requestListener);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  });

  beforeEach(() => {
    clicks = [];
    errors = [];
  });

  function post(body: string) {
    const now = Math.floor(Date.now() / 1000);
    return sendRequest(
      buildSignedRequest(url, body, "application/x-www-form-urlencoded", SECRET, now, {}),
      5_000,
      Date.now,
    );
  }

  const interact = (payload: JsonObject) => post(`payload=${encodeURIComponent(JSON.stringify(payload))}`);

  it("answers 400 with the reason to a signed click that lacks a field Slack always sends, and runs no listener", async () => {
    const { user: _user, ...payload } = click("slipway_approve");
    const answer = await interact(payload);
    expect(answer.status).toBe(400);
    expect(answer.body).toBe(
      "malformed Slack request: block_actions: user: Invalid input: expected object, received undefined\n",
    );
    expect(clicks).toEqual([]);
  });

  it("refuses a signed slash command that names no user", async () => {
    const answer = await post("command=%2Fdeploy&text=production%20v1.2.0&user_id=&channel_id=C0DEPLOYS");
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(/^malformed Slack request: slash command: user_id: /);
  });

  it("leaves a handled request's answer to its listener", async () => {
    const answer = await post("command=%2Fdeploy&text=help&user_id=U0DEPLOY01&channel_id=C0DEPLOYS");
    expect(answer).toMatchObject({ status: 200, json: { response_type: "ephemeral", text: "ok U0DEPLOY01" } });
    expect(await interact(click("slipway_approve"))).toMatchObject({ status: 200, body: "" });
    expect(clicks).toEqual(["U0APPROVE1"]);
    expect(errors).toEqual([]);
  });

  it("acknowledges at once a click no listener handles, and one whose listener failed before acknowledging", async () => {
    for (const actionId of ["slipway_deploy_everything", "slipway_broken"]) {
      const answer = await interact(click(actionId));
      expect(answer.status, actionId).toBe(200);
      // Bolt's own unhandled-request answer would come only after its timer (3 s by default).
      expect(answer.elapsedMs, actionId).toBeLessThan(1_000);
    }
    expect(errors).toEqual(["broke before acknowledging"]);
  });

  it("refuses a malformed Socket Mode delivery, acknowledged so Slack does not deliver it again", async () => {
    const acks: unknown[] = [];
    const event: ReceiverEvent = {
      body: { type: "block_actions", actions: [null] },
      ack: async (r) => void acks.push(r),
    };
    const error = await app.processEvent(event).then(
      () => undefined,
      (thrown: unknown) => coerceError(thrown),
    );
    expect(error).toMatchObject({ code: "malformed_slack_request" });
    const handler = answerMalformedOverSocket(log);
    expect(await handler({ error: error ?? new Error("none"), logger: boltLogger(log), event })).toBe(true);
    expect(await handler({ error: new Error("other"), logger: boltLogger(log), event })).toBe(false);
    expect(acks).toEqual([]);
  });
});
