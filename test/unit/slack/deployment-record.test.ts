import { describe, expect, it } from "vitest";
import type { Verdict } from "../../../src/domain/analysis.js";
import { type WhatChanged, whatChanged } from "../../../src/domain/changes.js";
import { type Deployment, moveTo, newDeployment, updateStage } from "../../../src/domain/deployment.js";
import { incidentOf, recordOf } from "../../../src/domain/deployment-record.js";
import { beginRollback } from "../../../src/engine/rollback.js";
import {
  recordMarkdown,
  renderClosingRecord,
  renderIncidentRecord,
  renderRecordAnswer,
} from "../../../src/slack/renderers/deployment-record.js";
import { threadMessages } from "../../../src/slack/renderers/thread.js";
import { expectWithinSlackLimits } from "../../support/slack-message.js";

const T0 = Date.UTC(2026, 11, 7, 9, 30, 0);
const MIN = 60_000;

function base(environment = "production"): Deployment {
  return newDeployment(
    {
      id: "d-7k3m9x2q",
      service: "web",
      environment,
      version: "v1.2.0",
      strategy: "canary",
      hotfix: false,
      requestedBy: "U0ENGINEER",
      source: "slack",
      steps: [{ name: "unit-tests" }, { name: "deploy", action: "deploy" }, { name: "smoke" }],
      channel: "C0DEPLOYS",
      incidentChannel: "C0INCIDENT",
      waitLimitMs: 4 * 3_600_000,
    },
    T0,
  );
}

/** Three commits since v1.1.9, the first made a day before the deployment. */
const CHANGES: WhatChanged = whatChanged(
  [
    { sha: "c3", subject: "perf: faster search", author: "Cy", at: T0 - 3_600_000, body: "" },
    { sha: "b2", subject: "fix: crash on <empty> cart", author: "Bo", at: T0 - 7_200_000, body: "Fixes DEF-104" },
    { sha: "a1", subject: "feat: checkout in one step", author: "Ann", at: T0 - 86_400_000, body: "TASK-12" },
  ],
  "v1.1.9",
);

/** Ran its three stages in 5 minutes, approved by two, with a unit-test report of 1,234 tests. */
function succeeded(): Deployment {
  let d = moveTo(base(), "running", T0 + MIN);
  d = {
    ...d,
    whatChanged: CHANGES,
    approval: {
      needed: 2,
      allowSelfApproval: false,
      approvers: "approvers",
      requestedAt: T0,
      votes: [
        { userId: "U0LEAD01", decision: "approve", at: T0 + 30_000 },
        { userId: "U0LEAD02", decision: "approve", at: T0 + 40_000 },
      ],
    },
  };
  d = updateStage(
    d,
    0,
    {
      status: "succeeded",
      startedAt: T0 + MIN,
      finishedAt: T0 + 2 * MIN,
      tests: { label: "Unit Tests", passed: 1234, failed: 0, skipped: 0 },
    },
    T0 + 2 * MIN,
  );
  d = updateStage(d, 1, { status: "succeeded", startedAt: T0 + 2 * MIN, finishedAt: T0 + 4 * MIN }, T0 + 4 * MIN);
  d = updateStage(d, 2, { status: "succeeded", startedAt: T0 + 4 * MIN, finishedAt: T0 + 6 * MIN }, T0 + 6 * MIN);
  return moveTo(d, "succeeded", T0 + 6 * MIN);
}

const FAILING: Verdict = {
  outcome: "fail",
  checks: [
    {
      name: "errorRate",
      status: "fail",
      observed: 21,
      baseline: 0.4,
      threshold: 5.4,
      unit: "%",
      text: "error rate 21% vs baseline 0.4%",
    },
    { name: "latency", status: "pass", observed: 150, baseline: 120, threshold: 240, unit: "ms", text: "p95 150ms" },
    {
      name: "health",
      status: "fail",
      observed: 0,
      baseline: undefined,
      threshold: 1,
      unit: "check",
      text: "health failing",
    },
  ],
  canary: { version: "v1.2.0", at: T0 + 5 * MIN, windowSeconds: 60 },
  baseline: { version: "v1.1.9", at: T0 + 5 * MIN, windowSeconds: 60 },
  summary: "error rate 21% vs baseline 0.4% (limit 5.4%)",
  missing: [],
};

/** An automatic rollback: bad sample at +5m, traffic back at +5m20s, validated at +6m, acknowledged at +7m. */
function rolledBack(): Deployment {
  let d = moveTo({ ...base(), previousVersion: "v1.1.9" }, "running", T0 + MIN);
  d = updateStage(d, 0, { status: "succeeded", startedAt: T0 + MIN, finishedAt: T0 + 2 * MIN }, T0 + 2 * MIN);
  d = updateStage(d, 1, { status: "succeeded", startedAt: T0 + 2 * MIN, finishedAt: T0 + 3 * MIN }, T0 + 3 * MIN);
  d = { ...d, analyses: [{ stageIndex: 2, at: T0 + 5 * MIN, verdict: FAILING, rounds: 1 }] };
  d = {
    ...beginRollback(d, `automatic rollback: ${FAILING.summary}`, "slipway", T0 + 5 * MIN),
    incident: {
      at: T0 + 5 * MIN,
      summary: FAILING.summary,
      trafficRestoredMs: 20_000,
      acknowledgedBy: "U0SRE001",
      acknowledgedAt: T0 + 7 * MIN,
    },
  };
  d = {
    ...d,
    rollback: {
      reason: `automatic rollback: ${FAILING.summary}`,
      by: "slipway",
      startedAt: T0 + 5 * MIN,
      finishedAt: T0 + 6 * MIN,
      actions: [
        { name: "traffic-to-stable", ok: true, output: "", at: T0 + 5 * MIN + 20_000 },
        { name: "rollback", ok: true, output: "", at: T0 + 5 * MIN + 40_000 },
      ],
      checklist: [
        {
          id: "previous-version-running",
          title: "Previous version running",
          section: "validation",
          required: true,
          status: "passed",
          evidence: "ok",
        },
        {
          id: "users-can-access",
          title: "Users can access system",
          section: "validation",
          required: true,
          status: "passed",
          evidence: "ok",
        },
      ],
    },
  };
  return moveTo(d, "rolled_back", T0 + 6 * MIN);
}

describe("the record's lead time", () => {
  it("starts at the first commit after the version live before when git listed the changes, else at the request", () => {
    expect(recordOf(succeeded())).toMatchObject({ leadTimeFrom: T0 - 86_400_000, leadTimeSource: "git" });
    const { whatChanged: _listed, ...unlisted } = succeeded();
    expect(recordOf(unlisted)).toMatchObject({ leadTimeFrom: T0, leadTimeSource: "request" });
  });
});

describe("the deployment record as markdown", () => {
  it("follows the seed's template line for line", () => {
    expect(recordMarkdown(recordOf(succeeded()))).toBe(
      [
        "## Deployment: v1.2.0",
        "Date: 2026-12-07 09:31 UTC",
        "Environment: Production",
        "Deployer: <@U0ENGINEER> (approved by <@U0LEAD01>, <@U0LEAD02>)",
        "Duration: 5 minutes",
        "",
        "### Changes Included",
        "- Feature: checkout in one step (TASK-12) — Ann",
        "- Fix: crash on &lt;empty&gt; cart (DEF-104) — Bo",
        "- Enhancement: faster search — Cy",
        "",
        "### Test Results",
        "- Unit Tests: PASS (1,234 tests)",
        "",
        "### Deployment Metrics",
        "- Downtime: 0 seconds",
        "- Rollback Required: No",
        "- Issues Found: None",
        "- Performance Impact: Not measured (no analysis against a baseline)",
        "",
        "### Lessons Learned",
        "- None recorded",
      ].join("\n"),
    );
  });

  it("a rollback: downtime from the failed health check to traffic on stable, the impact against baseline, the review wanted, the incident linked", () => {
    const markdown = recordMarkdown(recordOf(rolledBack()), { incident: "https://slack.com/archives/C0INCIDENT/p1" });
    expect(markdown).toContain("- Downtime: 20 seconds");
    expect(markdown).toContain("- Rollback Required: Yes");
    expect(markdown).toContain("- Issues Found: automatic rollback: error rate 21% vs baseline 0.4% (limit 5.4%)");
    expect(markdown).toContain(
      "- Performance Impact: p95 150ms vs baseline 120ms (+25%); error rate 21% vs baseline 0.4%",
    );
    expect(markdown).toContain("<https://slack.com/archives/C0INCIDENT/p1|incident record>");
    expect(markdown).toContain("- Post-deployment review not written yet");
    expect(markdown).toContain("- None listed");
    expect(markdown).toContain("- No test reports");
  });

  it("lists the deployment validation, the post-rollback validation and the restore, each item with its evidence", () => {
    const restore = {
      backupId: "web-production-d-7k3m9x2q",
      takenBy: "d-7k3m9x2q",
      by: "U0DBA0001",
      at: T0 + 5 * MIN,
      ok: true,
      output: "restoring…\nrestored web production data from backup web-production-d-7k3m9x2q\n",
      finishedAt: T0 + 6 * MIN,
    };
    const validated: Deployment = {
      ...rolledBack(),
      deploymentValidation: [
        {
          id: "app-starts",
          title: "Application starts",
          section: "deployment",
          required: true,
          status: "failed",
          evidence: "exit 1: GET /healthz connection refused",
        },
        {
          id: "smoke",
          title: "Basic functionality works",
          section: "deployment",
          required: false,
          status: "passed",
          evidence: "exit 0: GET / 200",
        },
      ],
      backupId: "web-production-d-7k3m9x2q",
      restore,
    };
    const markdown = recordMarkdown(recordOf(validated));
    expect(markdown).toContain(
      [
        "### Deployment Validation",
        "- ❌ failed (1/2 passed)",
        "- ❌ Application starts — exit 1: GET /healthz connection refused",
        "- ✅ Basic functionality works _(advisory)_ — exit 0: GET / 200",
        "",
        "### Post-rollback Validation",
        "- ✅ passed (2/2)",
        "- ✅ Previous version running — ok",
        "- ✅ Users can access system — ok",
        "",
        "### Restore from Backup",
        "- ✅ Restored backup `web-production-d-7k3m9x2q` (taken by `d-7k3m9x2q`), asked by <@U0DBA0001> at 2026-12-07 09:35 UTC — restored web production data from backup web-production-d-7k3m9x2q",
        "",
        "### Lessons Learned",
      ].join("\n"),
    );
    const failed = recordMarkdown(
      recordOf({ ...validated, restore: { ...restore, ok: false, output: "no such backup" } }),
    );
    expect(failed).toContain("- ❌ Restore failed: backup `web-production-d-7k3m9x2q`");
    expect(failed).toContain("asked by <@U0DBA0001> at 2026-12-07 09:35 UTC — no such backup");
    // A validation that did not run has no section; one with no items declared says so.
    expect(recordMarkdown(recordOf(succeeded()))).not.toContain("Validation");
    expect(recordMarkdown(recordOf({ ...succeeded(), deploymentValidation: [] }))).toContain(
      "### Deployment Validation\n- ➖ no validation items declared\n",
    );
    // The thread's record has the same sections.
    const texts = renderClosingRecord(validated, T0 + 60 * MIN).blocks.flatMap((b) =>
      b.type === "section" ? [b.text.text] : [],
    );
    expect(texts).toContain(
      "*Post-rollback Validation*\n• ✅ passed (2/2)\n• ✅ Previous version running — ok\n• ✅ Users can access system — ok",
    );
  });

  it("lists the extended window: watching until when, then how it ended, a trip counted as a rollback with its issue", () => {
    const watching = { ...succeeded(), extendedWatch: { until: T0 + 75 * MIN } };
    expect(recordMarkdown(recordOf(watching))).toContain(
      "### Extended Monitoring\n- 👀 watching until 2026-12-07 10:45 UTC",
    );
    const passed = {
      ...watching,
      extendedWatch: { until: T0 + 75 * MIN, ended: { at: T0 + 75 * MIN, outcome: "passed" as const } },
    };
    expect(recordMarkdown(recordOf(passed))).toContain(
      "### Extended Monitoring\n- ✅ passed, ended 2026-12-07 10:45 UTC",
    );
    expect(recordOf(passed).rollbackRequired).toBe(false);
    const tripped = {
      ...watching,
      extendedWatch: {
        until: T0 + 75 * MIN,
        ended: {
          at: T0 + 40 * MIN,
          outcome: "tripped" as const,
          summary: "conversion rate 2% (limit: ≥ 10%)",
          rollbackId: "d-8m2k4x7q",
          rollback: { started: true as const, deploymentId: "d-8m2k4x7q", to: "v1.1.0" },
        },
      },
    };
    const markdown = recordMarkdown(recordOf(tripped));
    expect(markdown).toContain("- Rollback Required: Yes");
    expect(markdown).toContain("- Issues Found: extended window: conversion rate 2% (limit: ≥ 10%)");
    expect(markdown).toContain(
      "### Extended Monitoring\n- 🚨 tripped 2026-12-07 10:10 UTC: conversion rate 2% (limit: ≥ 10%) — Slipway rolls it back to v1.1.0 in `d-8m2k4x7q`",
    );
  });

  it("shows the review's answers under Lessons Learned", () => {
    const d = {
      ...rolledBack(),
      review: {
        by: "U0SRE001",
        at: T0 + 60 * MIN,
        answers: { wentWell: "Rollback took 20s", improve: "Canary at 1% first" },
      },
    };
    const markdown = recordMarkdown(recordOf(d));
    expect(markdown).toContain(
      "### Lessons Learned\n- What went well: Rollback took 20s\n- How we can improve: Canary at 1% first\n- (review by <@U0SRE001>, 2026-12-07 10:30 UTC)",
    );
  });
});

describe("the record in Slack", () => {
  it("closes the thread with the summary and the record's sections, within Slack's limits", () => {
    const d = succeeded();
    const message = renderClosingRecord(d, T0 + 60 * MIN);
    expectWithinSlackLimits(message);
    const texts = message.blocks.flatMap((b) => (b.type === "section" ? [b.text.text] : []));
    expect(texts[0]).toMatch(/^✅ \*Deployment succeeded\*: web v1\.2\.0 → production/);
    expect(texts).toContain("*Test Results*\n• Unit Tests: PASS (1,234 tests)");
    expect(texts.some((t) => t.startsWith("*Changes Included*\n• Feature: checkout in one step (TASK-12) — Ann"))).toBe(
      true,
    );
  });

  it("stays within Slack's limits with hundreds of commits and long answers", () => {
    const many = whatChanged(
      Array.from({ length: 400 }, (_, i) => ({
        sha: `s${i}`,
        subject: `${i % 2 ? "fix" : "feat"}: ${`change number ${i} with a fairly long subject line that goes on`.repeat(2)}`,
        author: "Ann",
        at: T0,
        body: `DEF-${i}`,
      })),
      "v1.1.9",
    );
    const d = {
      ...succeeded(),
      whatChanged: many,
      review: { by: "U1", at: T0, answers: { wentWell: "x".repeat(1000), surprises: "y".repeat(1000) } },
    };
    const closing = renderClosingRecord(d, T0);
    expectWithinSlackLimits(closing);
    const changes = closing.blocks.flatMap((b) =>
      b.type === "section" && b.text.text.startsWith("*Changes Included*") ? [b.text.text] : [],
    )[0];
    expect(changes).toMatch(/\n• …and \d+ more \((\d+ features, )?\d+ fixes\)$/);
    const listed = (changes?.match(/\n• (Feature|Fix): /g) ?? []).length;
    const more = Number(/…and (\d+) more/.exec(changes ?? "")?.[1]);
    expect(listed + more).toBe(400);
    const answer = renderRecordAnswer(recordOf(d));
    expectWithinSlackLimits(answer);
    expect(answer.blocks.length).toBeGreaterThan(2);
  });

  it("the incident record lists its timeline in order", () => {
    const d = rolledBack();
    const incident = incidentOf(d);
    expect(incident?.timeline.map((e) => e.kind)).toEqual([
      "first-bad-sample",
      "rollback-started",
      "traffic-on-stable",
      "validation",
      "acknowledged",
    ]);
    if (!incident) return;
    const message = renderIncidentRecord(d, incident, "1700000000.000100");
    expectWithinSlackLimits(message);
    const text = message.blocks.flatMap((b) => (b.type === "section" ? [b.text.text] : [])).join("\n");
    expect(text).toContain("First bad sample: error rate 21%");
    expect(text).toContain("Rollback started by Slipway");
    expect(text).toContain("Traffic back on the stable version v1.1.9");
    expect(text).toContain("Post-rollback validation passed (2/2)");
    expect(text).toContain("Acknowledged by <@U0SRE001>");
  });

  it("a /rollback in production has an incident record too: who took it back, when the earlier version was live again", () => {
    let d = moveTo(
      newDeployment(
        {
          id: "d-rollback1",
          service: "web",
          environment: "production",
          version: "v1.1.9",
          strategy: "all-at-once",
          hotfix: false,
          requestedBy: "U0ONCALL1",
          source: "slack",
          steps: [{ name: "deploy", action: "deploy" }],
          channel: "C0DEPLOYS",
          incidentChannel: "C0INCIDENT",
          waitLimitMs: 3_600_000,
          rollbackOf: "v1.2.0",
        },
        T0,
      ),
      "running",
      T0,
    );
    d = updateStage(d, 0, { status: "succeeded", startedAt: T0, finishedAt: T0 + 30_000 }, T0 + 30_000);
    d = {
      ...d,
      validation: [
        {
          id: "users-can-access",
          title: "Users can access system",
          section: "validation",
          required: true,
          status: "passed",
          evidence: "200 OK",
        },
      ],
    };
    d = moveTo(d, "succeeded", T0 + 40_000);
    const incident = incidentOf(d);
    expect(incident).toMatchObject({ automatic: false, summary: "v1.2.0 rolled back to v1.1.9 by <@U0ONCALL1>" });
    expect(incident?.timeline.map((e) => [e.kind, e.at])).toEqual([
      ["rollback-started", T0],
      ["traffic-on-stable", T0 + 30_000],
      ["validation", T0 + 40_000],
      ["acknowledged", undefined],
    ]);
    if (!incident) return;
    const text = renderIncidentRecord(d, incident, undefined)
      .blocks.flatMap((b) => (b.type === "section" ? [b.text.text] : []))
      .join("\n");
    expect(text).toContain("Rollback started by <@U0ONCALL1>: back from v1.2.0 to v1.1.9");
    expect(text).toContain("Traffic back on the stable version v1.1.9");
    expect(text).toContain("Post-rollback validation passed (1/1)");
    expect(text).toContain("Acknowledgement: none asked (a person rolled it back)");
    // The thread's messages: the alert in the incident channel, the incident record in its thread.
    const messages = threadMessages(d, T0 + 60_000);
    expect(messages.find((m) => m.name === "validation")?.render().text).toBe(
      "Post-rollback validation of web v1.1.9: ✅ passed (1/1)",
    );
    expect(messages.filter((m) => m.channel === "C0INCIDENT").map((m) => [m.name, m.threadOf])).toEqual([
      ["incident", undefined],
      ["incident-record", "incident"],
    ]);
    const alert = messages.find((m) => m.name === "incident")?.render("1700000000.000100");
    expect(alert?.text).toBe("Incident: rollback of web v1.2.0 → production");
    expect(JSON.stringify(alert?.blocks)).toContain(
      "*Why:* <@U0ONCALL1> rolled production back from v1.2.0 to v1.1.9 (done)",
    );
    expect(JSON.stringify(alert?.blocks)).not.toContain("roll_back");
  });

  it("makes no incident record outside production", () => {
    expect(incidentOf({ ...rolledBack(), environment: "staging" })).toBeUndefined();
  });
});
