import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitFixture, gitFixture } from "../support/git-repo.js";
import { SlipwayScene } from "../support/slipway-scene.js";

/*
 * The hotfix path, end to end: one `slipway all` against the Slack stand-in,
 * each scenario with its own service and channel and a real git repository.
 * `/deploy production <v> --hotfix` for a version that never reached staging
 * runs staging first (with its soak), then production by itself, the
 * "after" stages last; a staging failure stops it before production.
 */

const DEPLOYER = "U0DEPLOY01";
const SOAK_SECONDS = 2;

const APPEND =
  "require('node:fs').appendFileSync(process.env.STAGE_LOG, process.env.SLIPWAY_ENVIRONMENT + ':' + process.env.SLIPWAY_STAGE + '\\\\n')";

/** A stage that writes `<environment>:<stage>` to the service's log file, in the order stages run. */
function loggedStage(name: string, extra = ""): string {
  return `      - name: ${name}
        run: [node, -e, "${APPEND}"]
${extra}`;
}

/** `deployFails`: the deploy action exits 3 in staging instead of writing its line. */
function manifest(service: string, channel: string, git: GitFixture, deployFails: boolean): string {
  const deploy = deployFails ? `if (process.env.SLIPWAY_ENVIRONMENT === 'staging') process.exit(3); ${APPEND}` : APPEND;
  const stages = `      - name: deploy
        action: deploy
${loggedStage("smoke-tests")}${loggedStage("full-suite", "        hotfix: after\n")}`;
  return `service: ${service}
channels:
  deploy: ${channel}
repository:
  path: ${git.slipwayClone}
  remote: ${git.remote}
target:
  type: command
  workdir: ${git.root}
  env:
    STAGE_LOG: ${service}.log
  actions:
    deploy: [node, -e, "${deploy}"]
environments:
  staging:
    hotfix: { soak: ${SOAK_SECONDS}s }
    stages:
${stages}  production:
    approval: { required: false }
    requires: { environment: staging, soak: 24h }
    stages:
${stages}`;
}

describe("the hotfix path", () => {
  let scene: SlipwayScene;
  const repos: Record<string, GitFixture> = {};
  const repo = (name: string) => repos[name] as GitFixture;
  /** The lines the service's stages wrote, in order; none when no stage ran. */
  const log = async (service: string) => {
    const text = await readFile(join(repo(service).root, `${service}.log`), "utf8").catch(() => "");
    return text.split("\n").filter(Boolean);
  };

  beforeAll(async () => {
    for (const name of ["mended", "broken"]) {
      repos[name] = await gitFixture();
      await repo(name).commit("fix: checkout total (DEF-12)");
      await repo(name).tag("v1.2.1");
    }
    scene = await SlipwayScene.start({
      label: "hotfix",
      manifests: {
        "mended.yaml": manifest("mended", "C0MENDED01", repo("mended"), false),
        "broken.yaml": manifest("broken", "C0BROKEN01", repo("broken"), true),
      },
    });
  });

  afterAll(async () => {
    const code = await scene?.close();
    await Promise.all(Object.values(repos).map((r) => r.remove()));
    expect(code).toBe(0);
  });

  it("runs staging first with its soak, then production by itself, the after stages last; each links the other", async () => {
    const production = await scene.deploy(DEPLOYER, "C0MENDED01", "production v1.2.1 mended --hotfix");
    const waiting = await scene.deployment(production);
    const staging = waiting.hotfixPath?.first.id ?? "";
    expect(waiting).toMatchObject({
      state: "requested",
      hotfix: true,
      hotfixPath: { first: { environment: "staging" } },
    });
    expect(await scene.chat.rootOf(production, new RegExp(`waits for staging \`${staging}\``))).toBeTruthy();

    const staged = await scene.ended(staging, "succeeded");
    expect(staged.stages.map((s) => s.name)).toEqual(["deploy", "hotfix-soak", "smoke-tests"]);
    const soakedMs = (staged.stages[2]?.startedAt ?? 0) - (staged.stages[1]?.finishedAt ?? 0);
    expect(soakedMs).toBeGreaterThanOrEqual(SOAK_SECONDS * 1000 - 50);
    const live = await scene.ended(production, "succeeded");
    expect(live.stages.map((s) => s.name)).toEqual(["deploy", "smoke-tests", "full-suite"]);
    expect(live.stages[0]?.startedAt ?? 0).toBeGreaterThanOrEqual(staged.finishedAt ?? Number.POSITIVE_INFINITY);

    expect(await log("mended")).toEqual([
      "staging:deploy",
      "staging:smoke-tests",
      "production:deploy",
      "production:smoke-tests",
      "production:full-suite",
    ]);
    expect(
      await scene.chat.rootOf(staging, new RegExp(`production \`${production}\` has been handed over`)),
    ).toBeTruthy();
    expect(await scene.chat.rootOf(production, new RegExp(`after staging \`${staging}\``))).toBeTruthy();
  });

  it("stops before production when staging fails, and says so in both threads", async () => {
    const production = await scene.deploy(DEPLOYER, "C0BROKEN01", "production v1.2.1 broken --hotfix");
    const staging = (await scene.deployment(production)).hotfixPath?.first.id ?? "";
    await scene.ended(staging, "failed");
    const stopped = await scene.ended(production, "cancelled");
    expect(stopped.failureReason).toContain(`its staging deployment \`${staging}\` ended failed`);
    expect(stopped.stages.every((s) => s.status === "pending")).toBe(true);
    expect(await scene.chat.rootOf(staging, new RegExp(`production \`${production}\` will not run`))).toBeTruthy();
    expect(await scene.chat.rootOf(production, /the hotfix stopped before production/)).toBeTruthy();
    expect(await log("broken")).toEqual([]);
  });
});
