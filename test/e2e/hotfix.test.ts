import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitFixture, gitFixture } from "../support/git-repo.js";
import { SlipwayScene } from "../support/slipway-scene.js";

/*
 * The hotfix path and sensitive deployments, end to end: one `slipway all` against the Slack stand-in,
 * each scenario with its own service and channel and a real git repository.
 * `/deploy production <v> --hotfix` for a version that never reached staging
 * runs staging first (with its soak), then production by itself, the
 * "after" stages last; a staging failure stops it before production. A
 * sensitive deployment waits for a security approver on top of the quorum,
 * runs only in its low-traffic window and gives the incident channel a
 * heads-up when it starts and when it ends.
 */

const DEPLOYER = "U0DEPLOY01";
const APPROVER = "U0APPROV01";
const SECURITY = "U0SECURE01";
const INCIDENTS = "C0INCIDE01";

/** A one-hour low-traffic window three hours from now (UTC), so a sensitive deployment is refused now. */
function laterWindow(): string {
  const hour = (new Date().getUTCHours() + 3) % 24;
  const hh = (h: number) => `${String(h).padStart(2, "0")}:00`;
  return `{ days: [mon, tue, wed, thu, fri, sat, sun], from: "${hh(hour)}", to: "${hh((hour + 1) % 24)}" }`;
}

/** Production sensitive (or not) behind a quorum of one from approvers; staging without a low-traffic window or hotfixes. */
function sensitiveManifest(service: string, channel: string, lowTraffic: string, marked: boolean): string {
  return `service: ${service}
channels:
  deploy: ${channel}
  incidents: ${INCIDENTS}
roles:
  approvers: { users: [${APPROVER}] }
  security: { users: [${SECURITY}] }
target:
  type: command
  actions:
    deploy: [node, -e, "0"]
environments:
  staging:
    hotfix: { allowed: false }
    stages:
      - name: deploy
        action: deploy
  production:
    sensitive: ${marked}
    approval: { count: 1, approvers: [approvers] }
    windows:
      timezone: UTC
      lowTraffic: [${lowTraffic}]
    stages:
      - name: deploy
        action: deploy
`;
}
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
        "guarded.yaml": sensitiveManifest(
          "guarded",
          "C0GUARDE01",
          `{ days: [mon, tue, wed, thu, fri, sat, sun], from: "00:00", to: "24:00" }`,
          true,
        ),
        "nightly.yaml": sensitiveManifest("nightly", "C0NIGHTL01", laterWindow(), false),
      },
    });
  });

  afterAll(async () => {
    const code = await scene?.close();
    await Promise.all(Object.values(repos).map((r) => r.remove()));
    expect(code).toBe(0);
  });

  it("runs staging first with its soak, then production by itself, the after stages last; each links the other (a dry run says so)", async () => {
    const dry = await scene.chat.command(
      DEPLOYER,
      "C0MENDED01",
      "/deploy",
      "production v1.2.1 mended --hotfix --dry-run",
    );
    expect(dry).toBe(
      "Dry run: mended v1.2.1 → staging first (hotfix path) would run: deploy → hotfix-soak → smoke-tests; then production (all-at-once) would run: deploy → smoke-tests → full-suite. Nothing was queued.",
    );
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

  it("a sensitive deployment waits for a security approver besides the quorum, and gives the incident channel heads-ups", async () => {
    const id = await scene.deploy(DEPLOYER, "C0GUARDE01", "production v2.0.1 guarded");
    const card = await scene.chat.approvalCardOf(id, /Sensitive:.*still missing/);
    expect(await scene.chat.clickApprove(card, APPROVER)).toContain("Approval counted (1 of 2)");
    expect((await scene.deployment(id)).state).toBe("awaiting_approval");
    expect(await scene.chat.clickApprove(card, SECURITY)).toContain("is starting");
    const done = await scene.ended(id, "succeeded");
    expect(done.approval?.votes.map((v) => [v.userId, v.security === true])).toEqual([
      [APPROVER, false],
      [SECURITY, true],
    ]);
    const headsUps = () =>
      scene.slack
        .messages()
        .filter((m) => m.channel === INCIDENTS && scene.slack.textOf(m).includes(id))
        .map((m) => scene.slack.textOf(m));
    await scene.until(id, "to have both heads-ups in the incident channel", () => headsUps().length === 2);
    expect(headsUps()[0]).toMatch(/Sensitive deployment starting.*Security team on standby/);
    expect(headsUps()[1]).toMatch(/Sensitive deployment ended.*may stand down/);
  });

  it("a sensitive deployment outside its low-traffic window is refused with when it can go", async () => {
    const answer = await scene.chat.command(DEPLOYER, "C0NIGHTL01", "/deploy", "production v2.0.1 nightly --sensitive");
    expect(answer).toMatch(
      /^Not now: a sensitive deployment runs only in the low-traffic window \(every day \d\d:00–\d\d:00 UTC\); the next opens .+\.\n\[Schedule for the next window\]$/,
    );
    const plain = await scene.deploy(DEPLOYER, "C0NIGHTL01", "production v2.0.1 nightly");
    expect((await scene.deployment(plain)).sensitive).toBeUndefined();
    const unprepared = await scene.chat.command(
      DEPLOYER,
      "C0NIGHTL01",
      "/deploy",
      "staging v2.0.1 nightly --sensitive",
    );
    expect(unprepared).toContain(
      "a sensitive deployment of nightly to staging needs a low-traffic window (windows.lowTraffic)",
    );
  });

  it("a --hotfix where the manifest allows none is refused, saying how to deploy instead", async () => {
    const answer = await scene.chat.command(DEPLOYER, "C0NIGHTL01", "/deploy", "staging v2.0.2 nightly --hotfix");
    expect(answer).toBe(
      "staging of nightly takes no hotfixes (hotfix.allowed is false in its manifest); deploy without --hotfix, through the usual path",
    );
  });
});
