import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION_IDS } from "../../src/slack/action-ids.js";
import { SlipwayScene } from "../support/slipway-scene.js";

/*
 * The deployment validation phase end to end: one `slipway all` against the
 * Slack stand-in, one service whose target keeps what is live in a file
 * (`live-<environment>`) and writes its log (`app-<environment>.log`, one
 * ISO-timestamped line each). After the last step each environment checks
 * the seed's development validation: the application starts (a health
 * command), basic functionality works (a smoke command), and no errors in
 * the logs since the deployment started (a log query). Versions misbehave
 * by name: `broken` never starts, `noisy` logs an error as it starts.
 *
 * - development (onFailure: rollback): a failed validation rolls back by
 *   itself to the last good version;
 * - staging (onFailure: stop): it ends failed, offering Roll back.
 */

const DEPLOYER = "U0DEPLOY01";
const CHANNEL = "C0SHOPDEPL";
const ALERTS = "C0SHOPALRT";

const DEPLOY = [
  "const fs = require('node:fs'); const env = process.env.SLIPWAY_ENVIRONMENT; const v = process.env.SLIPWAY_VERSION;",
  "fs.writeFileSync('live-' + env, v);",
  "const log = (level, text) => fs.appendFileSync('app-' + env + '.log', new Date().toISOString() + ' ' + level + ' ' + text + '\\n');",
  "log('INFO', 'started ' + v);",
  "if (v.includes('noisy')) log('ERROR', 'payment provider timed out (' + v + ')');",
  "console.log('deployed ' + v);",
].join(" ");
const ROLLBACK = [
  "const fs = require('node:fs'); const back = process.env.SLIPWAY_PREVIOUS_VERSION;",
  "fs.writeFileSync('live-' + process.env.SLIPWAY_ENVIRONMENT, back); console.log('back on ' + back);",
].join(" ");
/** The health command: the live version answers, unless it is a broken one. */
const HEALTH = [
  "const v = require('node:fs').readFileSync('live-' + process.env.SLIPWAY_ENVIRONMENT, 'utf8');",
  "if (v.includes('broken')) { console.error(v + ': GET /healthz connection refused'); process.exit(1); }",
  "console.log(v + ': GET /healthz 200');",
].join(" ");
/** The log query: the lines of the environment's log at or after the deployment's start. */
const LOG_QUERY = [
  "const since = process.argv[1].slice('since='.length);",
  "const text = require('node:fs').readFileSync('app-' + process.env.SLIPWAY_ENVIRONMENT + '.log', 'utf8');",
  "for (const line of text.split('\\n')) if (line !== '' && line.slice(0, 24) >= since) console.log(line);",
].join(" ");

function manifest(workdir: string): string {
  const environment = (onFailure: string) => `    onFailure: ${onFailure}
    checklist: [app-starts, basic-functionality, no-log-errors]
    stages:
      - { name: deploy, action: deploy }
`;
  return `service: shop
channels:
  deploy: ${CHANNEL}
  incidents: ${ALERTS}
target:
  type: command
  workdir: ${JSON.stringify(workdir)}
  actions:
    deploy: [node, -e, ${JSON.stringify(DEPLOY)}]
    rollback: [node, -e, ${JSON.stringify(ROLLBACK)}]
checklist:
  - { id: app-starts, title: Application starts, section: deployment, check: { kind: command, run: [node, -e, ${JSON.stringify(HEALTH)}] } }
  - { id: basic-functionality, title: Basic functionality works, section: deployment, check: { kind: command, run: [node, -e, "console.log('GET / 200, POST /cart 201')"] } }
  - { id: no-log-errors, title: No errors in logs, section: deployment, check: { kind: logs, run: [node, -e, ${JSON.stringify(LOG_QUERY)}, "since={since}"] } }
  - { id: previous-version-running, title: Previous version running, section: validation, check: { kind: command, run: [node, -e, "console.log('running ' + process.env.SLIPWAY_VERSION)"] } }
environments:
  development:
${environment("rollback")}  staging:
${environment("stop")}`;
}

describe("deployment validation after the last step", () => {
  let scene: SlipwayScene;

  beforeAll(async () => {
    scene = await SlipwayScene.start({
      label: "deployment-validation",
      manifests: (workdir) => ({ "shop.yaml": manifest(workdir) }),
    });
  }, 60_000);

  afterAll(async () => {
    expect(await scene?.close()).toBe(0);
  });

  const live = (environment: string) => readFile(join(scene.workdir, `live-${environment}`), "utf8");
  const text = (message: { blocks: unknown[]; text?: string }) =>
    scene.slack.textOf(message as Parameters<typeof scene.slack.textOf>[0]);

  /** The deployment validation reply of a deployment's thread once it matches. */
  function validationReply(id: string, matching: RegExp) {
    return scene.chat.replyOf(id, [/🩺 \*Deployment validation\*/, matching]);
  }

  it("passes a version that starts, works and logs no error, showing each item with its evidence", async () => {
    const id = await scene.deploy(DEPLOYER, CHANNEL, "development v1.0.0 shop");
    const d = await scene.ended(id, "succeeded");

    expect(d.deploymentValidation?.map((i) => `${i.id} ${i.status}`)).toEqual([
      "app-starts passed",
      "basic-functionality passed",
      "no-log-errors passed",
    ]);
    const reply = text(await validationReply(id, /✅ passed \(3\/3\)/));
    expect(reply).toContain("*Deployment validation*");
    expect(reply).toContain("✅ Application starts — exit 0: v1.0.0: GET /healthz 200");
    expect(reply).toContain("✅ Basic functionality works — exit 0: GET / 200, POST /cart 201");
    expect(reply).toMatch(/✅ No errors in logs — 0 error lines since \d{4}-\d\d-\d\dT[\d:.]+Z \(at most 0\)/);
    expect(text(await scene.chat.rootOf(id, /\*Succeeded\*/))).toContain("*Deployment validation:* ✅ passed (3/3)");
    expect(await live("development")).toBe("v1.0.0");
  }, 60_000);

  it("rolls development back by itself when the new version does not start", async () => {
    const id = await scene.deploy(DEPLOYER, CHANNEL, "development v1.1.0-broken shop");
    const d = await scene.ended(id, "rolled_back");

    const reason = "deployment validation failed: Application starts";
    expect(d.stages.map((s) => `${s.name} ${s.status}`)).toEqual(["deploy succeeded"]);
    expect(d.rollback).toMatchObject({ by: "slipway", reason: `automatic rollback: ${reason}` });
    expect(d.rollback?.actions.map((a) => `${a.name} ${a.ok}`)).toEqual(["rollback true"]);
    expect(await live("development")).toBe("v1.0.0");

    const reply = text(await validationReply(id, /❌ failed \(2\/3 passed\)/));
    expect(reply).toContain("❌ Application starts — exit 1: v1.1.0-broken: GET /healthz connection refused");
    const root = text(await scene.chat.rootOf(id, /\*Rolled back\*/));
    expect(root).toContain("*Deployment validation:* ❌ failed (2/3 passed)");
    expect(root).toContain("*Post-rollback validation:* ✅ passed (1/1)");
    expect(root).toContain(`*Rollback:* automatic rollback: ${reason}`);
    // The deployment record lists both validations with their evidence.
    const record = text(await scene.chat.replyOf(id, [/\*Deployment record\*/, /\*Post-rollback Validation\*/]));
    expect(record).toContain(
      "*Deployment Validation*\n• ❌ failed (2/3 passed)\n• ❌ Application starts — exit 1: v1.1.0-broken: GET /healthz connection refused",
    );
    expect(record).toContain(
      "*Post-rollback Validation*\n• ✅ passed (1/1)\n• ✅ Previous version running — exit 0: running ",
    );
    const alert = await scene.slack.waitForMessage(
      (m) =>
        m.channel === ALERTS && m.threadTs === undefined && text(m).includes(id) && /back on v1\.0\.0/.test(text(m)),
    );
    expect(text(alert)).toContain(`*What tripped:* ${reason}`);
  }, 60_000);

  it("catches an error line logged since the deployment started, and only those", async () => {
    const noisy = await scene.deploy(DEPLOYER, CHANNEL, "development v1.2.0-noisy shop");
    const d = await scene.ended(noisy, "rolled_back");
    expect(d.rollback?.reason).toBe("automatic rollback: deployment validation failed: No errors in logs");
    const reply = text(await validationReply(noisy, /❌ failed \(2\/3 passed\)/));
    expect(reply).toMatch(
      /❌ No errors in logs — 1 error line since [\dT:.Z-]+ \(at most 0\): [\dT:.Z-]+ ERROR payment provider timed out \(v1\.2\.0-noisy\)/,
    );
    expect(await live("development")).toBe("v1.0.0");

    // The next version's count starts at its own deployment: the error line above is not held against it.
    const quiet = await scene.deploy(DEPLOYER, CHANNEL, "development v1.3.0 shop");
    const after = await scene.ended(quiet, "succeeded");
    expect(after.deploymentValidation?.find((i) => i.id === "no-log-errors")?.status).toBe("passed");
    expect(await readFile(join(scene.workdir, "app-development.log"), "utf8")).toContain(
      "ERROR payment provider timed out",
    );
  }, 90_000);

  it("stops staging on a failed validation, offering Roll back instead of taking it by itself", async () => {
    const id = await scene.deploy(DEPLOYER, CHANNEL, "staging v1.1.0-broken shop");
    const d = await scene.ended(id, "failed");

    expect(d.failureReason).toBe("deployment validation failed: Application starts");
    expect(d.rollback).toBeUndefined();
    expect(await live("staging")).toBe("v1.1.0-broken");
    await validationReply(id, /❌ failed \(2\/3 passed\)/);
    const { root } = await scene.chat.finished(id, "Failed");
    const buttons = root.blocks.flatMap((block) =>
      block.type === "actions" && Array.isArray(block.elements)
        ? (block.elements as { action_id?: string }[]).map((e) => e.action_id)
        : [],
    );
    expect(buttons).toContain(ACTION_IDS.rollBack);
  }, 60_000);
});
