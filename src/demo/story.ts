import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { PushFields } from "../domain/git-push.js";
import { deliver } from "../hooks/deliver-push.js";
import type { FakeSlack } from "../standin/fake-slack.js";
import { exampleTargetYaml } from "./example-target.js";
import { type Outcome, seeThrough, walkDeployment } from "./walk.js";

/*
 * The story: the seed guide's workflow on the sample service, its router and
 * its load generator. A signed push of `develop` (as GitHub sends it) deploys
 * the commit to development; staging's schedule (every few seconds here)
 * takes it once it succeeded there; production waits for its checklist and
 * an approval, rolls out as a canary under load with the live dashboard on
 * its root message, and succeeds; then a bad version answers 20% of requests
 * with errors, trips the error-rate trigger during its canary, rolls back by
 * itself and alerts the incident channel. Holds are seconds long, so the
 * whole story takes about a minute.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The playground's button that plays the story. */
export const PLAY_THE_STORY = "Play the story";

export const STORY = {
  service: "storefront",
  channel: "C0STORYDEP",
  incidents: "C0STORYINC",
  requester: "U0DEMO01",
  approver: "U0LEAD01",
  repository: "example-org/storefront",
  branch: "develop",
  /** The variable holding the push webhook's secret. */
  secretEnv: "STOREFRONT_WEBHOOK_SECRET",
  bad: "v1.3.0-bad",
} as const;

/** The sample stack (router and v1.1.0 behind it) and steady load through it, as child processes. */
export interface StoryStack {
  readonly admin: string;
  readonly stateDir: string;
  stop(): void;
}

function jsonLine(child: ChildProcess, what: string, key: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    if (!child.stdout) return reject(new Error(`${what} has no output`));
    createInterface({ input: child.stdout }).on("line", (line) => {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed[key] === true) resolve(parsed);
      } catch {
        // a progress line, not the one awaited
      }
    });
    child.once("exit", (code) => reject(new Error(`${what} exited with ${code} before it was ready`)));
  });
}

export async function startStoryStack(): Promise<StoryStack> {
  const stateDir = await mkdtemp(join(tmpdir(), "slipway-story-"));
  const env = { ...process.env, SLIPWAY_EXAMPLE_STATE: stateDir };
  const stack = spawn(
    process.execPath,
    [join(ROOT, "examples/router/start-stack.mjs"), "--version", "v1.1.0", "--instances", "2", "--state", stateDir],
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "ignore"] },
  );
  const ready = await jsonLine(stack, "the sample stack", "ready");
  const load = spawn(
    process.execPath,
    [
      join(ROOT, "examples/load/load.mjs"),
      "--url",
      String(ready.url),
      "--rps",
      "40",
      "--duration",
      "600s",
      "--parent",
      String(process.pid),
    ],
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "ignore"] },
  );
  await jsonLine(load, "the load generator", "started");
  return {
    admin: String(ready.admin),
    stateDir,
    stop() {
      load.kill("SIGTERM");
      stack.kill("SIGTERM");
    },
  };
}

/** The story's service: the example scripts as target, metrics scraped from the router. */
export function storyManifest(admin: string): string {
  return `service: ${STORY.service}
description: The sample service behind its router, under steady load
channels:
  deploy: ${STORY.channel}
  incidents: ${STORY.incidents}
roles:
  deployers: { users: [${STORY.requester}] }
  approvers: { users: [${STORY.approver}] }
checklist:
  - id: coverage
    title: Code coverage ≥ 80%
    section: code
    check: { kind: json, file: examples/coverage/coverage-summary.json, path: total.lines.pct, op: ">=", value: 80 }
  - id: no-critical-defects
    title: No critical/high defects
    section: code
    check: { kind: tasks, file: examples/memory-bank/DEFECTS.md, fail: open-matching, match: "critical|high" }
  - id: release-notes
    title: Release notes written
    section: code
    check: { kind: manual }
${exampleTargetYaml(ROOT, ["deploy", "setTraffic", "healthCheck", "rollback"])}metrics:
  source: scrape
  scrape:
    template: ${admin}/metrics/{{version}}
    interval: 2s
  interval: 2s
  timeout: 3s
  minRequests: 5
  custom:
    - { name: conversion-rate, title: conversion rate, scrape: "ratio(checkout_conversions_total, checkout_visits_total)", unit: ratio, worse: lower, limit: 0.1 }
environments:
  development:
    push: { repository: ${STORY.repository}, branch: ${STORY.branch}, secretEnv: ${STORY.secretEnv} }
    checklist: [coverage]
    monitoring: { immediate: 4s, extended: false }
    stages:
      - { name: unit-tests, run: [node, examples/stages/run-tests.mjs, unit] }
      - { name: deploy, action: deploy }
  staging:
    schedule: { cron: "*/3 * * * * *", timezone: UTC, from: development }
    checklist: [coverage, no-critical-defects]
    monitoring: { immediate: 4s, extended: false }
    stages:
      - { name: full-tests, run: [node, examples/stages/run-tests.mjs, full] }
      - { name: deploy, action: deploy }
      - { name: performance, run: [node, examples/stages/performance.mjs] }
  production:
    strategy: canary
    checklist: [coverage, no-critical-defects, release-notes]
    approval: { approvers: [approvers] }
    canary:
      steps:
        - { weight: 25, hold: 4s }
        - { weight: 50, hold: 4s }
    # Succeeded after the immediate window; the extended one then watches the conversion rate with production free.
    monitoring: { immediate: 4s, extended: { for: 2m, interval: 4s } }
    stages:
      - { name: deploy, action: deploy }
      - { name: health-check, action: healthCheck }
`;
}

export interface StoryEnd {
  readonly outcomes: Record<string, Outcome>;
  readonly incidentAlerts: number;
}

/** Where the story plays: the stand-in, and Slipway's webhook with the secret its push trigger reads. */
export interface StoryStage {
  readonly slack: FakeSlack;
  /** Slipway's HTTP address, for `POST /hooks/git`. */
  readonly slipwayUrl: string;
  readonly webhookSecret: string;
  readonly names: Readonly<Record<string, string>>;
  readonly say: (line: string) => void;
  readonly timeoutMs: number;
}

/** A push of one new commit to the story's branch, with the fields GitHub sends that Slipway reads. */
function pushOf(commit: string, title: string, author: string): PushFields {
  return {
    ref: `refs/heads/${STORY.branch}`,
    after: commit,
    deleted: false,
    compare: `https://github.com/${STORY.repository}/commit/${commit.slice(0, 12)}`,
    head_commit: { id: commit, message: title, author: { name: author, username: author } },
    repository: { full_name: STORY.repository },
    pusher: { name: author },
  };
}

/** Plays the story against a running Slipway; resolves with how each deployment ended. */
export async function playStory(stage: StoryStage): Promise<StoryEnd> {
  const { slack, say } = stage;
  const walk = {
    slack,
    channel: STORY.channel,
    requester: STORY.requester,
    people: [STORY.approver],
    names: stage.names,
    say,
    timeoutMs: stage.timeoutMs,
  };
  const outcomes: Record<string, Outcome> = {};
  const incidentsBefore = alertsIn(slack);
  const chapter = (what: string) => {
    say("");
    say(`── ${what}`);
  };
  const ended = (what: string, outcome: Outcome) => {
    outcomes[what] = outcome;
    say(`  → ${outcome}`);
  };

  chapter("a push to develop deploys the commit to development");
  const commit = randomBytes(20).toString("hex");
  const pushed = await deliver(stage.slipwayUrl, {
    event: "push",
    payload: pushOf(commit, "Add gift cards to the checkout", "ada"),
    secret: stage.webhookSecret,
  });
  say(`$ git push origin ${STORY.branch}        (GitHub → POST /hooks/git: ${pushed.status} ${pushed.message})`);
  const [development] = pushed.deployments;
  if (!development?.deploymentId) throw new Error(`the push deployed nothing: ${pushed.message}`);
  const release = development.version;
  ended(`development ${release}`, await seeThrough(walk, development.deploymentId));

  chapter(`staging's schedule takes ${release} once it succeeded in development`);
  const scheduled = await slack.waitForMessage(
    (m) =>
      m.channel === STORY.channel &&
      m.threadTs === undefined &&
      /staging/i.test(slack.textOf(m)) &&
      slack.textOf(m).includes(release),
    { timeoutMs: stage.timeoutMs },
  );
  const stagingId = /\b(d-[a-z0-9]+)\b/.exec(slack.textOf(scheduled))?.[1];
  if (!stagingId) throw new Error(`no deployment id on staging's root message: ${slack.textOf(scheduled)}`);
  ended(`staging ${release}`, await seeThrough(walk, stagingId));

  for (const [version, what] of [
    [release, "production: checklist, approval, then a canary under load"],
    [STORY.bad, "a bad version: 20% errors trip the error-rate trigger during its canary"],
  ] as const) {
    chapter(what);
    const command = `production ${version} ${STORY.service}`;
    ended(`production ${version}`, (await walkDeployment({ ...walk, command })).outcome);
  }
  return { outcomes, incidentAlerts: alertsIn(slack) - incidentsBefore };
}

function alertsIn(slack: FakeSlack): number {
  return slack.messages(STORY.incidents).filter((m) => m.threadTs === undefined && !m.deleted).length;
}
