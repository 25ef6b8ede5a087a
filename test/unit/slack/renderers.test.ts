import { describe, expect, it } from "vitest";
import { analyse, withDefaultTriggers } from "../../../src/domain/analysis.js";
import type { ItemResult } from "../../../src/domain/checklist.js";
import {
  type Deployment,
  moveTo,
  type NewDeployment,
  newDeployment,
  updateStage,
} from "../../../src/domain/deployment.js";
import type { WatchEnd } from "../../../src/domain/monitoring-windows.js";
import { beginRollback } from "../../../src/engine/rollback.js";
import { ACTION_IDS } from "../../../src/slack/action-ids.js";
import {
  blockTextLength,
  codeTail,
  fitMessage,
  LIMITS,
  type SlackMessage,
  section,
} from "../../../src/slack/renderers/blocks.js";
import { renderValidation } from "../../../src/slack/renderers/checklist-items.js";
import {
  renderRootMessage,
  renderStageReply,
  renderStatusList,
  renderSummary,
} from "../../../src/slack/renderers/deployment-message.js";
import { renderIncident } from "../../../src/slack/renderers/watch.js";
import { expectWithinSlackLimits, sectionTexts, textsOf } from "../../support/slack-message.js";

const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const STAGES = ["build", "migrate", "deploy", "smoke", "announce"] as const;

function requested(overrides: Partial<NewDeployment> = {}): Deployment {
  return newDeployment(
    {
      id: "d-7k3m9x2q",
      service: "web",
      environment: "production",
      version: "v1.2.0",
      strategy: "rolling",
      hotfix: false,
      requestedBy: "U0ENGINEER",
      source: "slack",
      steps: STAGES.map((name) => ({ name })),
      channel: "C0DEPLOYS",
      waitLimitMs: 4 * 3_600_000,
      ...overrides,
    },
    T0,
  );
}

/** Stage `index` started at T0 + 1s + index·10s and took 4s + index·1s. */
function stageTimes(index: number): { startedAt: number; finishedAt: number } {
  const startedAt = T0 + 1_000 + index * 10_000;
  return { startedAt, finishedAt: startedAt + 4_000 + index * 1_000 };
}

function succeed(d: Deployment, index: number): Deployment {
  const times = stageTimes(index);
  return updateStage(d, index, { status: "succeeded", attempts: 1, exitCode: 0, ...times }, times.finishedAt);
}

function fail(d: Deployment, index: number, change: { error: string; outputTail?: string }): Deployment {
  const times = stageTimes(index);
  return updateStage(d, index, { status: "failed", attempts: 1, exitCode: 3, ...times, ...change }, times.finishedAt);
}

function start(d: Deployment, index: number): Deployment {
  const { startedAt } = stageTimes(index);
  return updateStage(d, index, { status: "running", attempts: 1, startedAt }, startedAt);
}

/** Running, stages 0..3 succeeded, stage 4 running: 80%. */
function fourOfFive(overrides: Partial<NewDeployment> = {}): Deployment {
  let d = moveTo(requested(overrides), "running", T0 + 500);
  for (let i = 0; i < 4; i += 1) d = succeed(d, i);
  return start(d, 4);
}

const OUTPUT_TAIL = "$ ./smoke.sh\nGET /healthz 200\nGET /api/orders 502 Bad Gateway\nsmoke test failed: 1 of 2 checks";

/** Failed at stage 2 (deploy), stages 3 and 4 never started. */
function failedAtDeploy(
  overrides: Partial<NewDeployment> = {},
  reason = "stage deploy exited with code 3",
): Deployment {
  let d = moveTo(requested(overrides), "running", T0 + 500);
  d = succeed(succeed(d, 0), 1);
  d = fail(d, 2, { error: "exited with code 3", outputTail: OUTPUT_TAIL });
  return moveTo(d, "failed", stageTimes(2).finishedAt + 100, { failureReason: reason });
}

function succeeded(overrides: Partial<NewDeployment> = {}): Deployment {
  let d = moveTo(requested(overrides), "running", T0 + 500);
  for (let i = 0; i < STAGES.length; i += 1) d = succeed(d, i);
  return moveTo(d, "succeeded", stageTimes(STAGES.length - 1).finishedAt + 100);
}

// ── reading a message ─────────────────────────────────────────────────

/** The mrkdwn a person reads, all blocks joined. */
function mrkdwn(message: SlackMessage): string {
  return textsOf(message)
    .filter((t) => t.type === "mrkdwn")
    .map((t) => t.text)
    .join("\n");
}

function contextText(message: SlackMessage): string | undefined {
  const found = message.blocks.find((b) => b.type === "context");
  return found?.type === "context" ? found.elements[0]?.text : undefined;
}

function headerText(message: SlackMessage): string {
  const found = message.blocks.find((b) => b.type === "header");
  if (found?.type !== "header") throw new Error("the message has no header block");
  return found.text.text;
}

/** Mentions and links Slack would act on: `<!channel>`, `<!here>`, `<@U…>`, `<#C…>`, `<https://…|…>`. */
function controlSequences(text: string): string[] {
  return [...text.matchAll(/<[^<>]*>/g)].map((m) => m[0]);
}

/** The sequences a renderer itself writes: the requester's mention and local times (`<!date^…>`). */
function injected(text: string, requester = "U0ENGINEER"): string[] {
  return controlSequences(text).filter(
    (s) => s !== `<@${requester}>` && !/^<!date\^\d+\^\{time\}\|\d\d:\d\d UTC>$/.test(s),
  );
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// ── meaning ───────────────────────────────────────────────────────────

describe("renderRootMessage", () => {
  it("shows the title, state, progress bar, current stage and each stage's mark and duration", () => {
    const d = fourOfFive();
    const message = renderRootMessage(d, stageTimes(4).startedAt + 2_000);

    expect(headerText(message)).toBe("🚀 web v1.2.0 → production");
    const [summary, stages] = sectionTexts(message);
    expect(summary).toContain("*Status:* 🚀 *In progress*");
    expect(summary).toContain("*Progress:* `████████░░ 80%`");
    expect(summary).toContain("*Current stage:* announce");
    expect(summary).not.toContain("*Why:*");
    expect(stages?.split("\n")).toEqual([
      "*Stages*",
      "✅ build (4s)",
      "✅ migrate (5s)",
      "✅ deploy (6s)",
      "✅ smoke (7s)",
      "🔄 announce",
    ]);
    expect(message.text).toBe("web v1.2.0 → production: In progress (80%)");
    expectWithinSlackLimits(message);
  });

  it("says who asked, how, and when it started in the context line", () => {
    const d = fourOfFive({ strategy: "canary", hotfix: true, bypass: "freeze" });
    const message = renderRootMessage(d, T0 + 65_000);
    expect(headerText(message)).toBe("🚑 web v1.2.0 → production");
    expect(contextText(message)).toBe(
      `\`d-7k3m9x2q\` · requested by <@U0ENGINEER> · canary · hotfix · freeze bypassed · started <!date^${T0 / 1000}^{time}|09:00 UTC>`,
    );
    // Nothing in it moves with the clock alone, so a later render is the same message.
    expect(renderRootMessage(d, T0 + 3_600_000)).toEqual(message);
  });

  it("marks failed and pending stages, shows why, and stops the progress where it failed", () => {
    const d = failedAtDeploy();
    const message = renderRootMessage(d, d.updatedAt + 3_600_000);
    const [summary, stages] = sectionTexts(message);
    expect(summary).toContain("*Status:* ❌ *Failed*");
    expect(summary).toContain("*Progress:* `████░░░░░░ 40%`");
    expect(summary).toContain("*Why:* stage deploy exited with code 3");
    expect(summary).not.toContain("*Current stage:*");
    expect(stages?.split("\n").slice(1)).toEqual([
      "✅ build (4s)",
      "✅ migrate (5s)",
      "❌ deploy (6s)",
      "⏳ smoke",
      "⏳ announce",
    ]);
    // A finished deployment's duration is fixed at its end, however late it is rendered.
    expect(contextText(message)).toMatch(/ · took 27s$/);
  });

  it("reads 0% and every stage pending when just requested", () => {
    const message = renderRootMessage(requested(), T0);
    const [summary, stages] = sectionTexts(message);
    expect(summary).toContain("*Status:* 🕓 *Requested*");
    expect(summary).toContain("`░░░░░░░░░░ 0%`");
    expect(stages?.split("\n").slice(1)).toEqual(STAGES.map((name) => `⏳ ${name}`));
  });

  it("shows the canary weight while the new version serves it, and where traffic went once the way back ran", () => {
    const steps = [
      { name: "deploy", action: "deploy" as const },
      { name: "canary-10%", action: "setTraffic" as const, weight: 10, rollout: true },
      { name: "canary-50%", action: "setTraffic" as const, weight: 50, rollout: true },
    ];
    const canary = succeed(
      succeed(moveTo(requested({ strategy: "canary", steps, previousVersion: "v1.1.0" }), "running", T0 + 500), 0),
      1,
    );
    expect(mrkdwn(renderRootMessage(canary, T0 + 60_000))).toContain("*Canary weight:* 10% of traffic on v1.2.0");

    const aborting = beginRollback(canary, "aborted by <@U0ONCALL>", "U0ONCALL", T0 + 30_000);
    // Until traffic is actually back on stable, the root says the new version still has its share.
    expect(mrkdwn(renderRootMessage(aborting, T0 + 60_000))).toContain("*Canary weight:* 10% of traffic on v1.2.0");
    const moved = {
      ...aborting,
      rollback: {
        ...(aborting.rollback ?? { reason: "", by: "", startedAt: 0, actions: [] }),
        actions: [{ name: "traffic-to-stable", ok: true, output: "" }],
      },
    };
    for (const d of [moved, moveTo(moved, "rolled_back", T0 + 40_000)]) {
      const text = mrkdwn(renderRootMessage(d, T0 + 60_000));
      expect(text).not.toContain("*Canary weight:*");
      expect(text).toContain("*Traffic:* all on the stable version (v1.1.0), none on v1.2.0");
    }
  });

  it("labels blue-green's traffic steps as traffic moved to green, blue serving the rest, never as a canary weight", () => {
    const steps = [
      { name: "deploy", action: "deploy" as const },
      { name: "green-10%", action: "setTraffic" as const, weight: 10, rollout: true },
      { name: "green-50%", action: "setTraffic" as const, weight: 50, rollout: true },
      { name: "switch-traffic", action: "setTraffic" as const, weight: 100, promote: true },
    ];
    const running = moveTo(requested({ strategy: "blue-green", steps, previousVersion: "v1.1.0" }), "running", T0);
    const half = succeed(succeed(succeed(running, 0), 1), 2);
    const text = mrkdwn(renderRootMessage(half, T0 + 60_000));
    expect(text).toContain("*Traffic on green:* 50% (v1.2.0), the rest on blue (v1.1.0)");
    expect(text).not.toContain("Canary weight");
    expect(mrkdwn(renderRootMessage(succeed(half, 3), T0 + 60_000))).toContain("*Traffic on green:* 100% (v1.2.0)\n");
  });

  it("reads 100% with every stage done when succeeded", () => {
    const message = renderRootMessage(succeeded(), T0 + 10 * 60_000);
    expect(mrkdwn(message)).toContain("`██████████ 100%`");
    expect(mrkdwn(message)).toContain("*Status:* ✅ *Succeeded*");
    expect(message.text).toBe("web v1.2.0 → production: Succeeded (100%)");
  });
});

describe("renderStageReply", () => {
  it("a succeeded stage: name, outcome and duration, no output", () => {
    const d = succeed(moveTo(requested(), "running", T0), 0);
    const withOutput = updateStage(d, 0, { outputTail: "compiled 42 files" }, T0);
    const message = renderStageReply(withOutput, 0);
    expect(sectionTexts(message)).toEqual(["✅ *build* succeeded in 4s"]);
    expect(mrkdwn(message)).not.toContain("```");
    expect(mrkdwn(message)).not.toContain("compiled 42 files");
    expect(message.text).toBe("build: succeeded in 4s");
    expectWithinSlackLimits(message);
  });

  it("a failed stage: why, duration, and the output tail in a code block", () => {
    const d = failedAtDeploy();
    const message = renderStageReply(d, 2);
    const [line, code] = sectionTexts(message);
    expect(line).toBe("❌ *deploy* exited with code 3 in 6s");
    expect(code).toBe(`\`\`\`${OUTPUT_TAIL}\`\`\``);
    expect(message.text).toBe("deploy: exited with code 3 in 6s");
    expectWithinSlackLimits(message);
  });

  it("refuses a stage the deployment does not have", () => {
    expect(() => renderStageReply(requested(), 5)).toThrow(RangeError);
  });
});

describe("renderSummary", () => {
  it("a failed deployment: outcome, duration, stages done and why", () => {
    const d = failedAtDeploy();
    const message = renderSummary(d, d.updatedAt + 3_600_000);
    expect(sectionTexts(message)).toEqual([
      "❌ *Deployment failed*: web v1.2.0 → production\nDuration: 27s · stages: 2/5 succeeded\nWhy: stage deploy exited with code 3",
    ]);
    expect(message.text).toBe("web v1.2.0 → production failed");
    expectWithinSlackLimits(message);
  });

  it("a succeeded deployment: every stage succeeded, no reason", () => {
    const message = renderSummary(succeeded(), T0 + 3_600_000);
    const [text] = sectionTexts(message);
    expect(text).toContain("✅ *Deployment succeeded*: web v1.2.0 → production");
    expect(text).toContain("Duration: 49s · stages: 5/5 succeeded");
    expect(text).not.toContain("Why:");
  });
});

describe("renderStatusList", () => {
  it("lists active deployments first, then recent ones, each with state, progress, duration and who", () => {
    const active = fourOfFive({ id: "d-active01", environment: "staging" });
    const done = failedAtDeploy({ id: "d-failed01" });
    const message = renderStatusList([done, active], T0 + 48_000);
    const [activeText, recentText] = sectionTexts(message);
    expect(activeText).toBe(
      "*Active (1)*\n🚀 `d-active01` web v1.2.0 → staging — In progress, 80% · 48s · <@U0ENGINEER>",
    );
    expect(recentText).toBe("*Recent*\n❌ `d-failed01` web v1.2.0 → production — Failed, 40% · 27s · <@U0ENGINEER>");
    expect(message.text).toBe("1 active, 1 recent deployments");
    expectWithinSlackLimits(message);
  });

  it("says how to start when there is nothing to list", () => {
    const message = renderStatusList([], T0);
    expect(message.blocks).toEqual([]);
    expect(message.text).toContain("No deployments yet");
    expect(message.text).toContain("/deploy <environment> <version>");
  });

  it("says none for an empty group", () => {
    const message = renderStatusList([succeeded()], T0 + 60_000);
    expect(sectionTexts(message)[0]).toBe("*Active (0)*\nnone");
  });
});

describe("codeTail", () => {
  it("wraps text in a code block", () => {
    expect(codeTail("line 1\nline 2")).toBe("```line 1\nline 2```");
  });

  it("keeps only the end of a long text, marking the cut", () => {
    const text = Array.from({ length: 1_000 }, (_, i) => `line ${i}`).join("\n");
    const tail = codeTail(text, 100);
    expect(tail.length).toBeLessThanOrEqual(106);
    expect(tail.startsWith("```…")).toBe(true);
    expect(tail.endsWith("line 999```")).toBe(true);
  });

  it("defuses triple backticks so the text cannot close the block", () => {
    const tail = codeTail("before ``` <!channel> *bold* ``` after");
    expect(tail.match(/```/g)).toHaveLength(2);
    expect(tail.startsWith("```")).toBe(true);
    expect(tail.endsWith("```")).toBe(true);
  });
});

describe("fitMessage", () => {
  it("keeps at most 50 blocks, the last one saying how many were left out", () => {
    const blocks = Array.from({ length: 120 }, (_, i) => section(`block ${i}`));
    const fitted = fitMessage({ text: "many", blocks });
    expect(fitted.blocks).toHaveLength(LIMITS.blocksPerMessage);
    expect(fitted.blocks[48]).toEqual(section("block 48"));
    expect(contextText({ text: "", blocks: fitted.blocks.slice(-1) })).toBe("…71 more not shown");
    expectWithinSlackLimits(fitted);
  });

  it("leaves a message within the limits as it is", () => {
    const message = { text: "short", blocks: [section("a"), section("b")] };
    expect(fitMessage(message)).toEqual(message);
  });

  it("stops before the total text passes 10,000 characters", () => {
    const blocks = Array.from({ length: 10 }, (_, i) => section(`${i}`.repeat(2_400)));
    const fitted = fitMessage({ text: "big", blocks });
    expect(fitted.blocks).toHaveLength(5);
    expect(fitted.blocks.slice(0, 4)).toEqual(blocks.slice(0, 4));
    expect(mrkdwn(fitted)).toContain("…6 more not shown");
    expectWithinSlackLimits(fitted);
  });

  it("keeps the total within 10,000 characters including its own note", () => {
    // 9,990 characters fit; the note that replaces the rest must fit too.
    const blocks = [
      section("a".repeat(3_000)),
      section("b".repeat(3_000)),
      section("c".repeat(3_000)),
      section("d".repeat(990)),
      section("e".repeat(3_000)),
    ];
    const fitted = fitMessage({ text: "budget", blocks });
    const total = fitted.blocks.reduce((sum, block) => sum + blockTextLength(block), 0);
    // The note saying what was left out fits inside the budget too.
    expect(total).toBeLessThanOrEqual(LIMITS.totalText);
  });
});

// ── hostile inputs ────────────────────────────────────────────────────

describe("Slack's limits on hostile inputs", () => {
  const manyStages = Array.from({ length: 200 }, (_, i) => `stage-${String(i).padStart(3, "0")}`);

  it("a deployment with 200 stages", () => {
    let d = moveTo(requested({ steps: manyStages.map((name) => ({ name })) }), "running", T0);
    for (let i = 0; i < 150; i += 1) d = succeed(d, i);
    d = start(d, 150);
    const root = renderRootMessage(d, T0 + 3_600_000);
    expectWithinSlackLimits(root);
    expect(mrkdwn(root)).toContain("*Progress:* `████████░░ 75%`");
    expect(mrkdwn(root)).toContain("*Current stage:* stage-150");
    expect(mrkdwn(root)).toContain("✅ stage-000 (4s)");
    expect(mrkdwn(root)).toContain("requested by <@U0ENGINEER>");

    const finished = moveTo(fail(d, 150, { error: "exited with code 3" }), "failed", T0 + 3_600_000, {
      failureReason: "stage stage-150 exited with code 3",
    });
    expectWithinSlackLimits(renderRootMessage(finished, T0 + 3_600_000));
    expectWithinSlackLimits(renderSummary(finished, T0 + 3_600_000));
    for (const index of [0, 150, 199]) expectWithinSlackLimits(renderStageReply(finished, index));
  });

  it("a status list of 500 deployments", () => {
    const list = Array.from({ length: 500 }, (_, i) => {
      const d = requested({ id: `d-list${String(i).padStart(4, "0")}`, environment: `env-${i}` });
      return i % 2 === 0 ? d : moveTo(d, "cancelled", T0 + i);
    });
    const message = renderStatusList(list, T0 + 60_000);
    expectWithinSlackLimits(message);
    expect(mrkdwn(message)).toContain("*Active (250)*");
    expect(mrkdwn(message)).toContain("`d-list0000` web v1.2.0 → env-0 — Requested, 0%");
    expect(message.text).toBe("250 active, 250 recent deployments");
  });

  it("a 100 KB output tail keeps its end inside one code block", () => {
    const lines = Array.from({ length: 5_000 }, (_, i) => `step ${i}: ${"x".repeat(14)}`);
    const huge = [...lines, "FATAL: disk full"].join("\n");
    expect(huge.length).toBeGreaterThan(100_000);
    let d = moveTo(requested(), "running", T0);
    d = fail(d, 0, { error: "exited with code 1", outputTail: huge });
    const message = renderStageReply(d, 0);
    expectWithinSlackLimits(message);
    const code = sectionTexts(message)[1] ?? "";
    expect(code.startsWith("```…")).toBe(true);
    expect(code.endsWith("FATAL: disk full```")).toBe(true);
    expect(code.match(/```/g)).toHaveLength(2);
  });

  it("an output tail full of triple backticks and mrkdwn cannot leave the code block", () => {
    const tail = "```\n*deployed* <!channel>\n```\nmore ``` text ````` end``";
    let d = moveTo(requested(), "running", T0);
    d = fail(d, 0, { error: "exited with code 1", outputTail: tail });
    const code = sectionTexts(renderStageReply(d, 0))[1] ?? "";
    expect(code.startsWith("```")).toBe(true);
    expect(code.endsWith("```")).toBe(true);
    expect(code.slice(3, -3)).not.toContain("```");
  });

  it("an output tail of emoji is not cut in the middle of a character", () => {
    // Build tools print emoji; a tail of them, cut to fit a section, must stay well-formed text.
    let d = moveTo(requested(), "running", T0);
    d = fail(d, 0, { error: "exited with code 1", outputTail: "🚀".repeat(50_000) });
    const code = sectionTexts(renderStageReply(d, 0))[1] ?? "";
    expect(LONE_SURROGATE.test(code)).toBe(false);
  });

  it("a 5,000-character failure reason", () => {
    const reason = `stage deploy failed: ${"connection refused; ".repeat(250)}`.slice(0, 5_000);
    const d = failedAtDeploy({}, reason);
    for (const message of [renderRootMessage(d, T0), renderSummary(d, T0)]) {
      expectWithinSlackLimits(message);
      expect(mrkdwn(message)).toContain("stage deploy failed: connection refused;");
    }
    expectWithinSlackLimits(renderStatusList([d], T0));
    const withLongError = fail(d, 2, { error: reason, outputTail: "x".repeat(100_000) });
    expectWithinSlackLimits(renderStageReply(withLongError, 2));
  });

  it("a very long version and environment keep the header within 150 characters", () => {
    const d = fourOfFive({ version: `v1.2.0-${"rc".repeat(400)}`, environment: "e".repeat(500) });
    const message = renderRootMessage(d, T0);
    expectWithinSlackLimits(message);
    expect(headerText(message).startsWith("🚀 web v1.2.0-rcrc")).toBe(true);
    expect(headerText(message).endsWith("…")).toBe(true);
    expectWithinSlackLimits(renderSummary(d, T0));
    expectWithinSlackLimits(renderStatusList([d], T0));
  });

  it("stage names with <, >, & and backticks are escaped wherever they are shown", () => {
    const names = ["<!channel>", "a&b", "x > y", "```", "<https://evil.example|click>"];
    let d = moveTo(requested({ steps: names.map((name) => ({ name })) }), "running", T0);
    d = succeed(d, 0);
    d = fail(d, 1, { error: "<!here> broke & left", outputTail: "boom" });
    d = start(d, 2);
    const messages = [renderRootMessage(d, T0), renderStageReply(d, 0), renderStageReply(d, 1)];
    for (const message of messages) expectWithinSlackLimits(message);

    const root = mrkdwn(messages[0] as SlackMessage);
    expect(root).toContain("✅ &lt;!channel&gt; (4s)");
    expect(root).toContain("❌ a&amp;b (5s)");
    expect(root).toContain("*Current stage:* x &gt; y");
    expect(root).toContain("⏳ &lt;https://evil.example|click&gt;");
    expect(sectionTexts(messages[1] as SlackMessage)[0]).toBe("✅ *&lt;!channel&gt;* succeeded in 4s");
    expect(sectionTexts(messages[2] as SlackMessage)[0]).toBe("❌ *a&amp;b* &lt;!here&gt; broke &amp; left in 5s");
    for (const message of messages) {
      expect(injected(mrkdwn(message))).toEqual([]);
    }
  });

  it("a version or service carrying mrkdwn control characters cannot inject <!channel>", () => {
    const hostile = { version: "v1.2.0<!channel>&<!here|here>", service: "web<@U0BOSS>" };
    const running = fourOfFive(hostile);
    const failed = failedAtDeploy(hostile, "rolled out <!everyone>");
    const messages = [
      renderRootMessage(running, T0),
      renderRootMessage(failed, T0),
      renderStageReply(failed, 2),
      renderSummary(failed, T0),
      renderStatusList([running, failed], T0),
    ];
    for (const message of messages) {
      expectWithinSlackLimits(message);
      // The only control sequence Slack may act on is the requester's own mention.
      expect(injected(mrkdwn(message))).toEqual([]);
    }
    expect(mrkdwn(renderSummary(failed, T0))).toContain("web&lt;@U0BOSS&gt; v1.2.0&lt;!channel&gt;&amp;");
  });

  it("the requester is shown as a mention of their user id", () => {
    const d = fourOfFive({ requestedBy: "U0ALICE42" });
    for (const message of [renderRootMessage(d, T0), renderStatusList([d], T0)]) {
      expect(controlSequences(mrkdwn(message))).toContain("<@U0ALICE42>");
      expect(injected(mrkdwn(message), "U0ALICE42")).toEqual([]);
    }
  });
});

describe("renderIncident", () => {
  const actionIds = (message: SlackMessage): string[] =>
    message.blocks.flatMap((block) =>
      block.type === "actions" && Array.isArray(block.elements)
        ? (block.elements as { action_id?: string }[]).map((e) => e.action_id ?? "")
        : [],
    );

  it("offers Roll back on a failed deployment that changed something, with Open thread linking its root", () => {
    const steps = STAGES.map((name) => (name === "deploy" ? { name, action: "deploy" as const } : { name }));
    const message = renderIncident(failedAtDeploy({ incidentChannel: "C0INCIDENT", steps }), "1736150400.000100");
    expect(actionIds(message)).toEqual([ACTION_IDS.openThread, ACTION_IDS.rollBack]);
    expect(mrkdwn(message)).toContain("*Why:* stage deploy exited with code 3");
    expectWithinSlackLimits(message);
  });

  it("does not offer Roll back when the failed deployment changed nothing", () => {
    const message = renderIncident(failedAtDeploy({ incidentChannel: "C0INCIDENT" }), "1736150400.000100");
    expect(actionIds(message)).toEqual([ACTION_IDS.openThread]);
  });

  it("the root message of a failed deployment offers Roll back too, once it changed something", () => {
    const steps = STAGES.map((name) => (name === "deploy" ? { name, action: "deploy" as const } : { name }));
    expect(actionIds(renderRootMessage(failedAtDeploy({ steps }), T0))).toEqual([ACTION_IDS.rollBack]);
    expect(actionIds(renderRootMessage(failedAtDeploy(), T0))).toEqual([]);
  });

  it("offers Roll back on a stuck deployment, but not once it is being rolled back or was", () => {
    const stuck = { ...fourOfFive(), stuck: { at: T0, what: "step announce has run for 20m", suggestion: "Abort" } };
    expect(actionIds(renderIncident(stuck, undefined))).toEqual([ACTION_IDS.rollBack]);
    const rolling = beginRollback(stuck, "automatic rollback: error rate 20%", "slipway", T0 + 60_000);
    const automatic = { ...rolling, incident: { at: T0 + 60_000, summary: "error rate 20%" } };
    expect(actionIds(renderIncident(automatic, undefined))).toEqual([ACTION_IDS.acknowledge]);
    const back = moveTo(automatic, "rolled_back", T0 + 90_000);
    expect(actionIds(renderIncident(back, "1736150400.000100"))).toEqual([
      ACTION_IDS.acknowledge,
      ACTION_IDS.openThread,
    ]);
    expect(mrkdwn(renderIncident(back, undefined))).toContain("*What tripped:* error rate 20%");
  });
});

describe("renderValidation after a rollback", () => {
  const item = (id: string, title: string, status: ItemResult["status"], evidence: string): ItemResult => ({
    id,
    title,
    section: "validation",
    required: true,
    status,
    evidence,
  });

  function rolledBack(checklist: ItemResult[], state: "rolled_back" | "failed"): Deployment {
    const rolling = beginRollback(fourOfFive(), "aborted by <@U0ONCALL>", "U0ONCALL", T0 + 60_000);
    const back = {
      ...rolling,
      rollback: { ...(rolling.rollback ?? { reason: "", by: "", startedAt: 0, actions: [] }), checklist },
    };
    return moveTo(back, state, T0 + 90_000);
  }

  it("shows each item with its evidence and that validation passed, in the reply, the root and the summary", () => {
    const d = rolledBack(
      [
        item("previous", "Previous version running", "passed", "stable: 3/3 instances on v1.1.0"),
        item("healthy", "All services healthy", "passed", "3/3 instances healthy"),
      ],
      "rolled_back",
    );
    const reply = renderValidation(d, "post-rollback");
    expect(sectionTexts(reply)).toEqual([
      "🩺 *Post-rollback validation* — ✅ passed (2/2)",
      "*Rollback validation*\n✅ Previous version running — stable: 3/3 instances on v1.1.0\n✅ All services healthy — 3/3 instances healthy",
    ]);
    expectWithinSlackLimits(reply);
    expect(mrkdwn(renderRootMessage(d, T0 + 90_000))).toContain("*Post-rollback validation:* ✅ passed (2/2)");
    expect(mrkdwn(renderSummary(d, T0 + 90_000))).toContain("Post-rollback validation: ✅ passed (2/2)");
  });

  it("says validation failed, and which item, when one did", () => {
    const d = rolledBack(
      [
        item("previous", "Previous version running", "passed", "running v1.1.0"),
        item("data", "No data corruption", "failed", "exit 1: checksums differ"),
      ],
      "failed",
    );
    expect(sectionTexts(renderValidation(d, "post-rollback"))).toEqual([
      "🩺 *Post-rollback validation* — ❌ failed (1/2 passed)",
      "*Rollback validation*\n✅ Previous version running — running v1.1.0\n❌ No data corruption — exit 1: checksums differ",
    ]);
    expect(mrkdwn(renderRootMessage(d, T0 + 90_000))).toContain("*Post-rollback validation:* ❌ failed (1/2 passed)");
  });

  it("is absent before the validation ran", () => {
    const rolling = beginRollback(fourOfFive(), "aborted", "U0ONCALL", T0 + 60_000);
    expect(mrkdwn(renderRootMessage(rolling, T0 + 61_000))).not.toContain("validation");
  });
});

describe("renderValidation after the last step", () => {
  it("shows the deployment validation items with their evidence, and the root and the summary say how it went", () => {
    const items: ItemResult[] = [
      {
        id: "app-starts",
        title: "Application starts",
        section: "deployment",
        required: true,
        status: "passed",
        evidence: "exit 0: GET /healthz 200",
      },
      {
        id: "no-log-errors",
        title: "No errors in logs",
        section: "deployment",
        required: true,
        status: "failed",
        evidence: "1 error line since 2026-12-07T06:00:00.000Z (at most 0): ERROR payment provider timed out",
      },
    ];
    const d = moveTo({ ...fourOfFive(), deploymentValidation: items }, "failed", T0 + 90_000, {
      failureReason: "deployment validation failed: No errors in logs",
    });
    const reply = renderValidation(d, "post-deployment");
    expect(sectionTexts(reply)).toEqual([
      "🩺 *Deployment validation* — ❌ failed (1/2 passed)",
      "*Deployment validation*\n✅ Application starts — exit 0: GET /healthz 200\n❌ No errors in logs — 1 error line since 2026-12-07T06:00:00.000Z (at most 0): ERROR payment provider timed out",
    ]);
    expectWithinSlackLimits(reply);
    expect(mrkdwn(renderRootMessage(d, T0 + 90_000))).toContain("*Deployment validation:* ❌ failed (1/2 passed)");
    expect(mrkdwn(renderSummary(d, T0 + 90_000))).toContain("Deployment validation: ❌ failed (1/2 passed)");
    expect(mrkdwn(renderRootMessage(fourOfFive(), T0))).not.toContain("validation");
  });
});

describe("the root message's dashboard", () => {
  it("shows the service's own metrics on one line, marking the one that tripped, and its own response target", () => {
    const verdict = analyse({
      canary: {
        version: "v1.2.0",
        at: T0,
        windowSeconds: 10,
        requests: 500,
        requestRate: 50,
        errorRate: 0,
        p95Seconds: 0.145,
        cpu: 0.1,
        memory: 0.2,
        custom: { p99: 0.21, "conversion-rate": 0.05 },
      },
      baseline: undefined,
      health: { healthy: true },
      triggers: withDefaultTriggers({ latencyMaxMs: 200 }),
      custom: [
        { name: "p99", title: "p99 latency", unit: "seconds", worse: "higher", rollback: false },
        {
          name: "conversion-rate",
          title: "conversion rate",
          unit: "ratio",
          worse: "lower",
          limit: 0.2,
          rollback: true,
        },
        { name: "active-users", title: "active users", unit: "number", worse: "lower", rollback: false },
      ],
    });
    const d = { ...fourOfFive(), analyses: [{ stageIndex: 3, at: T0, verdict, rounds: 1 }] };
    const text = mrkdwn(renderRootMessage(d, T0));
    expect(text).toContain("*Response:* 145ms (target: <200ms)");
    expect(text).toContain("*Metrics:* p99 latency 210ms · conversion rate ❌ 5% · active users ❔ no data");
    expect(verdict.outcome).toBe("fail");
  });
});

describe("the two monitoring windows on the root message", () => {
  const slack = (at: number) => `<!date^${at / 1000}^{time}|${new Date(at).toISOString().slice(11, 16)} UTC>`;
  const IMMEDIATE_END = T0 + 15 * 60_000;
  const EXTENDED_END = T0 + 75 * 60_000;
  const ROLLBACK_ID = "d-8m2k4x7q";

  function monitoring(): Deployment {
    const done = STAGES.reduce((d, _, i) => succeed(i === 0 ? moveTo(d, "running", T0) : d, i), requested());
    return {
      ...moveTo(done, "monitoring", T0),
      monitorUntil: IMMEDIATE_END,
      extendedWatch: { until: EXTENDED_END },
    };
  }

  function watchedThen(ended?: WatchEnd): Deployment {
    const d = { ...moveTo({ ...monitoring(), monitorUntil: undefined }, "succeeded", IMMEDIATE_END) };
    return ended ? { ...d, extendedWatch: { until: EXTENDED_END, ended } } : d;
  }

  it("says the immediate window holds the environment until when, then the extended one", () => {
    expect(mrkdwn(renderRootMessage(monitoring(), T0))).toContain(
      `*Monitoring:* immediate window until ${slack(IMMEDIATE_END)}, then extended until ${slack(EXTENDED_END)}`,
    );
  });

  it("says a succeeded deployment is watched by its extended window with the environment free, and offers Roll back", () => {
    const message = renderRootMessage(watchedThen(), IMMEDIATE_END);
    expect(mrkdwn(message)).toContain("*Status:* ✅ *Succeeded*");
    expect(mrkdwn(message)).toContain(
      `*Monitoring:* extended window until ${slack(EXTENDED_END)}; production is free for the next deployment`,
    );
    expect(message.blocks.some((b) => b.type === "actions" && JSON.stringify(b).includes(ACTION_IDS.rollBack))).toBe(
      true,
    );
  });

  it.each<[string, WatchEnd, string]>([
    ["passed", { at: EXTENDED_END, outcome: "passed" }, `*Extended window:* ✅ passed, ended ${slack(EXTENDED_END)}`],
    [
      "no data",
      { at: T0 + 30 * 60_000, outcome: "no_data", summary: "no data for conversion-rate" },
      `*Extended window:* ❔ stopped ${slack(T0 + 30 * 60_000)}, its metrics had no data: no data for conversion-rate`,
    ],
    [
      "replaced",
      { at: T0 + 20 * 60_000, outcome: "superseded", by: ROLLBACK_ID },
      `*Extended window:* ended ${slack(T0 + 20 * 60_000)}: \`${ROLLBACK_ID}\` has since changed what runs here`,
    ],
    [
      "tripped, rolled back",
      {
        at: T0 + 40 * 60_000,
        outcome: "tripped",
        summary: "conversion rate 2% (limit: ≥ 10%)",
        rollbackId: ROLLBACK_ID,
        rollback: { started: true, deploymentId: ROLLBACK_ID, to: "v1.1.0" },
      },
      `— Slipway rolls it back to v1.1.0 in \`${ROLLBACK_ID}\``,
    ],
    [
      "tripped, a newer deployment in the way",
      {
        at: T0 + 40 * 60_000,
        outcome: "tripped",
        summary: "conversion rate 2% (limit: ≥ 10%)",
        rollbackId: ROLLBACK_ID,
        rollback: { started: false, code: "not_latest", newer: "d-3n4p5q6r" },
      },
      "not rolled back: a newer deployment (`d-3n4p5q6r`) is under way here",
    ],
    [
      "tripped, locked",
      {
        at: T0 + 40 * 60_000,
        outcome: "tripped",
        summary: "conversion rate 2% (limit: ≥ 10%)",
        rollbackId: ROLLBACK_ID,
        rollback: { started: false, code: "locked" },
      },
      "not rolled back: the environment is locked; unlock it and /rollback",
    ],
  ])("says how the extended window ended: %s", (_, ended, words) => {
    const text = mrkdwn(renderRootMessage(watchedThen(ended), EXTENDED_END));
    expect(text).toContain(words);
    expect(text).not.toContain("*Monitoring:*");
  });

  it("alerts Slipway's own rollback with what tripped, and says when the earlier version was back", () => {
    const back = moveTo(
      {
        ...requested({
          id: ROLLBACK_ID,
          version: "v1.1.0",
          rollbackOf: "v1.2.0",
          source: "slipway",
          requestedBy: "slipway",
          requesterName: "the extended window",
          incidentChannel: "C0INCIDENT",
          incident: { at: T0, summary: "conversion rate 2% (limit: ≥ 10%)" },
        }),
        incident: { at: T0, summary: "conversion rate 2% (limit: ≥ 10%)", trafficRestoredMs: 42_000 },
      },
      "running",
      T0,
    );
    const text = mrkdwn(renderIncident(moveTo(back, "succeeded", T0 + 42_000), undefined));
    expect(text).toContain("*automatic rollback of web v1.2.0 → production*");
    expect(text).toContain("*What tripped:* conversion rate 2% (limit: ≥ 10%)");
    expect(text).toContain("*What Slipway did:* ✅ back on v1.1.0");
    expect(text).toContain("*Traffic back on stable in:* 42s");
    expect(contextText(renderRootMessage(back, T0))).toContain("requested by Slipway (the extended window)");
  });
});
