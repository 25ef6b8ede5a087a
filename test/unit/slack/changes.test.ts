import { describe, expect, it } from "vitest";
import { type RawCommit, whatChanged } from "../../../src/domain/changes.js";
import type { SlackMessage } from "../../../src/slack/renderers/blocks.js";
import { renderWhatChanged } from "../../../src/slack/renderers/changes.js";
import { renderApprovalCard } from "../../../src/slack/renderers/gates.js";
import {
  awaitingApproval,
  expectNothingCut,
  expectWithinSlackLimits,
  sectionTexts,
} from "../../support/slack-message.js";

const T0 = Date.UTC(2026, 11, 7, 9, 30, 0);

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
  return sectionTexts(message).join("\n");
}

function expectFits(message: SlackMessage): void {
  expectWithinSlackLimits(message);
  expectNothingCut(message);
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
    const message = renderWhatChanged(awaitingApproval(T0), few);
    expectFits(message);
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
    const card = texts(renderApprovalCard({ ...awaitingApproval(T0), whatChanged: few }));
    expect(card).toContain("*What changed:* 3 commits by 3 authors since v1.1.0\n*Features*\n• one-step checkout");
  });

  it("says why when git could not list them, and when there were none", () => {
    const problem = { ...few, total: 0, changes: [], problem: "git log failed: fatal: bad object" };
    expect(texts(renderWhatChanged(awaitingApproval(T0), problem))).toBe(
      "📦 *What changed:* could not be listed (git log failed: fatal: bad object)",
    );
    expect(texts(renderApprovalCard({ ...awaitingApproval(T0), whatChanged: whatChanged([], "v1.1.0") }))).toContain(
      "*What changed:* no commits since v1.1.0",
    );
  });

  it("a release of thousands of long commits fits, and says how many more there are", () => {
    const many = whatChanged(
      commits(3_000, (i) => `${["feat", "fix", "chore"][i % 3]}: ${"a long subject line ".repeat(8)}${i}`),
      "v1.1.0",
    );
    for (const message of [
      renderWhatChanged(awaitingApproval(T0), many),
      renderApprovalCard({ ...awaitingApproval(T0), whatChanged: many }),
    ]) {
      expectFits(message);
      const text = texts(message);
      const listed = (text.match(/\n• /g) ?? []).length;
      const more = Number(/…and (\d+) more \(\d+ features, 1000 fixes, 1000 enhancements\)/.exec(text)?.[1]);
      expect(listed).toBeGreaterThan(3);
      expect(listed + more).toBe(3_000);
    }
  });
});
