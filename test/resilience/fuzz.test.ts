import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSignedRequest, sendRequest } from "../../src/standin/http-delivery.js";
import { isJsonObject, type JsonObject } from "../../src/standin/json.js";
import { keys } from "../../src/store/keys.js";
import {
  brokenBlockAction,
  brokenOtherPayload,
  brokenRawBody,
  commandText,
  type InteractionCase,
  misshapenPayloads,
  seededRandom,
  userId,
} from "../support/fuzz-inputs.js";
import { REDIS_URL } from "../support/redis.js";
import { FLEET_SIGNING_SECRET, SlipwayFleet } from "../support/slipway-fleet.js";
import { ROOT } from "../support/slipway-process.js";
import { tally } from "../support/tally.js";

/*
 * Thousands of random and adversarial requests through the real HTTP
 * receiver, all correctly signed: slash command texts for /deploy, /approve
 * and /rollback (unicode, control characters, shell metacharacters and
 * command substitutions, up to 100 KB, NULs, names that are also object
 * keys) and interaction payloads (bad JSON, unknown action ids, missing and
 * mistyped fields, huge values). One `slipway all` with the example manifest.
 *
 * Slipway must stay up (/healthz), answer each request within Slack's 3 s
 * with an ephemeral message (or a 4xx for what is not a Slack request at
 * all), queue nothing, and never let input reach a shell: a marker file that
 * the injected commands would create must never appear.
 */

const SEED = Number(process.env.SEED ?? 20_261_127);
const COMMANDS = 2_100;
const BLOCK_ACTIONS = 600;
const OTHER_PAYLOADS = 150;
const RAW_BODIES = 150;
const CONCURRENCY = 12;
const SLACK_LIMIT_MS = 3_000;
const CHANNEL = "C0DEPLOYS";

type Case =
  | {
      readonly kind: "command";
      readonly command: "/deploy" | "/approve" | "/rollback";
      readonly text: string;
      readonly user: string;
    }
  | InteractionCase;

interface Answer {
  readonly label: string;
  readonly status: number;
  readonly elapsedMs: number;
  readonly body: string;
  readonly json: unknown;
  readonly responseUrl?: string;
  readonly expectAnswer: boolean;
  /** Slack always sends the field this payload lacks or mistypes (pinned by its own test below). */
  readonly misshapen: boolean;
  readonly error?: string;
}

function describeCase(c: Case): string {
  const clip = (s: string) => JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…(${s.length})` : s);
  if (c.kind === "command") return `${c.command} ${clip(c.text)} by ${clip(c.user)}`;
  if (c.kind === "raw") return `raw ${clip(c.body)}`;
  return `payload ${clip(JSON.stringify(c.payload))}`;
}

describe("fuzzing Slipway's Slack receiver with signed hostile input", () => {
  let fleet: SlipwayFleet;
  let markerDir: string;
  let marker: string;
  let crashed = false;

  beforeAll(async () => {
    markerDir = await mkdtemp(join(tmpdir(), "slipway-fuzz-"));
    marker = join(markerDir, "pwned");
    fleet = await SlipwayFleet.start({
      label: "fuzz",
      manifests: { dir: join(ROOT, "manifests", "services") },
      redisUrl: REDIS_URL,
      workers: 0,
    });
  });

  afterAll(async () => {
    const codes = (await fleet?.close()) ?? [];
    if (markerDir) await rm(markerDir, { recursive: true, force: true });
    // The JSON-null test below takes the app down (a known bug); it cannot then exit 0.
    for (const { process, code } of codes) if (!crashed) expect(code, process.describe()).toBe(0);
  });

  /** /healthz's status; 0 when Slipway does not answer (its exit and last output are logged). */
  async function healthz(): Promise<number> {
    try {
      const response = await fetch(`http://127.0.0.1:${fleet.app.port}/healthz`, {
        signal: AbortSignal.timeout(3_000),
      });
      return response.status;
    } catch (error) {
      const { exitCode, signalCode } = fleet.app.child;
      console.error(
        `/healthz failed (${String(error)}); slipway exit ${exitCode ?? signalCode}:\n${fleet.app.describe()}`,
      );
      return 0;
    }
  }

  async function send(c: Case): Promise<Answer> {
    const label = describeCase(c);
    try {
      if (c.kind === "command") {
        const d = await fleet.slack.command(
          { command: c.command, text: c.text, userId: c.user, channelId: CHANNEL },
          { timeoutMs: 10_000 },
        );
        return {
          label,
          status: d.status,
          elapsedMs: d.elapsedMs,
          body: d.body,
          json: d.json,
          expectAnswer: false,
          misshapen: false,
        };
      }
      if (c.kind === "payload") {
        const d = await fleet.slack.interact(c.payload, { timeoutMs: 10_000 });
        return {
          label,
          status: d.status,
          elapsedMs: d.elapsedMs,
          body: d.body,
          json: d.json,
          ...(d.responseUrl ? { responseUrl: d.responseUrl } : {}),
          expectAnswer: c.expectAnswer,
          misshapen: c.misshapen,
        };
      }
      const request = buildSignedRequest(
        fleet.app.eventsUrl,
        c.body,
        "application/x-www-form-urlencoded",
        FLEET_SIGNING_SECRET,
        Math.floor(Date.now() / 1000),
        {},
      );
      const d = await sendRequest(request, 10_000, Date.now);
      return {
        label,
        status: d.status,
        elapsedMs: d.elapsedMs,
        body: d.body,
        json: d.json,
        expectAnswer: false,
        misshapen: false,
      };
    } catch (error) {
      return {
        label,
        status: 0,
        elapsedMs: -1,
        body: "",
        json: undefined,
        expectAnswer: false,
        misshapen: false,
        error: String(error),
      };
    }
  }

  it("answers every request in time, queues nothing, runs nothing and stays up", async () => {
    const random = seededRandom(SEED);
    const base = approveClick();
    const commands = ["/deploy", "/approve", "/rollback"] as const;
    const cases: Case[] = [
      ...Array.from({ length: COMMANDS }, (_, i): Case => {
        const command = commands[i % 3] as (typeof commands)[number];
        return { kind: "command", command, text: commandText(random, marker, command), user: userId(random) };
      }),
      ...Array.from({ length: BLOCK_ACTIONS }, () => {
        // A fresh response URL per click, as Slack gives.
        const fresh = fleet.slack.blockAction({
          actionId: "slipway_approve",
          value: "d-7k3m9x2q",
          userId: "U0FUZZ001",
          channelId: CHANNEL,
          messageTs: "1700000000.000100",
        });
        return brokenBlockAction(
          random,
          { ...base, response_url: fresh.response_url ?? "", trigger_id: fresh.trigger_id ?? "" },
          marker,
        );
      }),
      ...Array.from({ length: OTHER_PAYLOADS }, () => brokenOtherPayload(random, marker)),
      ...Array.from({ length: RAW_BODIES }, () => brokenRawBody(random, marker)),
    ];
    // Interleaved, so state left by one kind of request meets the others.
    for (let i = cases.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [cases[i], cases[j]] = [cases[j] as Case, cases[i] as Case];
    }

    const answers: Answer[] = [];
    const health: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (;;) {
          const index = next;
          next += 1;
          const c = cases[index];
          if (!c) return;
          answers.push(await send(c));
          if (index % 250 === 0) health.push(await healthz());
        }
      }),
    );

    // Interaction answers come through the response URL, after the ack.
    const unanswered: string[] = [];
    for (const a of answers.filter((x) => x.expectAnswer && x.status === 200 && x.responseUrl)) {
      const record = await fleet.slack
        .waitForResponse(a.responseUrl as string, { timeoutMs: 10_000 })
        .catch(() => undefined);
      const text = record ? fleet.slack.textOf(record.body) : "";
      if (text.trim().length === 0) unanswered.push(a.label);
    }

    const k = keys(fleet.prefix);
    const pipeline = fleet.queue("pipeline");
    const notify = fleet.queue("notify");
    const states = ["active", "waiting", "delayed", "completed", "failed", "prioritized", "waiting-children"] as const;
    const pipelineJobs = (await pipeline.getJobs([...states], 0, 1_000)).filter(
      // The watchdog and the manifests' own schedules are queued by Slipway at start, not by any request.
      (j) => j.name !== "watchdog" && j.name !== "scheduled",
    );
    const notifyJobs = await notify.getJobs([...states], 0, 1_000);
    await pipeline.close();
    await notify.close();

    const byStatus = tally(answers.map((a) => a.status));
    const times = answers.map((a) => a.elapsedMs).sort((a, b) => a - b);
    const errorLogs = fleet
      .logs((l) => l.level >= 50)
      .map(({ line }) => `${line.msg}: ${String((line.err as JsonObject | undefined)?.message ?? "").slice(0, 120)}`);
    console.log(
      JSON.stringify(
        {
          seed: SEED,
          requests: answers.length,
          byStatus,
          elapsedMs: {
            median: times[Math.floor(times.length / 2)],
            p99: times[Math.floor(times.length * 0.99)],
            max: times.at(-1),
          },
          slowest: [...answers]
            .sort((a, b) => b.elapsedMs - a.elapsedMs)
            .slice(0, 3)
            .map((a) => `${a.elapsedMs} ms ${a.status} ${a.label}`),
          errorLogs: tally(errorLogs),
        },
        null,
        2,
      ),
    );

    expect(answers).toHaveLength(cases.length);
    // Slipway is up, and answered every request.
    expect.soft(fleet.app.child.exitCode).toBeNull();
    expect.soft(await healthz()).toBe(200);
    expect.soft(health.every((s) => s === 200)).toBe(true);
    expect.soft(answers.filter((a) => a.error).map((a) => `${a.label}: ${a.error}`)).toEqual([]);

    // Within Slack's 3 s; an ephemeral answer or a 4xx, never a 5xx. Misshapen payloads and requests no
    // listener handles also have their own tests below.
    expect
      .soft(answers.filter((a) => a.elapsedMs >= SLACK_LIMIT_MS).map((a) => `${a.elapsedMs} ms: ${a.label}`))
      .toEqual([]);
    expect
      .soft(
        answers
          .filter((a) => !a.misshapen && a.status !== 200 && (a.status < 400 || a.status > 499))
          .map((a) => `${a.status}: ${a.label}`),
      )
      .toEqual([]);
    const commandAnswers = answers.filter((a) => a.label.startsWith("/") && a.status === 200);
    const unhelpful = commandAnswers.filter((a) => {
      const json = isJsonObject(a.json) ? a.json : undefined;
      const text = typeof json?.text === "string" ? json.text : "";
      return json?.response_type !== "ephemeral" || text.trim().length < 10 || text.length > 4_000;
    });
    expect.soft(unhelpful.map((a) => `${a.label} → ${a.body.slice(0, 200)}`)).toEqual([]);
    expect.soft(unanswered).toEqual([]);

    // Nothing queued, nothing run.
    expect.soft(await fleet.redis.zcard(k.deploymentIndex)).toBe(0);
    expect.soft(pipelineJobs.map((j) => `${j.name} ${j.id}`)).toEqual([]);
    expect.soft(notifyJobs.map((j) => `${j.name} ${j.id}`)).toEqual([]);
    expect.soft(existsSync(marker), `${marker} was created: input reached a shell`).toBe(false);
  }, 170_000);

  /** A well-formed Approve click on a message of the channel, to bend out of shape. */
  function approveClick(): JsonObject {
    return fleet.slack.blockAction({
      actionId: "slipway_approve",
      value: "d-7k3m9x2q",
      userId: "U0FUZZ001",
      channelId: CHANNEL,
      messageTs: "1700000000.000100",
    });
  }

  // Bolt would throw routing these, answered 500; Slipway refuses them first (src/slack/payload-shape.ts).
  it("answers 4xx, never 5xx, to signed interaction payloads that lack or mistype a field Slack always sends", async () => {
    const base = approveClick();
    const answers: string[] = [];
    for (const { label, payload } of misshapenPayloads(base)) {
      const d = await fleet.slack.interact(payload, { timeoutMs: 10_000 });
      if (d.status >= 500 || d.elapsedMs >= SLACK_LIMIT_MS) answers.push(`${d.status} in ${d.elapsedMs} ms: ${label}`);
    }
    expect(await healthz()).toBe(200);
    expect(answers).toEqual([]);
  }, 120_000);

  /*
   * Bolt answers a request no listener acknowledges (404) only when it gives
   * up on it (unhandledRequestTimeoutMillis 2,900 ms), which leaves Slack's
   * 3 s no margin: under the fuzz load above, such answers once took
   * 3.0–3.2 s. Slipway acknowledges what it does not handle at once.
   */
  it("answers requests no listener handles well inside Slack's 3 s", async () => {
    const base = approveClick();
    const unknownAction = structuredClone(base) as Record<string, unknown>;
    unknownAction.actions = [{ ...((base.actions as JsonObject[])[0] ?? {}), action_id: "slipway_deploy_everything" }];
    const slow: string[] = [];
    const payloads: JsonObject[] = [
      unknownAction as JsonObject,
      { type: "view_submission", user: { id: "U0FUZZ001" }, view: { id: "V0FUZZ", callback_id: "unknown_view" } },
      { type: "shortcut", callback_id: "deploy", user: { id: "U0FUZZ001" }, trigger_id: "1.2.3" },
    ];
    for (const payload of payloads) {
      const d = await fleet.slack.interact(payload, { timeoutMs: 10_000 });
      if (d.elapsedMs >= 1_500) slow.push(`${d.status} in ${d.elapsedMs} ms: ${JSON.stringify(payload).slice(0, 100)}`);
    }
    expect(slow).toEqual([]);
  }, 30_000);

  // A command is checked for its user before any listener sees it (src/slack/payload-shape.ts).
  it("refuses a signed /deploy that names no user, and queues nothing", async () => {
    const before = await fleet.redis.zcard(keys(fleet.prefix).deploymentIndex);
    for (const body of [
      `command=%2Fdeploy&text=${encodeURIComponent("development v1.2.0")}&channel_id=${CHANNEL}`,
      `command=%2Fdeploy&text=${encodeURIComponent("development v1.2.1")}&user_id=&channel_id=${CHANNEL}`,
    ]) {
      const request = buildSignedRequest(
        fleet.app.eventsUrl,
        body,
        "application/x-www-form-urlencoded",
        FLEET_SIGNING_SECRET,
        Math.floor(Date.now() / 1000),
        {},
      );
      const answer = await sendRequest(request, 10_000, Date.now);
      expect(answer.body).not.toMatch(/Queued/);
    }
    expect(await fleet.redis.zcard(keys(fleet.prefix).deploymentIndex)).toBe(before);
  });

  // Bolt's receiver would read `body.ssl_check` of a JSON `null` payload in an async function
  // nobody awaits, taking the process down; Slipway refuses such a body before Bolt sees it.
  it("stays up after a signed interaction whose payload is JSON null", async () => {
    const request = buildSignedRequest(
      fleet.app.eventsUrl,
      "payload=null",
      "application/x-www-form-urlencoded",
      FLEET_SIGNING_SECRET,
      Math.floor(Date.now() / 1000),
      {},
    );
    const answer = await sendRequest(request, 10_000, Date.now).catch((error: unknown) => ({ status: 0, error }));
    crashed = await Promise.race([
      fleet.app.exited.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1_000)),
    ]);
    expect(answer.status).toBe(400);
    expect(await healthz()).toBe(200);
    expect(fleet.app.child.exitCode).toBeNull();
  });
});
