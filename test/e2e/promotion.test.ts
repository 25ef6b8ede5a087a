import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentIdIn } from "../support/chat-ops.js";
import { eventually } from "../support/eventually.js";
import { type GitFixture, gitFixture } from "../support/git-repo.js";
import { countingStage } from "../support/manifest-fixture.js";
import { ROOT } from "../support/slipway-process.js";
import { SlipwayScene } from "../support/slipway-scene.js";

/*
 * Promotion across environments, end to end: one `slipway all` against the
 * Slack stand-in, each scenario with its own service, channel and real git
 * repository (a bare remote and Slipway's clone of it, in a temp dir).
 */

const DEPLOYER = "U0DEPLOY01";
const APPROVER = "U0APPROV01";
const SOAK_SECONDS = 6;

/** `more`: YAML put before `environments:` (a checklist); `actions`: target actions beside deploy. */
function manifest(
  service: string,
  channel: string,
  git: GitFixture,
  environments: string,
  more = { topLevel: "", actions: "" },
): string {
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
${more.actions}${more.topLevel}environments:
${environments}`;
}

describe("promotion across environments", () => {
  let scene: SlipwayScene;
  const repos: Record<string, GitFixture> = {};

  beforeAll(async () => {
    for (const name of ["tagged", "promoted", "soaking", "unknown", "changes"]) repos[name] = await gitFixture();
    const repo = (name: string) => repos[name] as GitFixture;
    await repo("tagged").commit("feat: search");
    await repo("tagged").tag("v1.3.0");
    await repo("promoted").commit("fix: timeout (DEF-3)");
    await repo("promoted").tag("v1.2.0");
    await repo("soaking").tag("v1.2.0");
    await repo("changes").commit("feat: first page (TASK-1)");
    await repo("changes").tag("v1.0.0");
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
        "changes.yaml": manifest(
          "changes",
          "C0CHANGE01",
          repo("changes"),
          `  staging:
    stages:
      - name: unit-tests
        run: [node, ${ROOT}/examples/stages/run-tests.mjs, unit]
        report: { file: "reports/{deployment}-unit.xml" }
${countingStage("deploy")}  production:
    approval: { count: 1 }
    requires: { environment: staging }
    stages:
${countingStage("deploy")}`,
          {
            actions: `    rollback: [node, -e, "0"]\n`,
            topLevel: `checklist:
  - { id: deps-scanned, title: Dependencies scanned, section: security, check: { kind: command, run: [node, -e, "console.log('0 known vulnerabilities')"] } }
  - { id: users-can-access, title: Users can access system, section: validation, check: { kind: command, run: [node, -e, "0"] } }
`,
          },
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
      `v1.2.0 has not succeeded in staging; production needs ${SOAK_SECONDS}s of staging. Deploy it to staging first, or \`--hotfix\` for an urgent fix (staging first with its short soak, then production by itself).`,
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

  it("the production approval card carries the go/no-go material (staging's tests, security, the way back) and the commits since the live version, grouped, with ids and authors; the thread and the record list them too", async () => {
    const git = repos.changes as GitFixture;
    const { chat, slack } = scene;
    const deployApproved = async (version: string) => {
      const staged = await scene.deploy(DEPLOYER, "C0CHANGE01", `staging ${version} changes`);
      await scene.ended(staged, "succeeded");
      const id = await scene.deploy(DEPLOYER, "C0CHANGE01", `production ${version} changes`);
      const card = await chat.approvalCardOf(id, /Approval needed/);
      await chat.clickApprove(card, APPROVER);
      await scene.ended(id, "succeeded");
      return { id, staged, card: slack.textOf(card) };
    };
    const first = await deployApproved("v1.0.0");
    // Nothing was live: the card lists the version's latest commits and says so.
    expect(first.card).toContain(
      "*What changed:* the latest 2 commits by 1 author of v1.0.0 (no earlier version live to compare with)\n*Features*\n• first page (TASK-1) — Test Runner\n*Enhancements and other changes*\n• start — Test Runner",
    );

    await git.commit("feat(search): search by name (TASK-41)", "Ada Lovelace");
    await git.commit("fix: empty results crash\n\nFixes DEF-7 reported in TASK-40", "Grace Hopper");
    await git.commit("chore: bump deps");
    await git.tag("v1.1.0");
    const grouped = [
      "*Features*\n• search by name (TASK-41) — Ada Lovelace",
      "*Fixes*\n• empty results crash (DEF-7, TASK-40) — Grace Hopper",
      "*Enhancements and other changes*\n• bump deps — Test Runner",
    ].join("\n");
    const second = await deployApproved("v1.1.0");
    expect(second.card).toContain(`*What changed:* 3 commits by 3 authors since v1.0.0\n${grouped}`);
    // The rest of the go/no-go material: staging's real test counts for the same version, the security
    // items, the way back.
    expect(second.card).toContain(`🧭 *Pre-production review*\n*Proven in staging:* \`${second.staged}\` succeeded `);
    expect(second.card).toContain(
      "• Tests: Unit Tests: PASS (6 tests)\n• Performance: Not measured (no analysis against a baseline)\n• Downtime: 0 seconds · Issues: None",
    );
    expect(second.card).toContain(
      "*Checklist:* 1/1 passed\n*Security:*\n• ✅ Dependencies scanned — exit 0: 0 known vulnerabilities",
    );
    expect(second.card).toContain(
      "*Rollback plan:* back to v1.0.0: the target's rollback action, then 1 validation check (Users can access system)\n• No metrics to trigger it",
    );
    expect(second.card).toContain(
      "⚠️ *Rollback not prepared and tested:* no stage checks that the rollback works before this version is deployed",
    );
    // The root message says what the release brings in one line; its first reply lists it.
    expect(slack.textOf(await chat.rootOf(second.id))).toContain(
      "*Changes:* 3 commits by 3 authors since v1.0.0 — listed in the thread",
    );
    const replies = await chat.repliesOf(second.id);
    expect(slack.textOf(replies[0] ?? { text: "" })).toBe(
      `📦 *What changed:* 3 commits by 3 authors since v1.0.0\n${grouped}`,
    );
    const record = slack.textOf(await chat.replyOf(second.id, [/\*Deployment record\*/, /Changes Included/]));
    expect(record).toContain(
      [
        "*Changes Included*",
        "• Feature: search by name (TASK-41) — Ada Lovelace",
        "• Fix: empty results crash (DEF-7, TASK-40) — Grace Hopper",
        "• Enhancement: bump deps — Test Runner",
      ].join("\n"),
    );
    const markdown = await chat.command(DEPLOYER, "C0CHANGE01", "/deploy", `record ${second.id}`);
    expect(markdown).toContain("### Changes Included\n- Feature: search by name (TASK-41) — Ada Lovelace\n");
    // The second release's lead time starts at its first commit after v1.0.0; the first one's at its request.
    const stats = await chat.command(DEPLOYER, "C0CHANGE01", "/deploy", "stats changes production");
    expect(stats).toContain("(1 of 2 from git, the rest from the request)");
  });

  it("a version git does not know is refused before anything is recorded or run", async () => {
    const answer = await scene.chat.command(DEPLOYER, "C0UNKNOW01", "/deploy", "development v9.9.9 unknown");
    expect(answer).toMatch(/v9\.9\.9 is not a tag or commit in .*remote\.git/);
    expect((await scene.store.recent(1_000)).filter((d) => d.service === "unknown")).toEqual([]);
    expect(scene.slack.messages().filter((m) => m.channel === "C0UNKNOW01")).toEqual([]);
  });
});
