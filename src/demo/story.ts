import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { FakeSlack } from "../standin/fake-slack.js";
import { type Outcome, walkDeployment } from "./walk.js";

/*
 * The story: the seed guide's workflow on the sample service, its router and
 * its load generator. A release goes through development and staging, waits
 * in production for its checklist and an approval, rolls out as a canary
 * under load with the live dashboard on its root message, and succeeds; then
 * a bad version answers 20% of requests with errors, trips the error-rate
 * trigger during its canary, rolls back by itself and alerts the incident
 * channel. Holds are seconds long, so the whole story takes about a minute.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const STORY = {
  service: "storefront",
  channel: "C0DEPLOYS",
  incidents: "C0INCIDENT",
  requester: "U0DEMO01",
  approver: "U0LEAD01",
  good: "v1.2.0",
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
target:
  type: command
  workdir: "${ROOT}"
  timeoutSeconds: 60
  actions:
    deploy: [node, examples/targets/deploy.mjs]
    setTraffic: [node, examples/targets/set-traffic.mjs]
    healthCheck: [node, examples/targets/health-check.mjs]
    rollback: [node, examples/targets/rollback.mjs]
metrics:
  source: scrape
  scrape:
    template: ${admin}/metrics/{{version}}
    interval: 2s
  interval: 2s
  timeout: 3s
  minRequests: 5
environments:
  development:
    checklist: [coverage]
    monitoring: { immediate: 4s }
    stages:
      - { name: unit-tests, run: [node, examples/stages/run-tests.mjs, unit] }
      - { name: deploy, action: deploy }
  staging:
    checklist: [coverage, no-critical-defects]
    monitoring: { immediate: 4s }
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
    monitoring: { immediate: 4s }
    stages:
      - { name: deploy, action: deploy }
      - { name: health-check, action: healthCheck }
`;
}

export interface StoryEnd {
  readonly outcomes: Record<string, Outcome>;
  readonly incidentAlerts: number;
}

/** Plays the story against a running Slipway; resolves with how each deployment ended. */
export async function playStory(
  slack: FakeSlack,
  names: Readonly<Record<string, string>>,
  say: (line: string) => void,
  timeoutMs: number,
): Promise<StoryEnd> {
  const outcomes: Record<string, Outcome> = {};
  const chapters = [
    ["development", STORY.good, "the release is built and tested in development"],
    ["staging", STORY.good, "staging follows with the full tests and the performance check"],
    ["production", STORY.good, "production: checklist, approval, then a canary under load"],
    ["production", STORY.bad, "a bad version: 20% errors trip the error-rate trigger during its canary"],
  ] as const;
  for (const [environment, version, what] of chapters) {
    say("");
    say(`── ${what}`);
    const { outcome } = await walkDeployment({
      slack,
      channel: STORY.channel,
      requester: STORY.requester,
      people: [STORY.approver],
      names,
      command: `${environment} ${version}`,
      say,
      timeoutMs,
    });
    outcomes[`${environment} ${version}`] = outcome;
    say(`  → ${outcome}`);
  }
  const incidentAlerts = slack.messages(STORY.incidents).filter((m) => m.threadTs === undefined && !m.deleted).length;
  return { outcomes, incidentAlerts };
}
