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

type PlaygroundProcess = {
  url: string;
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Everything it printed, stdout and stderr. */
  output: string[];
};

/** `slipway demo` with these arguments, once it printed the playground's URL. */
async function startPlayground(args: readonly string[]): Promise<PlaygroundProcess> {
  const child = spawn(process.execPath, [join(ROOT, "dist", "main.js"), "demo", ...args], {
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
  return { url, child, output };
}

/** Stops the playground with SIGTERM; it must still be running then, and stop cleanly. */
async function stopPlayground(playground: PlaygroundProcess | undefined): Promise<void> {
  if (!playground) return;
  const { child, output } = playground;
  expect(child.exitCode, `the playground stopped by itself:\n${output.join("\n")}`).toBeNull();
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  expect(await exited, output.join("\n")).toBe(0);
}

let browser: Browser;

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
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
}, STEP_MS);

afterAll(async () => {
  await browser?.close();
});

/** A page on the playground at `url`, once its script has drawn the workspace. */
async function openPage(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(STEP_MS);
  await page.goto(url);
  await page.waitForSelector("body[data-ready]");
  return page;
}

describe("the playground in Chromium", () => {
  let page: Page;
  let playground: PlaygroundProcess | undefined;

  beforeAll(async () => {
    playground = await startPlayground(["--manifests", await manifestDir({ "shop.yaml": SHOP }), "--playground"]);
    page = await openPage(playground.url);
  }, 3 * STEP_MS);

  afterAll(() => stopPlayground(playground), STEP_MS);

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

describe("npm run demo: the example playground and its story", () => {
  let page: Page;
  let playground: PlaygroundProcess | undefined;

  beforeAll(async () => {
    playground = await startPlayground([]);
    page = await openPage(playground.url);
  }, 3 * STEP_MS);

  afterAll(() => stopPlayground(playground), STEP_MS);

  it(
    "plays the story from its button: push, schedule, approval, canary, and a bad version rolled back with an alert",
    async () => {
      expect(await page.locator("[data-testid=channels] button").allTextContents()).toEqual(
        expect.arrayContaining(["# example-deploys", "# storefront-deploys", "# storefront-incidents"]),
      );
      const play = page.locator("[data-testid=play]", { hasText: "Play the story" });
      await play.click();
      // One story at a time: a second click is told so.
      await play.click();
      await page.locator("[data-testid=toast]", { hasText: "already playing" }).waitFor();

      await page.click("[data-testid=channel-storefront-deploys]");
      const rootOf = (text: RegExp) => page.locator("#pane [data-testid=message]", { hasText: text });
      await rootOf(/develop-[0-9a-f]{7} → development/)
        .getByText("Succeeded")
        .waitFor({ timeout: 3 * STEP_MS });
      await rootOf(/develop-[0-9a-f]{7} → staging/)
        .getByText("Succeeded")
        .waitFor({ timeout: 3 * STEP_MS });
      await rootOf(/develop-[0-9a-f]{7} → production/)
        .getByText("Succeeded")
        .waitFor({ timeout: 3 * STEP_MS });
      await rootOf(/v1\.3\.0-bad → production/)
        .getByText("Rolled back")
        .waitFor({ timeout: 3 * STEP_MS });
      // Production's good version was watched by its extended window after success, until the bad one replaced it.
      await rootOf(/develop-[0-9a-f]{7} → production/)
        .getByText(/Extended window: ended .+ has since changed what runs here/)
        .waitFor({ timeout: 3 * STEP_MS });
      await page.screenshot({ path: join(SHOTS, "9-story.png") });

      await page.click("[data-testid=channel-storefront-incidents]");
      await page
        .locator("#pane [data-testid=message]", { hasText: /automatic rollback of storefront v1\.3\.0-bad/ })
        .waitFor();
      expect(await page.locator("#pane [data-testid=message]").count()).toBe(1);
    },
    10 * STEP_MS,
  );
});
