import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentIdIn } from "../support/chat-ops.js";
import { eventually } from "../support/eventually.js";
import { type GitFixture, gitFixture } from "../support/git-repo.js";
import { countingStage } from "../support/manifest-fixture.js";
import { SlipwayScene } from "../support/slipway-scene.js";

/*
 * Promotion across environments, end to end: one `slipway all` against the
 * Slack stand-in, each scenario with its own service, channel and real git
 * repository (a bare remote and Slipway's clone of it, in a temp dir).
 */

const DEPLOYER = "U0DEPLOY01";
const SOAK_SECONDS = 6;

function manifest(service: string, channel: string, git: GitFixture, environments: string): string {
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
    COUNT_FILE: ${service}.stages
  actions:
    deploy: [node, -e, "0"]
environments:
${environments}`;
}

describe("promotion across environments", () => {
  let scene: SlipwayScene;
  const repos: Record<string, GitFixture> = {};

  beforeAll(async () => {
    for (const name of ["tagged", "promoted", "soaking", "unknown"]) repos[name] = await gitFixture();
    const repo = (name: string) => repos[name] as GitFixture;
    await repo("tagged").commit("feat: search");
    await repo("tagged").tag("v1.3.0");
    await repo("promoted").commit("fix: timeout (DEF-3)");
    await repo("promoted").tag("v1.2.0");
    await repo("soaking").tag("v1.2.0");
    scene = await SlipwayScene.start({
      label: "promotion",
      manifests: {
        "tagged.yaml": manifest(
          "tagged",
          "C0TAGGED01",
          repo("tagged"),
          `  staging:
    stages:
      - name: release-candidate
        tag: release-candidate
${countingStage("deploy")}`,
        ),
        "promoted.yaml": manifest(
          "promoted",
          "C0PROMOT01",
          repo("promoted"),
          `  staging:
    stages:
${countingStage("deploy")}  production:
    approval: { required: false }
    requires: { environment: staging, soak: ${SOAK_SECONDS}s }
    stages:
${countingStage("deploy")}`,
        ),
        "soaking.yaml": manifest(
          "soaking",
          "C0SOAKIN01",
          repo("soaking"),
          `  staging:
    stages:
${countingStage("deploy")}  production:
    approval: { required: false }
    requires: { environment: staging, soak: 24h }
    stages:
${countingStage("deploy")}`,
        ),
        "unknown.yaml": manifest(
          "unknown",
          "C0UNKNOW01",
          repo("unknown"),
          `  development:
    stages:
${countingStage("deploy")}`,
        ),
      },
    });
  });

  afterAll(async () => {
    const code = await scene?.close();
    await Promise.all(Object.values(repos).map((r) => r.remove()));
    expect(code).toBe(0);
  });

  it("a tag stage makes v1.3.0-rc1, then rc2 for the next deployment, annotated with the deployment and pushed", async () => {
    const git = repos.tagged as GitFixture;
    const first = await scene.deploy(DEPLOYER, "C0TAGGED01", "staging v1.3.0 tagged");
    await scene.ended(first, "succeeded");
    await scene.chat.replyOf(first, [/release-candidate/, /tagged v1\.3\.0-rc1/]);
    const second = await scene.deploy(DEPLOYER, "C0TAGGED01", "staging v1.3.0 tagged");
    await scene.ended(second, "succeeded");
    const tags = (await git.git(git.remote, "tag", "--list", "v1.3.0-rc*")).split("\n");
    expect(tags).toEqual(["v1.3.0-rc1", "v1.3.0-rc2"]);
    expect(await git.git(git.remote, "cat-file", "-t", "v1.3.0-rc1")).toBe("tag");
    expect(await git.git(git.remote, "tag", "--list", "--format=%(contents)", "v1.3.0-rc2")).toContain(second);
    expect(await git.git(git.remote, "rev-parse", "v1.3.0-rc1^{commit}")).toBe(
      await git.git(git.remote, "rev-parse", "v1.3.0^{commit}"),
    );
  });

  it("production is refused before staging, and goes once the version has soaked there", async () => {
    const before = await scene.chat.command(DEPLOYER, "C0PROMOT01", "/deploy", "production v1.2.0 promoted");
    expect(before).toContain(
      `v1.2.0 has not succeeded in staging; production needs ${SOAK_SECONDS}s of staging. Deploy it to staging first.`,
    );
    const staged = await scene.deploy(DEPLOYER, "C0PROMOT01", "staging v1.2.0 promoted");
    await scene.ended(staged, "succeeded");
    const answer = await eventually(
      "production to take v1.2.0 once it has soaked",
      async () => {
        const text = await scene.chat.command(DEPLOYER, "C0PROMOT01", "/deploy", "production v1.2.0 promoted");
        return text.startsWith("Queued `") ? text : new Error(text);
      },
      30_000,
      500,
    );
    await scene.ended(deploymentIdIn(answer), "succeeded");
  });

  it("production is refused while the version soaks in staging, saying since when and from when", async () => {
    const staged = await scene.deploy(DEPLOYER, "C0SOAKIN01", "staging v1.2.0 soaking");
    await scene.ended(staged, "succeeded");
    const early = await scene.chat.command(DEPLOYER, "C0SOAKIN01", "/deploy", "production v1.2.0 soaking");
    expect(early).toMatch(
      /^v1\.2\.0 passed staging \d+(ms|s) ago; production needs 1d 00h of staging — from .+, or `--hotfix` for an urgent fix\.$/,
    );
  });

  it("a version git does not know is refused before anything is recorded or run", async () => {
    const answer = await scene.chat.command(DEPLOYER, "C0UNKNOW01", "/deploy", "development v9.9.9 unknown");
    expect(answer).toMatch(/v9\.9\.9 is not a tag or commit in .*remote\.git/);
    expect((await scene.store.recent(1_000)).filter((d) => d.service === "unknown")).toEqual([]);
    expect(scene.slack.messages().filter((m) => m.channel === "C0UNKNOW01")).toEqual([]);
  });
});
