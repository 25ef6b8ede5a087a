import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import type { Deployment } from "../../src/domain/deployment.js";
import { FakeSlack } from "../../src/standin/fake-slack.js";
import type { StoredMessage } from "../../src/standin/message-store.js";
import { deleteKeys } from "../../src/store/delete-keys.js";
import { DeploymentStore } from "../../src/store/deployment-store.js";
import { ChatOps, deploymentIdIn } from "./chat-ops.js";
import { eventually } from "./eventually.js";
import { manifestDir } from "./manifest-fixture.js";
import { REDIS_URL, uniquePrefix } from "./redis.js";
import { SlipwayProcess } from "./slipway-process.js";

/*
 * One `slipway all` (HTTP mode) against its own Slack stand-in, its own
 * Redis key prefix and its own manifest directory: the setting of one
 * end-to-end scenario. `close()` stops everything and fails if Slipway did
 * not exit cleanly.
 */

const BOT_TOKEN = "xoxb-scene-token";
const SIGNING_SECRET = "scene-signing-secret";

export interface SceneOptions {
  readonly label: string;
  /** File name → YAML; or made from the scene's own temp directory, for a target whose workdir it is. */
  readonly manifests: Readonly<Record<string, string>> | ((workdir: string) => Readonly<Record<string, string>>);
  /** More variables for the slipway process (SLIPWAY_EXAMPLE_ROUTER, secrets, concurrency). */
  readonly env?: Readonly<Record<string, string>>;
  readonly users?: Readonly<Record<string, string>>;
}

export class SlipwayScene {
  readonly chat: ChatOps;

  private constructor(
    readonly slack: FakeSlack,
    readonly slipway: SlipwayProcess,
    readonly redis: Redis,
    readonly prefix: string,
    readonly store: DeploymentStore,
    private readonly manifestsDir: string,
    /** A temp directory of the scene's own (a target's workdir), removed by close(). */
    readonly workdir: string,
  ) {
    this.chat = new ChatOps(slack);
  }

  static async start(options: SceneOptions): Promise<SlipwayScene> {
    const prefix = uniquePrefix(options.label);
    const workdir = await mkdtemp(join(tmpdir(), `slipway-${options.label}-`));
    const dir = await manifestDir(
      typeof options.manifests === "function" ? options.manifests(workdir) : options.manifests,
    );
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const slack = await FakeSlack.start({
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      mode: "http",
      ...(options.users ? { users: { ...options.users } } : {}),
    });
    let slipway: SlipwayProcess;
    try {
      slipway = await SlipwayProcess.start("all", {
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_API_URL: slack.apiUrl,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        REDIS_URL,
        SLIPWAY_KEY_PREFIX: prefix,
        SLIPWAY_MANIFESTS: dir,
        ...options.env,
      });
    } catch (error) {
      await slack.close();
      await redis.quit();
      await rm(dir, { recursive: true, force: true });
      await rm(workdir, { recursive: true, force: true });
      throw error;
    }
    slack.setEventsUrl(slipway.eventsUrl);
    return new SlipwayScene(slack, slipway, redis, prefix, new DeploymentStore(redis, prefix), dir, workdir);
  }

  /** `/deploy <text>` typed by `userId` in `channel`; the id of the deployment it queued. */
  async deploy(userId: string, channel: string, text: string): Promise<string> {
    const answer = await this.chat.command(userId, channel, "/deploy", text);
    if (!answer.startsWith("Queued `")) throw new Error(`/deploy ${text} was not queued: ${answer}`);
    return deploymentIdIn(answer);
  }

  async deployment(id: string): Promise<Deployment> {
    return this.store.require(id);
  }

  /** Resolves with the deployment once `predicate` holds for its stored record (checked every 50 ms). */
  until(id: string, what: string, predicate: (d: Deployment) => boolean, timeoutMs = 30_000): Promise<Deployment> {
    return eventually(
      `${id} ${what}`,
      async () => {
        const d = await this.store.require(id);
        return predicate(d) ? d : new Error(whereItIs(d));
      },
      timeoutMs,
    );
  }

  /** Waits until the deployment is in `state` (a final one) in the store, and Slack shows its closing reply. */
  async ended(id: string, state: Deployment["state"], timeoutMs = 30_000): Promise<Deployment> {
    const d = await this.until(id, `to end ${state}`, (x) => x.finishedAt !== undefined, timeoutMs);
    if (d.state !== state) {
      const failed = d.stages.find((stage) => stage.status === "failed");
      const output = failed?.outputTail ? `; ${failed.name} printed:\n${failed.outputTail}` : "";
      throw new Error(`${id} ended ${d.state} (${d.failureReason ?? "no reason"}), expected ${state}${output}`);
    }
    await this.chat.replyOf(id, [/Deployment (succeeded|failed|rolled back|cancelled)/i], timeoutMs);
    return d;
  }

  /** The root message of a deployment as Slack shows it now. */
  async root(id: string): Promise<StoredMessage> {
    const root = await this.chat.rootOf(id);
    return this.slack.message(root.channel, root.ts) ?? root;
  }

  /** Every version the root message has had, oldest first, as visible text. */
  async rootHistory(id: string): Promise<string[]> {
    const root = await this.root(id);
    return [...root.edits.map((e) => this.slack.textOf(e)), this.slack.textOf(root)];
  }

  /** `userId` clicks a control button (Pause, Resume, Promote, Abort) on the root message; what Slipway told them. */
  clickControl(id: string, userId: string, actionId: string): Promise<string> {
    return this.chat.clickControl(id, userId, actionId);
  }

  /** Opens the Home tab as `userId` (an `app_home_opened` event); the blocks of the view Slipway publishes for it, as JSON. */
  async openHome(userId: string): Promise<string> {
    const before = this.slack.calls("views.publish").length;
    const delivery = await this.slack.event({
      type: "app_home_opened",
      user: userId,
      channel: "D0HOME0001",
      tab: "home",
    });
    if (delivery.status !== 200) throw new Error(`app_home_opened answered HTTP ${delivery.status}: ${delivery.body}`);
    await this.slack.waitFor(
      (call) => call.method === "views.publish" && this.slack.calls("views.publish").indexOf(call) >= before,
    );
    const view = this.slack.homeView(userId);
    if (view?.type !== "home") throw new Error(`no Home tab published for ${userId}`);
    return JSON.stringify(view.blocks);
  }

  /** Log lines `stage started` of one stage of one deployment. */
  stageStarts(id: string, stage: string): number {
    return this.slipway.logs.filter((l) => l.msg === "stage started" && l.deploymentId === id && l.stage === stage)
      .length;
  }

  /** Stops Slipway (it must exit 0), the stand-in, and removes the scene's keys and manifests. */
  async close(): Promise<number | null> {
    const code = await this.slipway.stop();
    await this.slack.close();
    await deleteKeys(this.redis, this.prefix);
    await this.redis.quit();
    await rm(this.manifestsDir, { recursive: true, force: true });
    await rm(this.workdir, { recursive: true, force: true });
    return code;
  }
}

/** Where a deployment stands, in one line for a timeout message: state, pause, stages and latest verdict. */
function whereItIs(d: Deployment): string {
  const latest = [...(d.analyses ?? [])].sort((a, b) => b.at - a.at)[0];
  return [
    d.state,
    d.paused ? `paused by ${d.paused.by}: ${d.paused.reason ?? "no reason"}` : undefined,
    d.stages.map((s) => `${s.name} ${s.status}`).join(", "),
    latest ? `last analysis of step ${latest.stageIndex}: ${latest.verdict.summary}` : undefined,
  ]
    .filter(Boolean)
    .join("; ");
}
