import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { manifestDir } from "../support/manifest-fixture.js";
import { REDIS_URL } from "../support/redis.js";
import { ROOT } from "../support/slipway-process.js";

const execFileAsync = promisify(execFile);

/*
 * `slipway demo --manifests <dir> --dry-run` on a manifest whose target and
 * stage commands do not exist (an http deployer at an address that cannot
 * resolve, a migrate binary nowhere on disk): every would-be call is logged
 * and succeeds, the checklist and the approval are walked through by the
 * manifest's people, and each environment ends in success.
 */

const SHOP = `
service: shop
channels:
  deploy: C0SHOPDEP
  incidents: C0SHOPINC
roles:
  releng:
    users: [U0RELENG1]
  leads:
    users: [U0LEAD001, U0LEAD002]
target:
  type: http
  url: https://deployer.invalid/slipway
  secretEnv: SHOP_DEPLOYER_SECRET
  actions: [deploy, healthCheck, setTraffic, rollback]
checklist:
  - id: release-notes
    title: Release notes written
    section: code
    check: { kind: manual }
environments:
  staging:
    stages:
      - name: migrate
        run: [/opt/shop/bin/migrate, --up]
      - name: deploy
        action: deploy
      - name: health
        action: healthCheck
  production:
    strategy: canary
    canary:
      steps:
        - { weight: 10, hold: 30m }
        - { weight: 50, hold: 1h }
    approval:
      approvers: [leads]
    permissions:
      deploy: [releng]
    stages:
      - name: deploy
        action: deploy
      - name: health
        action: healthCheck
`;

function demo(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [join(ROOT, "dist", "main.js"), "demo", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", REDIS_URL },
    timeout: 240_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? "",
    }),
  );
}

describe("slipway demo --manifests <dir> --dry-run", () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it("deploys a manifest whose targets do not exist to success, logging each would-be call", async () => {
    const dir = await manifestDir({ "shop.yaml": SHOP });
    dirs.push(dir);
    const { code, stdout, stderr } = await demo("--manifests", dir, "--dry-run");
    const story = `${stdout}\n${stderr}`;
    expect(story).toMatch(/✓ shop staging v1\.0\.0 \(d-[a-z0-9]+\): succeeded/);
    expect(story).toMatch(/✓ shop production v1\.0\.0 \(d-[a-z0-9]+\): succeeded/);
    expect(code, story).toBe(0);
    const wouldCall = stdout.split("\n").filter((line) => line.includes("dry run: would call"));
    expect(wouldCall.map((line) => line.replace(/^.*would call /, ""))).toEqual([
      'command ["/opt/shop/bin/migrate","--up"] for shop staging v1.0.0 (stage migrate)',
      "target action deploy for shop staging v1.0.0 (stage deploy)",
      "target action healthCheck for shop staging v1.0.0 (stage health)",
      "target action deploy for shop production v1.0.0 (stage deploy)",
      "target action healthCheck for shop production v1.0.0 (stage health)",
      "target action setTraffic for shop production v1.0.0 (stage canary-10%, SLIPWAY_TRAFFIC_WEIGHT=10)",
      "target action setTraffic for shop production v1.0.0 (stage canary-50%, SLIPWAY_TRAFFIC_WEIGHT=50)",
      "target action setTraffic for shop production v1.0.0 (stage canary-100%, SLIPWAY_TRAFFIC_WEIGHT=100 SLIPWAY_PROMOTE=1)",
    ]);
    // The manifest's people did what it asks of them: the releng ticked, a lead approved.
    expect(stdout).toMatch(/\/deploy staging v1\.0\.0 shop +\(typed by @releng-1\)/);
    expect(stdout).toMatch(/ticks the manual checklist items: d-[a-z0-9]+:release-notes/);
    expect(stdout).toMatch(/@leads-1 clicks Approve: Approved/);
  }, 240_000);

  it("shows errors in the manifests as `slipway validate` does, and starts nothing", async () => {
    const dir = await manifestDir({ "shop.yaml": SHOP.replace("strategy: canary", "strategy: canery") });
    dirs.push(dir);
    const validate = await execFileAsync(process.execPath, [join(ROOT, "dist", "main.js"), "validate", dir]).catch(
      (error: { stdout: string }) => error,
    );
    const { code, stdout } = await demo("--manifests", dir, "--dry-run");
    expect(code).toBe(1);
    expect(stdout).toBe(validate.stdout);
    expect(stdout).toMatch(/environments\.production\.strategy/);
  }, 180_000);

  it("refuses options it does not know, saying how to use it", async () => {
    const { code, stderr } = await demo("--dry-run");
    expect(code).toBe(2);
    expect(stderr).toMatch(/--dry-run rehearses your own manifests: give them with --manifests <dir>/);
    expect(stderr).toMatch(/Usage: slipway demo/);
  }, 180_000);
});
