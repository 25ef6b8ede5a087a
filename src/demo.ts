import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { pino } from "pino";
import { loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startSlipway } from "./runtime.js";
import type { ApiCall } from "./standin/call-log.js";
import { FakeSlack } from "./standin/fake-slack.js";
import { deleteKeys } from "./store/delete-keys.js";

/*
 * `slipway demo`: the whole story on one machine. A local Slack stand-in
 * plays the workspace, Slipway runs against it with the example manifest,
 * and the demo types slash commands as a person would, printing what the
 * channel shows as it happens.
 */

const CHANNEL = "C0DEPLOYS";
const USER = "U0DEMO01";
const SIGNING_SECRET = "demo-signing-secret";
const BOT_TOKEN = "xoxb-demo-token";
const STORY_TIMEOUT_MS = 120_000;

function say(line = ""): void {
  process.stdout.write(`${line}\n`);
}

async function redisAnswers(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_500,
    retryStrategy: () => null,
  });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** One line per Slack call the stand-in received, so the reader sees the thread being built. */
function describeCall(slack: FakeSlack, call: ApiCall): string | undefined {
  const text = slack.textOf({ text: String(call.args.text ?? ""), blocks: [], attachments: [] });
  const firstLine = (
    call.args.blocks ? slack.textOf({ text: "", blocks: call.args.blocks as never[], attachments: [] }) : text
  )
    .split("\n")
    .find((l) => l.trim() !== "");
  switch (call.method) {
    case "chat.postMessage":
      if (call.args.channel !== CHANNEL) return `  🚨 alert in #incidents: ${firstLine}`;
      return call.args.thread_ts ? `  ↳ thread reply: ${firstLine}` : `  ● root message posted: ${firstLine}`;
    case "chat.update":
      return `  ✎ root message edited: ${String(call.args.text ?? firstLine)}`;
    default:
      return undefined;
  }
}

export async function runDemo(): Promise<number> {
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  if (!(await redisAnswers(redisUrl))) {
    say(`The demo needs Redis, and nothing answers at ${redisUrl}.`);
    say("Start one with `redis-server` (Debian/Ubuntu: `apt-get install redis-server`; macOS: `brew install redis`),");
    say("or point REDIS_URL at a running server, then run `npm run demo` again.");
    return 1;
  }

  const keyPrefix = `slipway-demo-${randomBytes(3).toString("hex")}`;
  const logFile = join(await mkdtemp(join(tmpdir(), "slipway-demo-")), "slipway.log");
  process.env.SLIPWAY_EXAMPLE_STATE = join(logFile, "..", "example-state");
  process.env.SLIPWAY_EXAMPLE_DELAY_MS ??= "600";
  const slack = await FakeSlack.start({
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    channels: [
      { id: CHANNEL, name: "deploys" },
      { id: "C0INCIDENT", name: "incidents" },
    ],
    users: { [USER]: "ada" },
  });
  const config = loadConfig({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    REDIS_URL: redisUrl,
    PORT: "0",
    SLIPWAY_KEY_PREFIX: keyPrefix,
    SLIPWAY_MANIFESTS: fileURLToPath(new URL("../manifests/services", import.meta.url)),
    LOG_LEVEL: "info",
  });
  const log = createLogger(config.logLevel, pino.destination({ dest: logFile, sync: false }));
  const slipway = await startSlipway(config, "all", log);
  slack.setEventsUrl(`http://127.0.0.1:${slipway.port}/slack/events`);
  slack.on("call", (call) => {
    const line = describeCall(slack, call);
    if (line) say(line);
  });

  say("Slipway demo — a local Slack stand-in, Slipway, and the example service.");
  say(`Slipway's JSON logs: ${logFile}`);
  try {
    for (const [text, expectation] of [
      ["development v1.2.0", "a good version: every stage passes"],
      ["development v1.3.0-bad", "a bad version: its smoke tests fail"],
      ["prod 1.2;rm -rf /", "malformed input: refused, nothing queued"],
    ] as const) {
      say();
      say(`$ /deploy ${text}        (${expectation})`);
      const answer = await slack.command({ command: "/deploy", text, userId: USER, channelId: CHANNEL });
      say(`  ephemeral answer: ${ackText(answer.json)}`);
      const id = /`(d-[a-z0-9]+)`/.exec(ackText(answer.json))?.[1];
      if (!id) continue;
      const root = await slack.waitForMessage((m) => m.threadTs === undefined && slack.textOf(m).includes(id), {
        timeoutMs: STORY_TIMEOUT_MS,
      });
      const summary = await slack.waitForMessage(
        (m) => m.threadTs === root.ts && /Deployment (succeeded|failed)/.test(slack.textOf(m)),
        { timeoutMs: STORY_TIMEOUT_MS },
      );
      await slack.waitFor(
        (call) =>
          call.method === "chat.update" && call.args.ts === root.ts && /Succeeded|Failed/.test(String(call.args.text)),
        { timeoutMs: 10_000 },
      );
      say();
      say("What #deploys shows for it now:");
      say(indent(threadText(slack, summary.threadTs ?? "")));
    }
    return 0;
  } finally {
    await slipway.close(5_000);
    const cleaner = new Redis(redisUrl);
    await deleteKeys(cleaner, keyPrefix);
    cleaner.disconnect();
    await slack.close();
  }
}

/** The ephemeral answer as Slack shows it (its &lt; &gt; &amp; escapes decoded). */
function ackText(json: unknown): string {
  const text =
    json && typeof json === "object" && "text" in json && typeof json.text === "string"
      ? json.text
      : JSON.stringify(json);
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

/** The root message as it reads now, with its thread replies below it. */
function threadText(slack: FakeSlack, rootTs: string): string {
  const root = slack.message(CHANNEL, rootTs);
  const replies = slack.thread(CHANNEL, rootTs).filter((m) => m.ts !== rootTs);
  return [
    root ? slack.textOf(root) : "(root message missing)",
    ...replies.map((reply) => indent(`↳ ${slack.textOf(reply)}`, "    ")),
  ].join("\n");
}

function indent(text: string, by = "  "): string {
  return text
    .split("\n")
    .map((line) => `${by}${line}`)
    .join("\n");
}
