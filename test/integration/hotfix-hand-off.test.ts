import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { moveTo } from "../../src/domain/deployment.js";
import { runHandOff } from "../../src/engine/hotfix-path.js";
import { JOB_IDS } from "../../src/engine/jobs.js";
import { createQueues, type Queues } from "../../src/engine/queues.js";
import { type RequestDeps, requestDeployment } from "../../src/engine/request-deployment.js";
import { runWatchdog } from "../../src/engine/watchdog.js";
import { createLogger } from "../../src/logger.js";
import { Catalog } from "../../src/manifests/catalog.js";
import { loadManifests } from "../../src/manifests/load.js";
import { renderRequestAnswer, renderRequestMessage } from "../../src/slack/renderers/request-answer.js";
import { manifestDir } from "../support/manifest-fixture.js";
import { testRedis } from "../support/redis.js";
import { requestDeps } from "../support/request-deps.js";

/*
 * The hand-off of a hotfix path against real Redis and BullMQ queues, with
 * no worker taking jobs: what each step queues is read off the queue. A
 * repeated or concurrent hand-off, the watchdog's and the notifier's among
 * them, starts the waiting production deployment exactly once.
 */

const MANIFEST = `service: web
channels: { deploy: C0DEPLOYS }
target:
  type: command
  actions: { deploy: [node, -e, "0"] }
environments:
  staging:
    stages: [{ name: deploy, action: deploy }]
  production:
    approval: { required: false }
    requires: { environment: staging, soak: 24h }
    stages: [{ name: deploy, action: deploy }]
`;

/** Staging marked sensitive: the hotfix path's first leg runs by the sensitive rules. */
const GUARDED = `service: guarded
channels: { deploy: C0GUARDED, incidents: C0INCIDENT }
roles: { security: { users: [U0SECURE01] } }
target:
  type: command
  actions: { deploy: [node, -e, "0"] }
environments:
  staging:
    sensitive: true
    windows: { timezone: UTC, lowTraffic: [{ days: [tue], from: "02:00", to: "05:00" }] }
    stages: [{ name: deploy, action: deploy }]
  production:
    requires: { environment: staging, soak: 24h }
    stages: [{ name: deploy, action: deploy }]
`;

/** Only the deployers may deploy to staging; anyone may ask for production. */
const STAGED = `service: staged
channels: { deploy: C0STAGED }
roles: { deployers: { users: [U0DEPLOYER] } }
target:
  type: command
  actions: { deploy: [node, -e, "0"] }
environments:
  staging:
    permissions: { deploy: [deployers] }
    stages: [{ name: deploy, action: deploy }]
  production:
    approval: { required: false }
    requires: { environment: staging, soak: 24h }
    stages: [{ name: deploy, action: deploy }]
`;

describe("the hotfix path's hand-off", () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let queues: Queues;
  let deps: RequestDeps;
  const START = Date.UTC(2026, 11, 7, 3, 0);
  let clock = START;

  beforeEach(async () => {
    ctx = await testRedis("hand-off");
    clock = START;
    const loaded = await loadManifests(
      await manifestDir({ "web.yaml": MANIFEST, "guarded.yaml": GUARDED, "staged.yaml": STAGED }),
    );
    expect(loaded.errors).toEqual([]);
    queues = createQueues(ctx.redis, ctx.prefix);
    let ids = 0;
    deps = requestDeps(ctx.redis, ctx.prefix, new Catalog(loaded.services), queues, {
      newId: () => {
        ids += 1;
        return `d-handoff${ids}`;
      },
      now: () => clock,
    });
  });

  afterEach(async () => {
    await queues.close();
    await ctx.close();
  });

  async function jobIds(name: string): Promise<string[]> {
    const jobs = await queues.pipeline.getJobs(["waiting", "delayed", "completed", "active"]);
    return jobs.filter((job) => job.name === name).map((job) => job.id ?? "");
  }

  function askForHotfix(service = "web") {
    return requestDeployment(deps, {
      actor: { kind: "slack", id: "U1" },
      via: "slash_command",
      request: { service, environment: "production", version: "v1.2.1", hotfix: true },
    });
  }

  async function startPath() {
    const outcome = await askForHotfix();
    if (outcome.code !== "started" || !outcome.deployment.hotfixPath)
      throw new Error(`no hotfix path: ${outcome.code}`);
    return { production: outcome.deployment.id, staging: outcome.deployment.hotfixPath.first.id };
  }

  /** Ends the staging deployment as `state`, as its pipeline would, telling the notifier. */
  async function endStaging(id: string, state: "succeeded" | "failed") {
    const running = await deps.store.save(moveTo(await deps.store.require(id), "running", clock));
    const ended = await deps.store.save(moveTo(running, state, clock));
    await deps.notifications.changed(ended);
    await deps.notifications.changed(ended);
  }

  it("starts production once, however often and from wherever the hand-off runs", async () => {
    const { production, staging } = await startPath();
    expect(await jobIds("check")).toEqual([JOB_IDS.check(staging, 0)]);

    await runHandOff(deps, production);
    expect((await deps.store.require(production)).hotfixPath?.handedOffAt).toBeUndefined();

    await endStaging(staging, "succeeded");
    expect(await jobIds("handOff")).toEqual([JOB_IDS.handOff(production)]);

    clock += 5 * 60_000;
    await Promise.all([runHandOff(deps, production), runHandOff(deps, production), runHandOff(deps, production)]);
    clock += 10 * 60_000;
    await runWatchdog(deps, createLogger("silent"));
    await runHandOff(deps, production);

    const started = await deps.store.require(production);
    expect(started.state).toBe("requested");
    expect(started.hotfixPath?.handedOffAt).toBe(clock - 10 * 60_000);
    expect(started.expiresAt - (started.hotfixPath?.handedOffAt ?? 0)).toBe(4 * 3_600_000);
    expect((await jobIds("check")).sort()).toEqual(
      [JOB_IDS.check(staging, 0), JOB_IDS.check(production, started.rev)].sort(),
    );
  });

  it("cancels production before anything ran when staging failed, once", async () => {
    const { production, staging } = await startPath();
    await endStaging(staging, "failed");
    await Promise.all([runHandOff(deps, production), runHandOff(deps, production)]);
    const stopped = await deps.store.require(production);
    expect(stopped.state).toBe("cancelled");
    expect(stopped.failureReason).toMatch(
      /^the hotfix stopped before production: its staging deployment `d-handoff\d` ended failed/,
    );
    expect(stopped.rev).toBe(1);
    expect(await jobIds("check")).toEqual([JOB_IDS.check(staging, 0)]);
  });

  it("stops the path before it starts while staging is held, saying whether by a deployment or a restore", async () => {
    // A staging deployment under way, which took a backup.
    const asked = await requestDeployment(deps, {
      actor: { kind: "slack", id: "U1" },
      via: "slash_command",
      request: { service: "web", environment: "staging", version: "v1.2.0", hotfix: false },
    });
    if (asked.code !== "started") throw new Error(`not started: ${asked.code}`);
    const running = await deps.store.save({ ...moveTo(asked.deployment, "running", clock), backupId: "web-staging-1" });
    const busy = await askForHotfix();
    if (busy.code !== "busy") throw new Error(`not busy: ${busy.code}`);
    expect(renderRequestAnswer({ service: "web", environment: "production" }, busy)).toBe(
      `The hotfix goes to staging first, and web is already being deployed to staging (\`${running.id}\`, v1.2.0 by <@U1>, running). Follow it in its thread or with \`/deploy status\`; ask for the hotfix again once it has finished.`,
    );

    // Then it is rolled back, and its backup restored after its end, which holds staging again.
    const back = await deps.store.save(
      moveTo(await deps.store.save(moveTo(running, "rolling_back", clock)), "rolled_back", clock),
    );
    const restore = {
      backupId: "web-staging-1",
      takenBy: back.id,
      by: "U0DBA00001",
      at: clock,
      afterEnd: true,
    } as const;
    await deps.store.save({ ...back, restore });
    const held = await askForHotfix();
    if (held.code !== "busy") throw new Error(`not busy: ${held.code}`);
    expect(held.holderId).toBe(back.id);
    const message = renderRequestMessage(
      { service: "web", environment: "production", version: "v1.2.1", hotfix: true },
      held,
    );
    expect(message.text).toBe(
      `The hotfix goes to staging first, and web staging is busy restoring a backup: \`web-staging-1\`, taken by \`${back.id}\` (v1.2.0, rolled back), asked by <@U0DBA00001>, then the post-rollback validation. Nothing deploys there until it is done; follow it in that deployment's thread, and ask for the hotfix again once the restore has finished.`,
    );
    // Queuing would not help a path whose first leg cannot start: no Queue it.
    expect(message.blocks).toHaveLength(1);
    // The production deployment recorded for the path is cancelled, saying the restore holds staging.
    const cancelled = (await deps.store.recent(10)).filter((d) => d.environment === "production");
    expect(cancelled.map((d) => [d.state, d.failureReason])).toEqual([
      [
        "cancelled",
        `the hotfix could not go to staging first: backup \`web-staging-1\` of \`${back.id}\` is being restored there, then the post-rollback validation checked, and nothing deploys there until it is done; ask for the hotfix again once it has finished`,
      ],
      ["cancelled", `the hotfix could not go to staging first: \`${back.id}\` is deploying there`],
    ]);
  });

  it("refuses a hotfix whose asker may not deploy to its first leg's environment, audited once", async () => {
    const refused = await askForHotfix("staged");
    expect(refused).toMatchObject({ code: "forbidden" });
    expect(await deps.store.recent(10)).toEqual([]);
    const entries = await deps.audit.recent("staged", 10);
    expect(entries.map((e) => [e.environment, e.outcome, e.actor])).toEqual([["staging", "refused", "U1"]]);
  });

  it("holds a sensitive first leg to its low-traffic window, and makes it sensitive", async () => {
    const monday = await askForHotfix("guarded");
    expect(monday).toMatchObject({
      code: "window",
      reason:
        "staging, where the hotfix goes first: a sensitive deployment runs only in the low-traffic window (Tue 02:00–05:00 UTC); the next opens Tue 02:00 UTC",
    });
    expect(await deps.store.recent(10)).toEqual([]);
    clock = START + 24 * 3_600_000;
    const tuesday = await askForHotfix("guarded");
    if (tuesday.code !== "started" || !tuesday.deployment.hotfixPath) throw new Error(`not started: ${tuesday.code}`);
    const first = await deps.store.require(tuesday.deployment.hotfixPath.first.id);
    expect([first.environment, first.sensitive, tuesday.deployment.sensitive]).toEqual(["staging", true, undefined]);
  });
});
