import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDocument } from "yaml";
import { writeRehearsal } from "./demo/rehearsal.js";
import { type DemoStand, redisAnswers, startStand } from "./demo/stand.js";
import {
  PLAY_THE_STORY,
  playStory,
  STORY,
  type StoryStack,
  type StoryStage,
  startStoryStack,
  storyManifest,
} from "./demo/story.js";
import { type Outcome, walkDeployment } from "./demo/walk.js";
import { DEMO_USER, type DemoWorkspace, demoWorkspace } from "./demo/workspace.js";
import { coerceError } from "./errors.js";
import { type LoadedManifest, loadManifests } from "./manifests/load.js";
import { validateCommand } from "./manifests/validate.js";
import { startPlayground } from "./playground/server.js";
import type { ApiCall } from "./standin/call-log.js";
import type { FakeSlack } from "./standin/fake-slack.js";

/*
 * `slipway demo`: Slipway on one machine with no Slack workspace. A local
 * Slack stand-in plays the workspace, Slipway runs against it, and the demo
 * acts as the people of the manifests would, printing what the channels show
 * as it happens. `--manifests <dir>` walks the user's own manifests through
 * every environment; `--dry-run` first turns every target call and stage
 * into a logged no-op, so that works before any target exists.
 */

const EXAMPLE_MANIFESTS = fileURLToPath(new URL("../manifests/services", import.meta.url));
const STEP_TIMEOUT_MS = 120_000;

export const DEMO_USAGE = `Usage: slipway demo [--story] [--manifests <dir> [--dry-run] [--version <v>] [--playground]]

  (no options)          the playground: prints the URL of a local page that shows the Slack workspace
  --story               in the terminal: the sample service's story (development, staging, a production
                        canary under load, a bad version rolled back by itself), printed as it happens
  --manifests <dir>     your own manifests, walked in the terminal: every service to each of its environments
  --dry-run             with --manifests: every target action and stage is a logged no-op that succeeds
  --version <v>         the version --manifests deploys (default v1.0.0)
  --playground          with --manifests: open them in the playground instead of walking them
  --port <n>            the playground's port (default: any free port)`;

export interface DemoOptions {
  readonly mode: "playground" | "story" | "walk";
  readonly manifests?: string;
  readonly dryRun: boolean;
  readonly version: string;
  readonly port: number;
}

/** Parses `slipway demo`'s arguments; a string says what was wrong. */
export function parseDemoArgs(argv: readonly string[]): DemoOptions | string {
  let manifests: string | undefined;
  let dryRun = false;
  let story = false;
  let playground = false;
  let version = "v1.0.0";
  let port = 0;
  const example: Record<string, string> = {
    "--manifests": "manifests/services",
    "--version": "v1.2.0",
    "--port": "8080",
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    switch (arg) {
      case "--manifests":
      case "--version":
      case "--port": {
        const value = argv[++i];
        if (value === undefined || value.startsWith("--")) return `${arg} needs a value, e.g. ${arg} ${example[arg]}`;
        if (arg === "--manifests") manifests = value;
        else if (arg === "--version") version = value;
        else if (/^\d{1,5}$/.test(value) && Number(value) < 65_536) port = Number(value);
        else return `--port needs a port number, e.g. --port 8080; got '${value}'`;
        break;
      }
      case "--dry-run":
        dryRun = true;
        break;
      case "--story":
        story = true;
        break;
      case "--playground":
        playground = true;
        break;
      default:
        return `unknown option '${arg}'`;
    }
  }
  if (story && manifests !== undefined) return "--story plays the example service; leave out --manifests";
  if (dryRun && manifests === undefined)
    return "--dry-run rehearses your own manifests: give them with --manifests <dir>";
  const mode = story ? "story" : manifests !== undefined && !playground ? "walk" : "playground";
  return { mode, ...(manifests === undefined ? {} : { manifests }), dryRun, version, port };
}

function say(line = ""): void {
  process.stdout.write(`${line}\n`);
}

/** Slack's date tokens (`<!date^…|14:02 UTC>`) as a terminal shows them: their fallback text. */
function plainDates(text: string): string {
  return text.replace(/<!date\^[^|>]*\|([^>]*)>/g, "$1");
}

/** One line per Slack call the stand-in received, so the reader sees the thread being built. */
function describeCall(slack: FakeSlack, call: ApiCall, deployChannels: ReadonlySet<string>): string | undefined {
  const text = slack.textOf({
    text: String(call.args.text ?? ""),
    blocks: (call.args.blocks ?? []) as never[],
    attachments: [],
  });
  const firstLine = plainDates(text.split("\n").find((l) => l.trim() !== "") ?? "");
  switch (call.method) {
    case "chat.postMessage":
      if (!deployChannels.has(String(call.args.channel))) return `  🚨 alert in the incident channel: ${firstLine}`;
      return call.args.thread_ts ? `  ↳ thread reply: ${firstLine}` : `  ● root message posted: ${firstLine}`;
    case "chat.update":
      return `  ✎ root message edited: ${plainDates(String(call.args.text ?? firstLine))}`;
    default:
      return undefined;
  }
}

export async function runDemo(argv: readonly string[] = []): Promise<number> {
  const options = parseDemoArgs(argv);
  if (typeof options === "string") {
    process.stderr.write(`slipway demo: ${options}\n\n${DEMO_USAGE}\n`);
    return 2;
  }
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  if (!(await redisAnswers(redisUrl))) {
    say(`The demo needs Redis, and nothing answers at ${redisUrl}.`);
    say("Start one with `redis-server` (Debian/Ubuntu: `apt-get install redis-server`; macOS: `brew install redis`),");
    say("or point REDIS_URL at a running server, then run `npm run demo` again.");
    return 1;
  }
  // The story's stack runs for the story and for the example playground, whose "Play the story" button plays it.
  const story =
    options.mode === "story" || (options.mode === "playground" && options.manifests === undefined)
      ? await startStoryStack()
      : undefined;
  if (story) {
    process.env.SLIPWAY_EXAMPLE_ROUTER = story.admin;
    process.env.SLIPWAY_EXAMPLE_STATE = story.stateDir;
  }
  try {
    return await demoWith(options, redisUrl, story);
  } finally {
    story?.stop();
  }
}

/**
 * The story's manifest beside the examples (the example playground) or alone
 * (the story in the terminal), in a folder of the run's own. The example
 * manifest's working directory is made absolute, since it is read from there.
 */
async function storyManifests(story: StoryStack, withExamples: boolean): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "slipway-story-manifests-"));
  await writeFile(join(dir, `${STORY.service}.yaml`), storyManifest(story.admin));
  if (withExamples) {
    for (const { file, workdir } of (await loadManifests(EXAMPLE_MANIFESTS)).services.values()) {
      const doc = parseDocument(await readFile(file, "utf8"));
      doc.setIn(["target", "workdir"], workdir);
      await writeFile(join(dir, basename(file)), doc.toString());
    }
  }
  return dir;
}

async function demoWith(options: DemoOptions, redisUrl: string, story: StoryStack | undefined): Promise<number> {
  const source = story
    ? await storyManifests(story, options.mode === "playground")
    : (options.manifests ?? EXAMPLE_MANIFESTS);
  // Errors are shown exactly as `slipway validate` shows them.
  if (options.manifests !== undefined) {
    let report = "";
    if ((await validateCommand(source, { write: (text: string) => (report += text) })) !== 0) {
      process.stdout.write(report);
      return 1;
    }
  }
  const { services } = await loadManifests(source);
  let manifestsDir = source;
  if (options.dryRun) {
    manifestsDir = await mkdtemp(join(tmpdir(), "slipway-dry-run-"));
    await writeRehearsal(services.values(), manifestsDir);
  }
  const workspace = demoWorkspace(services.values());
  const webhookSecret = randomBytes(16).toString("hex");
  const stand = await startStand({
    redisUrl,
    manifestsDir,
    workspace,
    env: story ? { [STORY.secretEnv]: webhookSecret } : {},
    onLog: (line) => {
      if (options.mode === "playground") return;
      if (line.msg === "stage output" && typeof line.line === "string" && line.line.startsWith("dry run:")) {
        say(`  ⚙ ${line.line}`);
      }
    },
  });
  const storyStage = (tell: (line: string) => void) => ({
    slack: stand.slack,
    slipwayUrl: `http://127.0.0.1:${stand.slipway.port}`,
    webhookSecret,
    names: workspace.users,
    say: tell,
    timeoutMs: STEP_TIMEOUT_MS,
  });
  if (options.mode === "playground") {
    return servePlayground(
      stand,
      workspace,
      options.port,
      story ? () => playStory(storyStage(() => undefined)) : undefined,
    );
  }
  const deployChannels = new Set([...services.values()].map((s) => s.manifest.channels.deploy));
  stand.slack.on("call", (call) => {
    const line = describeCall(stand.slack, call, deployChannels);
    if (line) say(line);
  });
  say(
    `Slipway demo — a local Slack stand-in, Slipway, and ${options.manifests ? `the manifests in ${source}` : "the example service."}`,
  );
  if (options.dryRun) say("Dry run: every target action and stage only says what it would call, then succeeds.");
  say(`Slipway's JSON logs: ${stand.logFile}`);
  try {
    return options.mode === "story"
      ? await tellStory(storyStage(say))
      : await walkManifests(stand, services.values(), workspace.users, options.version);
  } finally {
    await stand.close();
  }
}

/** Serves the playground until SIGINT or SIGTERM; prints its one URL and opens nothing. */
async function servePlayground(
  stand: DemoStand,
  workspace: DemoWorkspace,
  port: number,
  story: (() => Promise<unknown>) | undefined,
): Promise<number> {
  let playing: Promise<unknown> | undefined;
  const plays = story
    ? {
        // One story at a time: a second click while it plays is told so, not played twice.
        [PLAY_THE_STORY]: () => {
          if (playing) return "the story is already playing; watch #storefront-deploys";
          playing = story()
            .catch((error: unknown) => say(`the story stopped: ${coerceError(error).message}`))
            .finally(() => {
              playing = undefined;
            });
          return undefined;
        },
      }
    : undefined;
  const playground = await startPlayground({ slack: stand.slack, workspace, port, ...(plays ? { plays } : {}) });
  say(`Slipway playground: ${playground.url}`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await playground.close();
  await stand.close();
  return 0;
}

/** Whoever may deploy to the environment: the first user of its deploy roles, else the first user named. */
function requesterFor(loaded: LoadedManifest, environment: string): string {
  const { manifest } = loaded;
  const roles = manifest.environments[environment]?.permissions?.deploy;
  const users = Array.isArray(roles) ? roles.flatMap((role) => manifest.roles[role]?.users ?? []) : [];
  return users[0] ?? Object.values(manifest.roles).flatMap((role) => role.users)[0] ?? DEMO_USER.id;
}

async function walkManifests(
  stand: DemoStand,
  services: Iterable<LoadedManifest>,
  names: Readonly<Record<string, string>>,
  version: string,
): Promise<number> {
  const results: { what: string; outcome: Outcome }[] = [];
  for (const loaded of [...services].sort((a, b) => a.manifest.service.localeCompare(b.manifest.service))) {
    const { manifest } = loaded;
    for (const environment of Object.keys(manifest.environments)) {
      say();
      const { outcome, id } = await walkDeployment({
        slack: stand.slack,
        channel: manifest.channels.deploy,
        requester: requesterFor(loaded, environment),
        people: Object.keys(names),
        names,
        command: `${environment} ${version} ${manifest.service}`,
        say,
        timeoutMs: STEP_TIMEOUT_MS,
      });
      results.push({ what: `${manifest.service} ${environment} ${version}${id ? ` (${id})` : ""}`, outcome });
    }
  }
  say();
  for (const { what, outcome } of results) say(`${outcome === "succeeded" ? "✓" : "✗"} ${what}: ${outcome}`);
  return results.every((r) => r.outcome === "succeeded") ? 0 : 1;
}

/** The story in the terminal; exit 0 when it ended as it should. */
async function tellStory(stage: StoryStage): Promise<number> {
  const started = Date.now();
  const end = await playStory(stage);
  say("");
  for (const [what, outcome] of Object.entries(end.outcomes)) say(`${what}: ${outcome}`);
  say(`incident alerts: ${end.incidentAlerts}`);
  say(`the story took ${Math.round((Date.now() - started) / 1000)}s`);
  const outcomes = Object.values(end.outcomes);
  const expected = outcomes.join(",") === "succeeded,succeeded,succeeded,rolled back" && end.incidentAlerts === 1;
  return expected ? 0 : 1;
}
