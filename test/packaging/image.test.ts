import { execFile } from "node:child_process";
import { chmod, chown, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { FakeSlack } from "../../src/standin/fake-slack.js";
import { ChatOps, deploymentIdIn } from "../support/chat-ops.js";
import { eventually } from "../support/eventually.js";
import { REDIS_URL, testRedis } from "../support/redis.js";
import { ROOT, SlipwayProcess } from "../support/slipway-process.js";

/*
 * No Docker engine here, so the Dockerfile is played by hand: each stage's
 * COPY and RUN lines are carried out into a directory of its own (the build
 * stage compiles exactly the files it copies; the deps stage installs the
 * production dependencies only), then the runtime stage's tree is assembled
 * from exactly what it copies. Slipway is started from that tree, as the
 * image's non-root user when the test runs as root, so a file or package the
 * image forgets fails here. A RUN line this test does not know fails it too:
 * a new build step must be taught to it.
 */

const execFileAsync = promisify(execFile);

interface Stage {
  name: string;
  workdir: string;
  instructions: { keyword: string; args: string }[];
}

function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  for (const line of lines) {
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword === "FROM") {
      stages.push({
        name: /\sAS\s+(\S+)$/i.exec(args)?.[1] ?? `stage${stages.length}`,
        workdir: "/",
        instructions: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${keyword} before FROM`);
    if (keyword === "WORKDIR") stage.workdir = args;
    stage.instructions.push({ keyword, args });
  }
  return stages;
}

/** The RUN lines of the Dockerfile, each with how this test carries it out in a stage's directory. */
const RUNS: Record<string, (dir: string) => Promise<unknown>> = {
  // The dev dependencies are the repository's own, installed from the same lock file.
  "npm ci": (dir) => symlink(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir"),
  "npm run build": (dir) => execFileAsync("npm", ["run", "build", "--silent"], { cwd: dir }),
  // The npm cache is left alone here: it is the machine's, not the image's.
  "npm ci --omit=dev && npm cache clean --force": (dir) =>
    execFileAsync("npm", ["ci", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: dir }),
};

interface Image {
  root: string;
  user: string;
  env: Record<string, string>;
  cmd: string[];
  healthcheck: string[];
}

async function assemble(dockerfile: Stage[], into: string): Promise<Image> {
  const stages = new Map<string, { dir: string; workdir: string }>();
  const image: Image = { root: "", user: "root", env: {}, cmd: [], healthcheck: [] };
  for (const stage of dockerfile) {
    const dir = join(into, stage.name);
    await mkdir(dir, { recursive: true });
    for (const { keyword, args } of stage.instructions) {
      switch (keyword) {
        case "WORKDIR":
        case "EXPOSE":
          break;
        case "COPY": {
          const words = args.split(/\s+/);
          const flags = new Map(
            words.filter((w) => w.startsWith("--")).map((w) => w.slice(2).split("=") as [string, string]),
          );
          for (const flag of flags.keys()) {
            if (flag !== "from" && flag !== "chown") throw new Error(`this test does not know COPY --${flag}`);
          }
          const from = flags.get("from");
          const chown = flags.get("chown");
          const paths = words.filter((w) => !w.startsWith("--"));
          const destArg = paths.pop() ?? "";
          const dest = join(dir, destArg);
          // As in Docker: several sources, or a destination ending in "/", copy into that directory.
          const intoDir = paths.length > 1 || destArg.endsWith("/");
          const sourceStage = from === undefined ? undefined : stages.get(from);
          if (from !== undefined && !sourceStage)
            throw new Error(`COPY --from=${from}: no such stage before ${stage.name}`);
          for (const source of paths) {
            // A stage's absolute paths are under its WORKDIR, which is its directory here; others are in the context.
            const src = sourceStage ? join(sourceStage.dir, relative(sourceStage.workdir, source)) : join(ROOT, source);
            const target = intoDir ? join(dest, basename(source)) : dest;
            await cp(src, target, { recursive: true });
            // The image's user owns what is copied --chown=node:node; without root here, the files are ours anyway.
            if (chown !== undefined && asRoot) await chownTree(target, chown);
          }
          break;
        }
        case "RUN": {
          const run = RUNS[args];
          if (!run) throw new Error(`this test does not know how to carry out "RUN ${args}" (stage ${stage.name})`);
          await run(dir);
          break;
        }
        case "ENV": {
          const [name = "", value = ""] = args.split("=");
          image.env[name] = value;
          break;
        }
        case "USER":
          image.user = args;
          break;
        case "CMD":
          image.cmd = JSON.parse(args) as string[];
          break;
        case "HEALTHCHECK":
          image.healthcheck = JSON.parse(args.slice(args.indexOf("CMD") + 3).trim()) as string[];
          break;
        default:
          throw new Error(`this test does not know the Dockerfile instruction ${keyword}`);
      }
    }
    stages.set(stage.name, { dir, workdir: stage.workdir });
    image.root = dir;
  }
  return image;
}

/** The uid and gid of the `node` user of the node images; used when the test may switch to it. */
const NODE_USER = { uid: 1000, gid: 1000 };
const asRoot = process.getuid?.() === 0;
/** What a deployment of the image sets beside the Slack tokens: the example's push webhook secret. */
const SECRETS = { EXAMPLE_WEBHOOK_SECRET: "image-webhook-secret" };
const runAs = asRoot ? NODE_USER : {};

async function chownTree(path: string, owner: string): Promise<void> {
  if (owner !== "node:node") throw new Error(`this test knows only --chown=node:node, not ${owner}`);
  await chown(path, NODE_USER.uid, NODE_USER.gid);
  if (!(await stat(path)).isDirectory()) return;
  for (const entry of await readdir(path)) await chownTree(join(path, entry), owner);
}

async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await openUp(join(dir, entry.name));
  }
}

describe("the Docker image's runtime stage, assembled without Docker", () => {
  const scratch = mkdtemp(join(tmpdir(), "slipway-image-"));
  let image: Image;
  afterAll(async () => rm(await scratch, { recursive: true, force: true }));

  it("holds the compiled code, production dependencies only, manifests and examples, for a non-root user", async () => {
    const dockerfile = parseDockerfile(await readFile(join(ROOT, "Dockerfile"), "utf8"));
    expect(dockerfile.at(-1)?.name).toBe("runtime");
    image = await assemble(dockerfile, await scratch);
    // The image's files belong to root and are only read by its user.
    await openUp(await scratch);
    expect(image.user).not.toMatch(/^(root|0)(:|$)/);
    expect(image.cmd).toEqual(["node", "dist/main.js", "all"]);
    expect(image.env.NODE_ENV).toBe("production");
    expect((await stat(join(image.root, "dist", "main.js"))).isFile()).toBe(true);
    const installed = await readdir(join(image.root, "node_modules"));
    expect(installed).toContain("bullmq");
    for (const dev of ["vitest", "typescript", "@biomejs", "playwright-core"]) expect(installed).not.toContain(dev);
  }, 480_000);

  it("`slipway validate` passes on the manifests it carries", async () => {
    const { stdout } = await execFileAsync(process.execPath, ["dist/main.js", "validate"], {
      cwd: image.root,
      env: { PATH: process.env.PATH ?? "", ...image.env, ...SECRETS },
      ...runAs,
    }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: `${error.stdout}${error.stderr}` }));
    expect(stdout).toMatch(/✓ \d+ services? valid/);
  }, 180_000);

  it("`slipway all` becomes ready, answers the HEALTHCHECK and runs a deployment with the example scripts", async () => {
    const redis = await testRedis("image");
    const slack = await FakeSlack.start({ botToken: "xoxb-image", signingSecret: "image-secret", mode: "http" });
    const exampleState = await mkdtemp(join(tmpdir(), "slipway-image-state-"));
    await chmod(exampleState, 0o777);
    const slipway = await SlipwayProcess.start(
      "all",
      {
        ...image.env,
        SLACK_BOT_TOKEN: "xoxb-image",
        SLACK_SIGNING_SECRET: "image-secret",
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL,
        SLIPWAY_KEY_PREFIX: redis.prefix,
        SLIPWAY_EXAMPLE_STATE: exampleState,
        ...SECRETS,
      },
      { root: image.root, ...runAs },
    );
    try {
      slack.setEventsUrl(slipway.eventsUrl);
      await eventually("/readyz to answer 200", async () => {
        const res = await fetch(`http://127.0.0.1:${slipway.port}/readyz`);
        return res.status === 200 || new Error(`HTTP ${res.status}`);
      });
      const [command = "", ...args] = image.healthcheck;
      expect(command).toBe("node");
      await execFileAsync(process.execPath, args, {
        cwd: image.root,
        env: { PATH: process.env.PATH ?? "", PORT: String(slipway.port) },
        ...runAs,
      });
      const chat = new ChatOps(slack);
      const id = deploymentIdIn(await chat.command("U0DEMO01", "C0DEPLOYS", "/deploy", "development v1.2.0"));
      const { summary } = await chat.finished(id, "Succeeded", 60_000);
      expect(slack.textOf(summary)).toMatch(/v1\.2\.0/);
    } finally {
      expect(await slipway.stop()).toBe(0);
      await slack.close();
      await redis.close();
      await rm(exampleState, { recursive: true, force: true });
    }
  }, 240_000);
});
