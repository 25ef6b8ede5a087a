import { ACTION_IDS } from "../slack/action-ids.js";
import type { Delivery, DeliveryOptions } from "./app-delivery.js";
import type { FakeSlack } from "./fake-slack.js";
import { isJsonObject, type JsonObject } from "./json.js";
import type { StoredMessage } from "./message-store.js";

/** How long a deployment may take to reach an end in these tests (stages are trivial; Slack pacing is not). */
export const FINISH_MS = 20_000;

/** The `d-…` id in a "Queued `d-…`" answer. */
export function deploymentIdIn(text: string): string {
  const id = /`(d-[a-z0-9]+)`/.exec(text)?.[1];
  if (!id) throw new Error(`no deployment id in the answer: ${text}`);
  return id;
}

/**
 * What a person sees of Slipway's deployment threads, and what they can do
 * there: slash commands, Approve and Reject, ticking checklist items. Waits on
 * the stand-in's events, never on the clock.
 */
export class ChatOps {
  constructor(private readonly slack: FakeSlack) {}

  /** A slash command typed by `userId` in `channelId`; resolves with the visible text of Slipway's answer. */
  async command(userId: string, channelId: string, command: string, text: string): Promise<string> {
    const answer = await this.slack.command({ command, text, userId, channelId });
    if (answer.status !== 200) throw new Error(`${command} ${text} answered HTTP ${answer.status}: ${answer.body}`);
    return isJsonObject(answer.json) ? this.slack.textOf(answer.json) : answer.body;
  }

  /**
   * The root message of a deployment: its context line starts with the id
   * (another root may name it too, e.g. the deployment that replaced it).
   */
  rootOf(deploymentId: string, matching: RegExp = /./, timeoutMs?: number): Promise<StoredMessage> {
    const line = `\`${deploymentId}\` · requested by `;
    return this.slack.waitForMessage(
      (m) => m.threadTs === undefined && this.slack.textOf(m).includes(line) && matching.test(this.slack.textOf(m)),
      timeoutMs === undefined ? {} : { timeoutMs },
    );
  }

  /** The first reply in the deployment's thread whose visible text matches every pattern. */
  async replyOf(deploymentId: string, patterns: readonly RegExp[], timeoutMs?: number): Promise<StoredMessage> {
    const root = await this.rootOf(deploymentId);
    return this.slack.waitForMessage(
      (m) => m.threadTs === root.ts && patterns.every((p) => p.test(this.slack.textOf(m))),
      timeoutMs === undefined ? {} : { timeoutMs },
    );
  }

  /** The checklist reply, once it reads as `matching`. */
  checklistOf(deploymentId: string, matching: RegExp = /./, timeoutMs?: number): Promise<StoredMessage> {
    return this.replyOf(deploymentId, [/Pre-deployment checklist/, matching], timeoutMs);
  }

  /** The approval card, once it reads as `matching`. */
  approvalCardOf(deploymentId: string, matching: RegExp = /./, timeoutMs?: number): Promise<StoredMessage> {
    return this.replyOf(deploymentId, [/Needs \d+ approvals? \(\d+ so far\)/, matching], timeoutMs);
  }

  /** Every reply of the deployment's thread, oldest first. */
  async repliesOf(deploymentId: string): Promise<StoredMessage[]> {
    const root = await this.rootOf(deploymentId);
    return this.slack.thread(root.channel, root.ts).filter((m) => m.ts !== root.ts);
  }

  /**
   * Waits until the deployment has ended as `outcome`: the closing reply is
   * posted and the root message shows the final state.
   */
  async finished(
    deploymentId: string,
    outcome: "Succeeded" | "Failed" | "Rejected" | "Expired",
    timeoutMs = FINISH_MS,
  ): Promise<{ root: StoredMessage; summary: StoredMessage }> {
    const summary = await this.replyOf(deploymentId, [new RegExp(`Deployment ${outcome.toLowerCase()}`)], timeoutMs);
    const root = await this.rootOf(deploymentId, new RegExp(`\\*${outcome}\\*`), timeoutMs);
    return { root, summary };
  }

  /** A block_actions payload for `userId` clicking Approve on the card. */
  approvePayload(card: StoredMessage, userId: string): JsonObject {
    return this.slack.blockAction({
      actionId: ACTION_IDS.approve,
      userId,
      channelId: card.channel,
      messageTs: card.ts,
    });
  }

  /** Sends an interaction and resolves with the `count`-th ephemeral answer to its response URL. */
  async answerTo(payload: JsonObject, options: DeliveryOptions & { count?: number } = {}): Promise<string> {
    const { count, ...delivery } = options;
    const sent = await this.slack.interact(payload, delivery);
    return this.responseText(sent, count);
  }

  /** `userId` clicks Approve on the card; resolves with what Slipway told them. */
  clickApprove(card: StoredMessage, userId: string): Promise<string> {
    return this.answerTo(this.approvePayload(card, userId));
  }

  /** `userId` clicks a control button (Pause, Resume, Promote, Abort) on the root message; what Slipway told them. */
  async clickControl(deploymentId: string, userId: string, actionId: string): Promise<string> {
    const root = await this.rootOf(deploymentId);
    const delivery = await this.slack.click({
      actionId,
      value: deploymentId,
      userId,
      channelId: root.channel,
      messageTs: root.ts,
    });
    return this.responseText(delivery);
  }

  /** `userId` ticks the checkbox(es) whose values are given on the checklist reply. */
  async tick(checklist: StoredMessage, userId: string, values: readonly string[]): Promise<Delivery> {
    return this.slack.click({
      actionId: ACTION_IDS.tick,
      userId,
      channelId: checklist.channel,
      messageTs: checklist.ts,
      selectedValues: values,
    });
  }

  /** The text of the `count`-th answer to a delivery's response URL. */
  async responseText(delivery: Delivery, count = 1): Promise<string> {
    if (delivery.status !== 200) throw new Error(`the app answered HTTP ${delivery.status}: ${delivery.body}`);
    if (!delivery.responseUrl) throw new Error("the delivery carried no response URL");
    const record = await this.slack.waitForResponse(delivery.responseUrl, { count });
    return this.slack.textOf(record.body);
  }
}
