/*
 * Reading a rendered Slack message in unit tests: its texts, and whether
 * Slack would take it (the stand-in's own block validation finds nothing).
 */
import { expect } from "vitest";
import { type Deployment, moveTo, type NewDeployment, newDeployment } from "../../src/domain/deployment.js";
import { blockTextLength, LIMITS, type SlackMessage } from "../../src/slack/renderers/blocks.js";
import { blockProblems } from "../../src/standin/block-limits.js";
import { isJsonObject, type JsonObject } from "../../src/standin/json.js";

type TextKind = "mrkdwn" | "plain_text";

/** Every text object of a message (however deep in its block), with the type of block it sits in. */
export function textsOf(message: Pick<SlackMessage, "blocks">): Array<{ block: string; type: TextKind; text: string }> {
  const found: Array<{ block: string; type: TextKind; text: string }> = [];
  const walk = (block: string, value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(block, item);
      return;
    }
    if (!isJsonObject(value)) return;
    if ((value.type === "mrkdwn" || value.type === "plain_text") && typeof value.text === "string") {
      found.push({ block, type: value.type, text: value.text });
      return;
    }
    for (const inner of Object.values(value)) walk(block, inner);
  };
  for (const block of message.blocks) walk(block.type, JSON.parse(JSON.stringify(block)));
  return found;
}

/** The text of each section block, in order. */
export function sectionTexts(message: Pick<SlackMessage, "blocks">): string[] {
  return message.blocks.flatMap((b) => (b.type === "section" ? [b.text.text] : []));
}

/** The blocks as Slack receives them: JSON objects. */
export function blocksAsJson(blocks: SlackMessage["blocks"]): JsonObject[] {
  const asJson: unknown = JSON.parse(JSON.stringify(blocks));
  return Array.isArray(asJson) ? asJson.filter((b): b is JsonObject => isJsonObject(b)) : [];
}

/** Within Slack's limits, every text non-empty, and nothing the stand-in (Slack's own block rules) would refuse. */
export function expectWithinSlackLimits(message: SlackMessage): void {
  expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
  expect(message.text.length).toBeGreaterThan(0);
  expect(message.text.length).toBeLessThanOrEqual(LIMITS.messageText);
  for (const { block, text } of textsOf(message)) {
    expect(text.length, `${block} text`).toBeGreaterThan(0);
    const max = block === "header" ? LIMITS.headerText : LIMITS.sectionText;
    expect(text.length, `${block} text of ${text.length} characters`).toBeLessThanOrEqual(max);
  }
  const total = message.blocks.reduce((sum, block) => sum + blockTextLength(block), 0);
  expect(total, "total text of all blocks").toBeLessThanOrEqual(LIMITS.totalText);
  const blocks = blocksAsJson(message.blocks);
  expect(blocks).toHaveLength(message.blocks.length);
  expect(blockProblems(blocks, LIMITS.blocksPerMessage)).toEqual([]);
}

/** No section's text was cut to fit ("…" at its end). */
export function expectNothingCut(message: SlackMessage): void {
  for (const block of message.blocks) {
    if (block.type === "section") expect(block.text.text.endsWith("…"), block.text.text.slice(-200)).toBe(false);
  }
}

/** web v1.2.0 to production, waiting for one approval at `at`, as the approval card shows it. */
export function awaitingApproval(at: number, input: Partial<NewDeployment> = {}): Deployment {
  const d = newDeployment(
    {
      id: "d-7k3m9x2q",
      service: "web",
      environment: "production",
      version: "v1.2.0",
      strategy: "canary",
      hotfix: false,
      requestedBy: "U0ENGINEER",
      source: "slack",
      steps: [{ name: "deploy", action: "deploy" }],
      channel: "C0DEPLOYS",
      waitLimitMs: 4 * 3_600_000,
      previousVersion: "v1.1.0",
      ...input,
    },
    at,
  );
  return {
    ...moveTo(moveTo(d, "checking", at), "awaiting_approval", at),
    approval: { needed: 1, allowSelfApproval: false, approvers: "anyone", requestedAt: at, votes: [] },
  };
}
