import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MONITORING_INCONCLUSIVE_LIMIT } from "../../src/domain/monitoring-windows.js";
import { ACTION_IDS } from "../../src/slack/action-ids.js";
import { freePort } from "../support/prometheus-server.js";
import { SlipwayScene } from "../support/slipway-scene.js";

/*
 * Metrics that never answer, after 100%: `slipway all` deploys a service
 * whose scrape source points at a port nothing listens on. Its monitoring
 * window would last 10 minutes; missing data is inconclusive, never a pass,
 * so after a few analyses in a row without data the deployment pauses,
 * saying what was missing, instead of watching blind until the window ends.
 */

const DEPLOYER = "U0DEPLOY01";
const CHANNEL = "C0BLINDDEP";

function manifest(port: number): string {
  return `service: blind
channels: { deploy: ${CHANNEL} }
target:
  type: command
  actions:
    deploy: [node, -e, "console.log('deployed ' + process.env.SLIPWAY_VERSION)"]
metrics:
  source: scrape
  scrape: { template: "http://127.0.0.1:${port}/metrics/{{version}}", interval: 1s }
  interval: 1s
  timeout: 1s
environments:
  production:
    approval: { required: false }
    monitoring: { immediate: 10m }
    stages: [{ name: deploy, action: deploy }]
`;
}

describe("monitoring a version whose metrics never answer", () => {
  let scene: SlipwayScene;

  beforeAll(async () => {
    scene = await SlipwayScene.start({ label: "no-data", manifests: { "blind.yaml": manifest(await freePort()) } });
  }, 60_000);

  afterAll(async () => {
    expect(await scene?.close()).toBe(0);
  });

  it("pauses after a few inconclusive analyses in a row, saying what was missing, long before the window ends", async () => {
    const id = await scene.deploy(DEPLOYER, CHANNEL, "production v1.0.0 blind");
    const paused = await scene.until(id, "paused by Slipway", (d) => d.paused !== undefined, 60_000);

    expect(paused.state).toBe("monitoring");
    expect(paused.paused?.by).toBe("slipway");
    const record = paused.analyses?.find((a) => a.stageIndex === -1);
    expect(record?.verdict.outcome).toBe("inconclusive");
    expect(record?.inconclusiveRounds).toBe(MONITORING_INCONCLUSIVE_LIMIT);
    expect(paused.paused?.at).toBeLessThan(paused.monitorUntil ?? 0);
    expect(paused.paused?.reason).toMatch(
      /^inconclusive analysis \(3 analyses in a row after 100%\): inconclusive, not promoting: traffic of v1\.0\.0 unknown/,
    );
    expect(record?.verdict.missing).toEqual([expect.stringMatching(/^canary v1\.0\.0: /)]);

    const { slack } = scene;
    const reply = slack.textOf(await scene.chat.replyOf(id, [/📈/, /❔ \*inconclusive\*/]));
    expect(reply).toContain("Missing: canary v1.0.0");
    const root = slack.textOf(
      await scene.chat.rootOf(id, /\*Paused because:\* inconclusive analysis \(3 analyses in a row after 100%\)/),
    );
    expect(root).toMatch(/⏸️ paused by/);

    // Nothing passes it meanwhile; Roll back ends it.
    await scene.clickControl(id, DEPLOYER, ACTION_IDS.abort);
    const ended = await scene.until(id, "to end after Roll back", (d) => d.finishedAt !== undefined);
    expect(ended.state).not.toBe("succeeded");
  }, 90_000);
});
