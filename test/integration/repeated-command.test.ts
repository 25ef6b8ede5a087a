import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createQueues, type Queues } from "../../src/engine/queues.js";
import { type RequestDeps, type RequestInput, requestDeployment } from "../../src/engine/request-deployment.js";
import { Catalog } from "../../src/manifests/catalog.js";
import { loadManifests } from "../../src/manifests/load.js";
import { AuditLog } from "../../src/store/audit-log.js";
import { manifestDir } from "../support/manifest-fixture.js";
import { testRedis } from "../support/redis.js";
import { requestDeps } from "../support/request-deps.js";

/*
 * A slash command delivered twice (Slack's retry, a replay: the same
 * trigger id) against real Redis, for every outcome a deployment request
 * can have: the first delivery is answered and audited, the second is
 * answered `repeated`, writes no audit entry and changes nothing, even when
 * the first was refused and the second would not be.
 */

const DEPLOYER = "U0RDEPLOY1";
const OUTSIDER = "U0ROUTSID1";

/** production is frozen on 2030-01-01 12:00–14:00 UTC; the engine's clock says when it asks. */
const MANIFEST = `service: web
channels: { deploy: C0RWEB0001 }
roles:
  deployers: { users: [${DEPLOYER}] }
target:
  type: command
  actions: { deploy: [node, -e, "0"] }
environments:
  production:
    permissions: { deploy: [deployers] }
    windows:
      timezone: UTC
      freezes: [{ from: "2030-01-01 12:00", to: "2030-01-01 14:00", reason: Release freeze }]
    stages: [{ name: deploy, action: deploy }]
`;

const OPEN = Date.UTC(2030, 0, 1, 11, 0);
const FROZEN = Date.UTC(2030, 0, 1, 12, 30);

describe("a slash command delivered twice", () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let queues: Queues;
  let deps: RequestDeps;
  let clock = OPEN;
  let triggers = 0;

  beforeEach(async () => {
    ctx = await testRedis("repeated-command");
    const loaded = await loadManifests(await manifestDir({ "web.yaml": MANIFEST }));
    expect(loaded.errors).toEqual([]);
    queues = createQueues(ctx.redis, ctx.prefix);
    clock = OPEN;
    deps = requestDeps(ctx.redis, ctx.prefix, new Catalog(loaded.services), queues, { now: () => clock });
  });

  afterEach(async () => {
    await queues.close();
    await ctx.close();
  });

  /** `/deploy production <version>` as `userId`, delivered twice with one trigger id: both outcomes' codes. */
  async function twice(version: string, userId = DEPLOYER, options: Partial<RequestInput> = {}) {
    triggers += 1;
    const input: RequestInput = {
      actor: { kind: "slack", id: userId },
      via: "slash_command",
      request: { service: "web", environment: "production", version, hotfix: false },
      once: `trigger.${triggers}`,
      ...options,
    };
    const first = await requestDeployment(deps, input);
    const second = await requestDeployment(deps, input);
    return [first.code, second.code];
  }

  /** The audit entries about `version`, oldest first. */
  async function audited(version: string) {
    const entries = await new AuditLog(ctx.redis, ctx.prefix).recent("web", 100);
    return entries.filter((e) => e.detail?.startsWith(version)).reverse();
  }

  it("audits a refusal once: no permission, a freeze, a lock", async () => {
    expect(await twice("v1.0.0", OUTSIDER)).toEqual(["forbidden", "repeated"]);
    expect((await audited("deploying to production")).map((e) => e.actor)).toEqual([OUTSIDER]);

    clock = FROZEN;
    expect(await twice("v1.1.0")).toEqual(["window", "repeated"]);
    expect(await audited("v1.1.0")).toMatchObject([{ outcome: "refused", action: "deploy" }]);

    // Locked, checked before the record (frozen) and by the record's script (open).
    await deps.locks.take({ service: "web", environment: "production", owner: DEPLOYER, reason: "db", at: clock });
    expect(await twice("v1.2.0")).toEqual(["locked", "repeated"]);
    clock = OPEN;
    expect(await twice("v1.3.0")).toEqual(["locked", "repeated"]);
    expect((await audited("v1.2.0")).map((e) => e.detail)).toEqual([expect.stringContaining("is locked by")]);
    expect((await audited("v1.3.0")).map((e) => e.detail)).toEqual([expect.stringContaining("is locked by")]);
    expect(await deps.store.recent(10)).toEqual([]);
  });

  it("does nothing on a retry that would now be allowed, once the first delivery was refused", async () => {
    const input: RequestInput = {
      actor: { kind: "slack", id: DEPLOYER },
      via: "slash_command",
      request: { service: "web", environment: "production", version: "v2.0.0", hotfix: false },
      once: "trigger.thawed",
    };
    clock = Date.UTC(2030, 0, 1, 13, 59);
    expect((await requestDeployment(deps, input)).code).toBe("window");
    // Retried as the freeze has just lifted.
    clock = Date.UTC(2030, 0, 1, 14, 1);
    expect((await requestDeployment(deps, input)).code).toBe("repeated");
    expect(await deps.store.recent(10)).toEqual([]);
    expect(await audited("v2.0.0")).toHaveLength(1);
  });

  it("starts, refuses busy, queues and schedules once", async () => {
    expect(await twice("v3.0.0")).toEqual(["started", "repeated"]);
    expect(await twice("v3.1.0")).toEqual(["busy", "repeated"]);
    expect(await twice("v3.2.0", DEPLOYER, { whenBusy: "queue" })).toEqual(["queued", "repeated"]);
    clock = FROZEN;
    expect(await twice("v3.3.0", DEPLOYER, { whenClosed: "next_window" })).toEqual(["scheduled", "repeated"]);

    expect((await deps.store.recent(10)).map((d) => d.version)).toEqual(["v3.0.0"]);
    expect((await deps.waitlist.line("web", "production")).map((w) => w.request.version)).toEqual(["v3.2.0", "v3.3.0"]);
    for (const [version, outcome] of [
      ["v3.0.0", "ok"],
      ["v3.1.0", "refused"],
      ["v3.2.0", "ok"],
      ["v3.3.0", "ok"],
    ] as const) {
      expect(await audited(version), version).toMatchObject([{ outcome }]);
    }
  });
});
