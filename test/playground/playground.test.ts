import { type ChildProcessByStdio, spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestDir } from "../support/manifest-fixture.js";
import { REDIS_URL } from "../support/redis.js";
import { ROOT } from "../support/slipway-process.js";

/*
 * The playground in real Chromium (Debian's, driven by playwright-core): a
 * person types /deploy, reads the checklist and the approval card, switches
 * to an approver and clicks Approve, watches the canary on the root message
 * to the end, and aborts another deployment, which rolls back. Every click
 * goes into Slipway as the stand-in's signed Slack request. Screenshots are
 * kept in test-results/playground.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = join(ROOT, "test-results", "playground");
const STEP_MS = 60_000;
const OK = "[node, -e, \"console.log('done')\"]";

const SHOP = `
service: shop
channels:
  deploy: C0SHOPDEP
  incidents: C0SHOPINC
roles:
  releng:
    users: [U0RELENG1]
  leads:
    users: [U0LEAD001]
target:
  type: command
  actions:
    deploy: ${OK}
    healthCheck: ${OK}
    setTraffic: ${OK}
    rollback: ${OK}
    verifyRollback: ${OK}
checklist:
  - id: tests
    title: All tests passing
    section: code
    check: { kind: command, run: ${OK} }
  - id: release-notes
    title: Release notes written
    section: code
    check: { kind: manual }
environments:
  staging:
    strategy: canary
    canary:
      steps: [{ weight: 10, hold: 30m }]
    checklist: [tests]
    stages:
      - { name: deploy, action: deploy }
  production:
    strategy: canary
    canary:
      steps: [{ weight: 10, hold: 2s }, { weight: 50, hold: 2s }]
    approval:
      approvers: [leads]
    permissions:
      deploy: [releng]
    stages:
      - { name: deploy, action: deploy }
      - { name: health, action: healthCheck }
`;

async function startPlayground(
  dir: string,
): Promise<{ url: string; child: ChildProcessByStdio<null, Readable, Readable> }> {
  const child = spawn(process.execPath, [join(ROOT, "dist", "main.js"), "demo", "--manifests", dir, "--playground"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", REDIS_URL },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  createInterface({ input: child.stderr }).on("line", (line) => output.push(line));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      output.push(line);
      const found = /^Slipway playground: (http:\/\/127\.0\.0\.1:\d+\/)$/.exec(line);
      if (found?.[1]) resolve(found[1]);
    });
    child.once("exit", (code) => reject(new Error(`the playground exited with ${code}:\n${output.join("\n")}`)));
  });
  // The playground prints its one URL and nothing else.
  expect(output).toEqual([`Slipway playground: ${url}`]);
  return { url, child };
}

describe("the playground in Chromium", () => {
  let browser: Browser;
  let page: Page;
  let playground: Awaited<ReturnType<typeof startPlayground>>;

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    playground = await startPlayground(await manifestDir({ "shop.yaml": SHOP }));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(STEP_MS);
    await page.goto(playground.url);
    await page.waitForSelector("body[data-ready]");
  }, 3 * STEP_MS);

  afterAll(async () => {
    await browser?.close();
    if (playground) {
      const exited = new Promise((resolve) => playground.child.once("exit", resolve));
      playground.child.kill("SIGTERM");
      await exited;
    }
  }, STEP_MS);

  const actAs = (userId: string) => page.selectOption("[data-testid=user-picker]", userId);
  const root = (id: string) => page.locator("#pane [data-testid=message]", { hasText: id });

  async function deploy(text: string): Promise<string> {
    await page.fill("[data-testid=composer-input]", `/deploy ${text}`);
    await page.press("[data-testid=composer-input]", "Enter");
    const ack = page.locator("[data-testid=ephemeral]", { hasText: `→ ${text.split(" ")[0]}` }).last();
    const id = /`?(d-[a-z0-9]+)/.exec((await ack.textContent()) ?? "")?.[1];
    if (!id) throw new Error(`no deployment id in the answer: ${await ack.textContent()}`);
    return id;
  }

  it(
    "deploys to production: checklist, approval by an approver, canary progress on the root, success",
    async () => {
      expect(await page.locator("[data-testid=channels] button").allTextContents()).toEqual([
        "# shop-deploys",
        "# shop-incidents",
      ]);
      await actAs("U0RELENG1");
      const id = await deploy("production v1.2.0");
      await root(id).locator("[data-testid=open-thread]").click();
      const panel = page.locator("[data-testid=thread]");
      // The checklist: the automatic item passed, the manual one waits for a tick.
      const checklist = panel.locator("[data-testid=message]", { hasText: "Pre-deployment checklist" });
      await checklist.locator("input[type=checkbox][value$=release-notes]").waitFor();
      await page.screenshot({ path: join(SHOTS, "1-checklist.png") });
      await checklist.locator("input[type=checkbox]").first().check();
      const card = panel.locator("[data-testid=message]", { hasText: /Needs 1 approval/ });
      await card.locator("button[data-action-id=slipway_approve]").waitFor();
      await page.screenshot({ path: join(SHOTS, "2-approval-card.png") });
      await actAs("U0LEAD001");
      await card.locator("button[data-action-id=slipway_approve]").click();
      await card.getByText(/approved by @leads-1/).waitFor();
      await root(id)
        .getByText(/Canary weight: 10%/)
        .waitFor();
      await page.screenshot({ path: join(SHOTS, "3-canary.png") });
      await root(id)
        .getByText(/Canary weight: 50%/)
        .waitFor();
      await root(id).getByText("Succeeded").waitFor();
      await panel.getByText(/Deployment succeeded/).waitFor();
      await page.screenshot({ path: join(SHOTS, "4-succeeded.png") });
    },
    4 * STEP_MS,
  );

  it(
    "aborts another deployment from its root message, and it rolls back",
    async () => {
      await actAs("U0RELENG1");
      const id = await deploy("staging v1.3.0");
      await root(id)
        .getByText(/Canary weight: 10%/)
        .waitFor();
      await root(id).locator("button[data-action-id=slipway_abort]").click();
      // Abort asks first, as Slack's confirm dialog does.
      const confirm = page.locator("[data-testid=confirm]");
      await confirm.waitFor();
      await page.screenshot({ path: join(SHOTS, "5-abort-confirm.png") });
      await confirm.locator("[data-answer=yes]").click();
      await root(id).getByText("Rolled back").waitFor();
      expect(await root(id).locator("button[data-action-id=slipway_abort]").count()).toBe(0);
      await page.screenshot({ path: join(SHOTS, "6-rolled-back.png") });
    },
    3 * STEP_MS,
  );

  it(
    "opens the App Home tab: what is deployed where",
    async () => {
      await page.click("[data-testid=home-nav]");
      const home = page.locator("[data-testid=home]");
      await home.getByText("v1.2.0").first().waitFor();
      await page.screenshot({ path: join(SHOTS, "7-home.png") });
    },
    STEP_MS,
  );

  it(
    "opens the /deploy form and points out a wrong field in it",
    async () => {
      await page.click("[data-testid=channel-shop-deploys]");
      await page.fill("[data-testid=composer-input]", "/deploy");
      await page.press("[data-testid=composer-input]", "Enter");
      const modal = page.locator("[data-testid=modal]");
      await modal.waitFor();
      await modal.locator(".input[data-block-id=version] input").fill("not a version");
      await modal.locator("button[type=submit]").click();
      await modal.locator(".input[data-block-id=version] .error").getByText(/./).waitFor();
      await page.screenshot({ path: join(SHOTS, "8-deploy-form.png") });
      await modal.locator("[data-modal-close]").click();
      await modal.waitFor({ state: "hidden" });
    },
    STEP_MS,
  );
});
