import { describe, expect, it } from "vitest";
import { checkPayloadShape } from "../../../src/slack/payload-shape.js";
import type { JsonObject } from "../../../src/standin/json.js";
import {
  blockActionPayload,
  eventCallbackPayload,
  type PayloadContext,
  slashCommandFields,
  viewSubmissionPayload,
} from "../../../src/standin/slack-payloads.js";
import { DEFAULT_IDENTITY } from "../../../src/standin/workspace.js";

/* Bodies as Slack sends them, built by the stand-in, then broken one field at a time. */

const context: PayloadContext = {
  identity: DEFAULT_IDENTITY,
  verificationToken: "verification-token",
  triggerId: "1234.5678.abcdef",
  nowMs: Date.UTC(2025, 0, 6, 9, 0, 0),
};
const responseUrl = "https://hooks.slack.test/actions/T0SLIPWAY1/1/abc";

function command(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const fields = slashCommandFields(
    { command: "/deploy", text: "production v1.2.0", userId: "U0DEPLOY01", channelId: "C0DEPLOYS" },
    { ...context, responseUrl, channelName: "deploys", userName: "dee" },
  );
  return { ...fields, ...overrides };
}

function click(): Record<string, unknown> {
  return blockActionPayload(
    {
      actionId: "slipway_approve",
      value: "d-7k3m9x2q",
      userId: "U0APPROVE1",
      channelId: "C0DEPLOYS",
      messageTs: "1.2",
    },
    { ...context, responseUrl, channelName: "deploys", userName: "ann", message: undefined, threadTs: undefined },
  );
}

function submission(values: Record<string, Record<string, JsonObject>>): Record<string, unknown> {
  return viewSubmissionPayload(
    { userId: "U0APPROVE1", values },
    {
      ...context,
      userName: "ann",
      viewId: "V0REJECT01",
      view: { type: "modal", callback_id: "slipway_reject_reason", private_metadata: "{}" },
    },
  );
}

function without(body: Record<string, unknown>, field: string): Record<string, unknown> {
  const copy = { ...body };
  delete copy[field];
  return copy;
}

describe("checkPayloadShape", () => {
  it("passes each kind of request Slack sends Slipway", () => {
    expect(checkPayloadShape(command())).toEqual({ ok: true, kind: "command" });
    expect(checkPayloadShape(command({ text: "" }))).toEqual({ ok: true, kind: "command" });
    expect(checkPayloadShape(click())).toEqual({ ok: true, kind: "block_actions" });
    expect(checkPayloadShape({ ...click(), team: null })).toEqual({ ok: true, kind: "block_actions" });
    const reason = { reason: { reason: { type: "plain_text_input", value: "error rate 4%" } } };
    expect(checkPayloadShape(submission(reason))).toEqual({ ok: true, kind: "view_submission" });
    const empty = { reason: { reason: { type: "plain_text_input", value: null } } };
    expect(checkPayloadShape(submission(empty))).toEqual({ ok: true, kind: "view_submission" });
    const event = eventCallbackPayload({ type: "app_home_opened", user: "U0ALICE01", tab: "home" }, context);
    expect(checkPayloadShape(event)).toEqual({ ok: true, kind: "event_callback" });
    expect(checkPayloadShape({ type: "app_rate_limited", minute_rate_limited: 1 })).toEqual({
      ok: true,
      kind: "app_rate_limited",
    });
  });

  it("passes a click on an action id Slipway never made: answering it is the listeners' business", () => {
    const body = click();
    body.actions = [{ type: "button", action_id: "slipway_deploy_everything", value: 5 }];
    expect(checkPayloadShape(body).ok).toBe(true);
  });

  it("refuses a slash command that names no user or channel, or repeats a field", () => {
    for (const body of [
      without(command(), "user_id"),
      command({ user_id: "" }),
      command({ user_id: "U0FUZZ$(touch x)" }),
      without(command(), "channel_id"),
      without(command(), "text"),
      command({ text: ["development", "v1.2.0"] }),
    ]) {
      expect(checkPayloadShape(body), JSON.stringify(body)).toMatchObject({ ok: false });
    }
    expect(checkPayloadShape(without(command(), "user_id"))).toEqual({
      ok: false,
      reason: "slash command: user_id: Invalid input: expected string, received undefined",
    });
  });

  it("checks a body as the kind Bolt would route it as", () => {
    // Bolt routes anything with `command` to the command listeners, whatever else it claims.
    expect(checkPayloadShape({ ...click(), command: "/deploy" })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^slash command: /),
    });
    // And anything with `name` to options listeners, of which Slipway has none.
    expect(checkPayloadShape({ ...click(), name: "x" }).ok).toBe(false);
  });

  it("refuses a click that lacks or mistypes a field Slack always sends", () => {
    const fields = ["type", "user", "team", "channel", "response_url", "trigger_id", "actions"];
    const replacements = [undefined, 5, [], { id: 5 }];
    for (const field of fields) {
      for (const replacement of replacements) {
        const body = replacement === undefined ? without(click(), field) : { ...click(), [field]: replacement };
        expect(checkPayloadShape(body), `${field}: ${JSON.stringify(replacement)}`).toMatchObject({ ok: false });
      }
    }
    const tick = (selected: unknown) => [
      { type: "checkboxes", action_id: "slipway_checklist_tick", selected_options: selected },
    ];
    expect(checkPayloadShape({ ...click(), actions: tick([{ value: "d-7k3m9x2q:coverage" }]) }).ok).toBe(true);
    for (const actions of [
      [],
      [null],
      [{}],
      [{ type: "button", action_id: 42 }],
      "not a list",
      tick([{ value: 5 }]),
      tick([{}]),
      tick("d-7k3m9x2q:coverage"),
    ]) {
      expect(checkPayloadShape({ ...click(), actions }), JSON.stringify(actions)).toMatchObject({ ok: false });
    }
    expect(checkPayloadShape({ ...click(), user: null })).toEqual({
      ok: false,
      reason: "block_actions: user: Invalid input: expected object, received null",
    });
  });

  it("refuses a view submission without the view's callback, metadata or state", () => {
    const good = submission({});
    const view = good.view as Record<string, unknown>;
    for (const body of [
      without(good, "view"),
      { ...good, view: null },
      { ...good, view: without(view, "callback_id") },
      { ...good, view: without(view, "private_metadata") },
      {
        ...good,
        view: { ...view, state: { values: { reason: { reason: { type: "plain_text_input", value: 12 } } } } },
      },
      without(good, "user"),
    ]) {
      expect(checkPayloadShape(body), JSON.stringify(body)).toMatchObject({ ok: false });
    }
  });

  it("refuses kinds of request Slipway's Slack app is not set up for, and bodies that are not objects", () => {
    for (const body of [
      { type: "shortcut", callback_id: "deploy", user: { id: "U0FUZZ001" }, trigger_id: "1.2.3" },
      { type: "message_action", callback_id: "x", user: { id: "U0FUZZ001" } },
      { type: "block_suggestion", action_id: "slipway_approve", value: "d-" },
      { type: "dialog_submission", callback_id: "x", submission: {} },
      { type: "view_closed", user: { id: "U0FUZZ001" }, view: { callback_id: "slipway_reject_reason" } },
      { type: "__proto__" },
      {},
      { type: "event_callback", event: 5 },
      null,
      [],
      "payload",
    ]) {
      expect(checkPayloadShape(body), JSON.stringify(body)).toMatchObject({ ok: false });
    }
    expect(checkPayloadShape({ type: "shortcut" })).toEqual({
      ok: false,
      reason: `not a request Slipway's Slack app receives (type "shortcut")`,
    });
  });

  it("keeps its reason short whatever the body holds", () => {
    const shape = checkPayloadShape({ type: "x".repeat(100_000) });
    expect(shape.ok).toBe(false);
    expect(shape.ok ? "" : shape.reason.length).toBeLessThanOrEqual(300);
  });
});
