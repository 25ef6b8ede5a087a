import { describe, expect, it } from "vitest";
import { type RawCommit, whatChanged } from "../../../src/domain/changes.js";
import { type Deployment, moveTo, newDeployment } from "../../../src/domain/deployment.js";
import { blockTextLength, LIMITS, type SlackMessage } from "../../../src/slack/renderers/blocks.js";
import { renderWhatChanged } from "../../../src/slack/renderers/changes.js";
import { renderApprovalCard } from "../../../src/slack/renderers/gates.js";
import { blockProblems } from "../../../src/standin/block-limits.js";
import { isJsonObject, type JsonObject } from "../../../src/standin/json.js";

const T0 = Date.UTC(2026, 11, 7, 9, 30, 0);

function awaitingApproval(): Deployment {
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
    },
    T0,
  );
  return {
    ...moveTo(moveTo(d, "checking", T0), "awaiting_approval", T0),
    approval: { needed: 1, allowSelfApproval: false, approvers: "anyone", requestedAt: T0, votes: [] },
  };
}

function commits(n: number, subject: (i: number) => string): RawCommit[] {
  return Array.from({ length: n }, (_, i) => ({
    sha: `${i}`.padStart(40, "0"),
    author: `Author ${i % 7}`,
    at: T0 - i * 60_000,
    subject: subject(i),
    body: `Part of TASK-${i}`,
  }));
}

function texts(message: SlackMessage): string {
  return message.blocks.flatMap((b) => (b.type === "section" ? [b.text.text] : [])).join("\n");
}

function expectWithinSlackLimits(message: SlackMessage): void {
  expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
  const total = message.blocks.reduce((sum, block) => sum + blockTextLength(block), 0);
  expect(total).toBeLessThanOrEqual(LIMITS.totalText);
  for (const block of message.blocks) {
    if (block.type === "section") expect(block.text.text.endsWith("…")).toBe(false);
  }
  const blocks = (JSON.parse(JSON.stringify(message.blocks)) as unknown[]).filter((b): b is JsonObject =>
    isJsonObject(b),
  );
  expect(blockProblems(blocks, LIMITS.blocksPerMessage)).toEqual([]);
}

describe("what changed, in Slack", () => {
  const few = whatChanged(
    [
      { sha: "c", author: "Cy", at: T0, subject: "refactor: <tidy> & split", body: "" },
      { sha: "b", author: "Bo", at: T0, subject: "fix: lost cart (DEF-104)", body: "" },
      { sha: "a", author: "Ann", at: T0, subject: "feat: one-step checkout", body: "Closes TASK-12" },
    ],
    "v1.1.0",
  );

  it("the thread's reply groups features, fixes and the rest, with ids and authors", () => {
    const message = renderWhatChanged(awaitingApproval(), few);
    expectWithinSlackLimits(message);
    expect(texts(message)).toBe(
      [
        "📦 *What changed:* 3 commits by 3 authors since v1.1.0",
        "*Features*",
        "• one-step checkout (TASK-12) — Ann",
        "*Fixes*",
        "• lost cart (DEF-104) — Bo",
        "*Enhancements and other changes*",
        "• &lt;tidy&gt; &amp; split — Cy",
      ].join("\n"),
    );
  });

  it("the approval card shows them too", () => {
    const card = texts(renderApprovalCard({ ...awaitingApproval(), whatChanged: few }));
    expect(card).toContain("*What changed:* 3 commits by 3 authors since v1.1.0\n*Features*\n• one-step checkout");
  });

  it("says why when git could not list them, and when there were none", () => {
    const problem = { ...few, total: 0, changes: [], problem: "git log failed: fatal: bad object" };
    expect(texts(renderWhatChanged(awaitingApproval(), problem))).toBe(
      "📦 *What changed:* could not be listed (git log failed: fatal: bad object)",
    );
    expect(texts(renderApprovalCard({ ...awaitingApproval(), whatChanged: whatChanged([], "v1.1.0") }))).toContain(
      "*What changed:* no commits since v1.1.0",
    );
  });

  it("a release of thousands of long commits fits, and says how many more there are", () => {
    const many = whatChanged(
      commits(3_000, (i) => `${["feat", "fix", "chore"][i % 3]}: ${"a long subject line ".repeat(8)}${i}`),
      "v1.1.0",
    );
    for (const message of [
      renderWhatChanged(awaitingApproval(), many),
      renderApprovalCard({ ...awaitingApproval(), whatChanged: many }),
    ]) {
      expectWithinSlackLimits(message);
      const text = texts(message);
      const listed = (text.match(/\n• /g) ?? []).length;
      const more = Number(/…and (\d+) more \(\d+ features, 1000 fixes, 1000 enhancements\)/.exec(text)?.[1]);
      expect(listed).toBeGreaterThan(3);
      expect(listed + more).toBe(3_000);
    }
  });
});
