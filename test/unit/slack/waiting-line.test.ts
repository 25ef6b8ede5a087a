import { describe, expect, it } from "vitest";
import type { RequestOutcome } from "../../../src/engine/request-deployment.js";
import { ACTION_IDS } from "../../../src/slack/action-ids.js";
import { LIMITS } from "../../../src/slack/renderers/blocks.js";
import { renderRequestMessage } from "../../../src/slack/renderers/request-answer.js";
import {
  renderWaitingDropped,
  renderWaitingRescheduled,
  waitingLineBlocks,
} from "../../../src/slack/renderers/waiting-line.js";
import { decodeCancel, decodeRequest, encodeRequest } from "../../../src/slack/waiting-buttons.js";
import { blockProblems } from "../../../src/standin/block-limits.js";
import { findElement } from "../../../src/standin/slack-payloads.js";
import type { WaitingDeployment } from "../../../src/store/waitlist.js";
import { blocksAsJson } from "../../support/slack-message.js";

const AT = Date.UTC(2026, 11, 7, 9, 0);
const REQUEST = { service: "shop", environment: "production", version: "v1.2.0", hotfix: false };

function waiting(n: number, more: Partial<WaitingDeployment> = {}): WaitingDeployment {
  return {
    id: `d-wait${String(n).padStart(4, "0")}`,
    request: { ...REQUEST, version: `v1.2.${n}` },
    actor: { kind: "slack", id: "U0ASKER001" },
    via: "slash_command",
    queuedAt: AT,
    behind: "d-holder01",
    ...more,
  };
}

describe("the buttons of a request's answer", () => {
  it("offers Queue it on a busy refusal, carrying the request as asked", () => {
    const asked = {
      ...REQUEST,
      strategy: "canary" as const,
      flag: { name: "new-checkout", percent: 10 },
      sensitive: true,
    };
    const outcome: RequestOutcome = { code: "busy", holderId: "d-holder01", holder: undefined };
    const message = renderRequestMessage(asked, outcome);
    const found = findElement(blocksAsJson(message.blocks), ACTION_IDS.queueIt);
    expect(found?.element.text).toMatchObject({ text: "Queue it" });
    expect(decodeRequest(String(found?.element.value))).toEqual(asked);
    expect(blockProblems(blocksAsJson(message.blocks), LIMITS.blocksPerMessage)).toEqual([]);
  });

  it("offers Schedule for the next window only when a window opens", () => {
    const opens = renderRequestMessage(REQUEST, { code: "window", reason: "frozen", opensAt: AT });
    expect(findElement(blocksAsJson(opens.blocks), ACTION_IDS.scheduleWindow)).toBeDefined();
    const never = renderRequestMessage(REQUEST, { code: "window", reason: "no window opens in the coming weeks" });
    expect(never.blocks).toHaveLength(1);
  });

  it("offers Cancel on an answer that joined a line, naming the place in it", () => {
    const w = waiting(1);
    const message = renderRequestMessage(REQUEST, {
      code: "queued",
      waiting: w,
      behind: "d-holder01",
      position: 2,
      replaced: [],
    });
    expect(message.text).toContain("`d-wait0001` waits in line (number 2) behind `d-holder01`");
    const cancel = findElement(blocksAsJson(message.blocks), ACTION_IDS.cancelWaiting);
    expect(decodeCancel(String(cancel?.element.value))).toEqual({
      service: "shop",
      environment: "production",
      id: w.id,
    });
  });

  it("refuses a malformed button value instead of guessing", () => {
    expect(decodeRequest("{not json")).toBeUndefined();
    expect(decodeRequest(JSON.stringify({ s: "shop", e: "production" }))).toBeUndefined();
    expect(decodeCancel(JSON.stringify({ s: "shop", e: "production", id: "" }))).toBeUndefined();
    expect(decodeRequest(encodeRequest(REQUEST))).toEqual(REQUEST);
  });
});

describe("the line in /deploy status and the Home tab", () => {
  it("lists each waiting deployment with its Cancel button, within Slack's limits", () => {
    const line = [
      waiting(1),
      waiting(2, { notBefore: AT, behind: undefined, actor: { kind: "push", id: "push", name: "octocat" } }),
    ];
    const text = JSON.stringify(waitingLineBlocks(line));
    expect(text).toContain("Waiting to start (2)");
    expect(text).toContain("`d-wait0001` shop v1.2.1 → production — queued behind `d-holder01` · <@U0ASKER001>");
    expect(text).toContain("scheduled for the window at <!date^");
    expect(text).toContain("octocat (push)");
    const many = waitingLineBlocks(Array.from({ length: 45 }, (_, i) => waiting(i)));
    expect(many.length).toBeLessThanOrEqual(22);
    expect(JSON.stringify(many)).toContain("…and 25 more");
    expect(blockProblems(blocksAsJson(many), LIMITS.blocksPerMessage)).toEqual([]);
  });

  it("tells the channel once why a waiting deployment will not start", () => {
    const replaced = renderWaitingDropped({
      channel: "C0SHOP0001",
      service: "shop",
      environment: "development",
      version: "develop-1a2b3c4",
      deploymentId: "d-wait0001",
      requester: { kind: "push", id: "push", name: "octocat" },
      code: "replaced",
      reason: "develop-2b3c4d5",
    });
    expect(replaced.text).toBe(
      "⏭️ Queued deployment replaced: `d-wait0001` shop develop-1a2b3c4 → development, asked for by octocat: a newer push, develop-2b3c4d5, took its place in line.",
    );
  });

  it("tells the channel when a waiting deployment whose window closed waits for the next opening, as a date token", () => {
    const opensAt = Date.UTC(2026, 11, 7, 14, 0);
    const moved = renderWaitingRescheduled({
      channel: "C0SHOP0001",
      ...REQUEST,
      deploymentId: "d-wait0001",
      requester: { kind: "slack", id: "U0ASKER001" },
      reason: "deployments are frozen until Mon 14:00 UTC (Release freeze)",
      opensAt,
    });
    expect(moved.text).toBe(
      `⏰ Queued deployment rescheduled: \`d-wait0001\` shop v1.2.0 → production, asked for by <@U0ASKER001>, could not start: deployments are frozen until Mon 14:00 UTC (Release freeze). It keeps its place and starts by itself when the window opens, at <!date^${opensAt / 1000}^{date_short_pretty} at {time}|2026-12-07 14:00 UTC>; Cancel it from \`/deploy status\`.`,
    );
    expect(blockProblems(blocksAsJson(moved.blocks), LIMITS.blocksPerMessage)).toEqual([]);
  });
});
