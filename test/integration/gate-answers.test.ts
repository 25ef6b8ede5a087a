import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ItemResult } from "../../src/domain/checklist.js";
import { type Deployment, moveTo, newDeployment } from "../../src/domain/deployment.js";
import { applyControl } from "../../src/engine/controls.js";
import { tickItem } from "../../src/engine/gates.js";
import { acknowledgeIncident } from "../../src/engine/incidents.js";
import { createQueues, type Queues } from "../../src/engine/queues.js";
import type { RequestDeps } from "../../src/engine/request-deployment.js";
import { requestRollback } from "../../src/engine/rollback-request.js";
import { vote } from "../../src/engine/votes.js";
import { Catalog } from "../../src/manifests/catalog.js";
import { loadManifests } from "../../src/manifests/load.js";
import { renderAuditLog } from "../../src/slack/renderers/audit.js";
import { keys } from "../../src/store/keys.js";
import { manifestDir } from "../support/manifest-fixture.js";
import { testRedis } from "../support/redis.js";
import { requestDeps } from "../support/request-deps.js";

/*
 * The engine's answers to votes, ticks, controls, acknowledgements and
 * rollbacks against real Redis and BullMQ (no worker runs): codes and data,
 * never words; and the audit log keeping a refusal as that answer, while
 * reading back entries written as sentences before.
 */

const MANIFEST = `service: web
channels: { deploy: C0WEB00001 }
checklist:
  - id: comms-plan
    title: Communication plan ready
    section: environment
    check: { kind: manual }
  - id: runbook
    title: Runbook updated
    section: environment
    check: { kind: manual }
target:
  type: command
  actions: { deploy: [node, -e, "0"] }
environments:
  production:
    approval: { count: 2, expiresAfter: 1h }
    stages: [{ name: deploy, action: deploy }]
`;

const T0 = Date.UTC(2026, 11, 7, 14, 2);
const REQUESTER = "U0ASKER001";
const waitingItem = (id: string, title: string): ItemResult => ({
  id,
  title,
  section: "environment",
  required: true,
  status: "waiting",
  evidence: "",
});

describe("the engine's answers at the gates", () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let queues: Queues;
  let deps: RequestDeps;
  let now = T0;

  beforeEach(async () => {
    ctx = await testRedis("gate-answers");
    const loaded = await loadManifests(await manifestDir({ "web.yaml": MANIFEST }));
    expect(loaded.errors).toEqual([]);
    queues = createQueues(ctx.redis, ctx.prefix);
    now = T0;
    deps = requestDeps(ctx.redis, ctx.prefix, new Catalog(loaded.services), queues, { now: () => now });
  });

  afterEach(async () => {
    await queues.close();
    await ctx.close();
  });

  /** A deployment of web to production, stored, then saved as `to` shapes it. */
  async function saved(id: string, to: (d: Deployment) => Deployment): Promise<Deployment> {
    const d = newDeployment(
      {
        id,
        service: "web",
        environment: "production",
        version: "v1.2.0",
        strategy: "rolling",
        hotfix: false,
        requestedBy: REQUESTER,
        source: "slack",
        steps: [{ name: "deploy", action: "deploy" }],
        channel: "C0WEB00001",
        waitLimitMs: 3_600_000,
      },
      T0,
    );
    const created = await deps.store.create(d);
    if (!created.ok) throw new Error(`web production is held by ${created.heldBy}`);
    return deps.store.save(to(await deps.store.require(id)));
  }

  function awaitingApproval(d: Deployment): Deployment {
    return {
      ...moveTo(moveTo(d, "checking", T0), "awaiting_approval", T0),
      approval: { needed: 2, allowSelfApproval: false, approvers: "anyone", requestedAt: T0, votes: [] },
    };
  }

  function checking(d: Deployment): Deployment {
    return {
      ...moveTo(d, "checking", T0),
      checklist: [waitingItem("comms-plan", "Communication plan ready"), waitingItem("runbook", "Runbook updated")],
    };
  }

  const approve = (deploymentId: string, userId: string) =>
    vote(deps, { deploymentId, userId, decision: "approve", via: "button" });

  it("counts approvals once each, refuses with codes, and starts at the quorum", async () => {
    const d = await saved("d-gatesaa8", awaitingApproval);
    expect(await approve("nonsense", "U0APPROVE1")).toEqual({ ok: false, code: "not_a_deployment_id" });
    expect(await approve("d-zzzzzzzz", "U0APPROVE1")).toEqual({
      ok: false,
      code: "no_such_deployment",
      deploymentId: "d-zzzzzzzz",
    });
    expect(await approve(d.id, "U0APPROVE1")).toEqual({
      ok: true,
      code: "approval_counted",
      deploymentId: d.id,
      approvals: 1,
      needed: 2,
    });
    now = T0 + 60_000;
    expect(await approve(d.id, "U0APPROVE1")).toEqual({
      ok: false,
      code: "vote_refused",
      refusal: { code: "already_voted", decision: "approve", at: T0, changed: false },
    });
    expect(await approve(d.id, REQUESTER)).toEqual({
      ok: false,
      code: "vote_refused",
      refusal: { code: "self_approval" },
    });
    expect(await approve(d.id, "U0APPROVE2")).toEqual({ ok: true, code: "approved", deploymentId: d.id });
    expect(await approve(d.id, "U0APPROVE3")).toEqual({
      ok: false,
      code: "not_waiting",
      deploymentId: d.id,
      state: "running",
      what: "approve",
    });
  });

  it("refuses an approval that would start a deployment while the environment is locked", async () => {
    const locked = await saved("d-gatesaa2", (d) => ({
      ...awaitingApproval(d),
      approval: { needed: 1, allowSelfApproval: false, approvers: "anyone", requestedAt: T0, votes: [] },
    }));
    await deps.locks.take({ service: "web", environment: "production", owner: "U0OWNER01", reason: "db work", at: T0 });
    expect(await approve(locked.id, "U0APPROVE1")).toEqual({
      ok: false,
      code: "locked",
      lock: { service: "web", environment: "production", owner: "U0OWNER01", reason: "db work" },
    });
  });

  it("refuses an approval after the approval expired, and the deployment expires", async () => {
    const late = await saved("d-gatesaa3", awaitingApproval);
    now = late.expiresAt + 1;
    expect(await approve(late.id, "U0APPROVE1")).toEqual({
      ok: false,
      code: "expired",
      deploymentId: late.id,
      what: "approval",
      expiredAt: late.expiresAt,
    });
    expect((await deps.store.require(late.id)).state).toBe("expired");
  });

  it("ticks a manual item once, and refuses an unknown item, a second tick and a tick after the checklist expired", async () => {
    const d = await saved("d-gatesaa4", checking);
    const tick = (itemId: string, userId = "U0LEAD0001") => tickItem(deps, { deploymentId: d.id, itemId, userId });
    expect(await tick("comms-plan")).toEqual({
      ok: true,
      code: "ticked",
      deploymentId: d.id,
      title: "Communication plan ready",
    });
    expect(await tick("comms-plan", "U0LEAD0002")).toEqual({
      ok: false,
      code: "already_ticked",
      title: "Communication plan ready",
      status: "passed",
      by: "U0LEAD0001",
    });
    expect(await tick("nope")).toEqual({ ok: false, code: "no_item", deploymentId: d.id, itemId: "nope" });
    now = d.expiresAt;
    expect(await tick("runbook")).toEqual({
      ok: false,
      code: "expired",
      deploymentId: d.id,
      what: "checklist",
      expiredAt: d.expiresAt,
    });
  });

  it("answers a control, an acknowledgement and a rollback with nowhere to go with codes", async () => {
    const d = await saved("d-gatesaa5", checking);
    expect(
      await applyControl(deps, { deploymentId: d.id, userId: "U0LEAD0001", control: "resume", via: "button" }),
    ).toEqual({ ok: false, code: "not_paused", deploymentId: d.id });
    expect(await acknowledgeIncident(deps, { deploymentId: d.id, userId: "U0ONCALL01", via: "button" })).toEqual({
      ok: false,
      code: "no_incident",
      deploymentId: d.id,
    });
    await deps.store.save(moveTo(await deps.store.require(d.id), "cancelled", T0));
    expect(
      await requestRollback(deps, {
        service: "web",
        environment: "production",
        actor: { kind: "slack", id: "U0LEAD0001" },
        via: "slash_command",
      }),
    ).toEqual({ ok: false, code: "no_good_version", service: "web", environment: "production" });
  });

  it("keeps refusals in the audit log as answers and still reads entries written in words", async () => {
    const d = await saved("d-gatesaa6", checking);
    await tickItem(deps, { deploymentId: d.id, itemId: "nope", userId: "U0LEAD0001" });
    // Written before refusals were kept as answers, and by a Slipway whose answers this one does not know.
    const stream = keys(ctx.prefix).audit("web");
    const fields = ["at", String(T0), "actor", "U0LEAD0001", "action", "tick", "outcome", "refused", "service", "web"];
    await ctx.redis.xadd(
      stream,
      "*",
      ...fields,
      "via",
      "checkbox",
      "detail",
      "runbook: Not ticked: expired at 14:02 UTC.",
    );
    await ctx.redis.xadd(stream, "*", ...fields, "via", "checkbox", "detail", "runbook", "answer", '{"code":"new"}');

    const [unknown, older, kept] = await deps.audit.recent("web", 3);
    expect(kept).toMatchObject({
      action: "tick",
      outcome: "refused",
      detail: "nope",
      answer: { ok: false, code: "no_item", deploymentId: d.id, itemId: "nope" },
    });
    expect(older).toMatchObject({ detail: "runbook: Not ticked: expired at 14:02 UTC." });
    expect(older?.answer).toBeUndefined();
    expect(unknown).toMatchObject({ detail: "runbook" });
    expect(unknown?.answer).toBeUndefined();

    const shown = JSON.stringify(
      renderAuditLog(
        "web",
        undefined,
        [kept, older].flatMap((e) => (e ? [e] : [])),
      ),
    );
    expect(shown).toContain(`— nope: \`${d.id}\` has no checklist item 'nope'.`);
    expect(shown).toContain("— runbook: Not ticked: expired at 14:02 UTC.");
  });
});
