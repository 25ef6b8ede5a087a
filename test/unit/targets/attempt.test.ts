import { describe, expect, it } from "vitest";
import { newDeployment } from "../../../src/domain/deployment.js";
import { runStep } from "../../../src/engine/stage-runner.js";
import { createLogger } from "../../../src/logger.js";
import type { LoadedService } from "../../../src/manifests/catalog.js";
import { CommandTarget } from "../../../src/targets/command-target.js";
import { HttpTarget, SIGNATURE_HEADER, sign } from "../../../src/targets/http-target.js";
import type { ActionResult, InvocationContext, Target } from "../../../src/targets/target.js";

/*
 * The step's attempt number reaches the target as a fencing token next to
 * the idempotency key: SLIPWAY_ATTEMPT for a command, the signed JSON body
 * for a webhook.
 */

const log = createLogger("silent");
const PRINT = [process.execPath, "-e", "console.log(process.env.SLIPWAY_IDEMPOTENCY_KEY, process.env.SLIPWAY_ATTEMPT)"];

function context(attempt: number): InvocationContext {
  return {
    service: "web",
    environment: "staging",
    version: "v1.2.0",
    deploymentId: "d-1",
    stage: "deploy",
    idempotencyKey: "d-1:deploy",
    attempt,
    params: {},
    signal: new AbortController().signal,
    log,
  };
}

const DONE: ActionResult = { ok: true, exitCode: 0, outputTail: "", durationMs: 0, timedOut: false, aborted: false };

/** A service whose target records what it was asked. */
function service(seen: InvocationContext[]): LoadedService {
  const target: Target = {
    supports: () => true,
    invoke: (_action, ctx) => {
      seen.push(ctx);
      return Promise.resolve(DONE);
    },
  };
  const manifest = { target: { type: "command", timeoutSeconds: 5 } } as unknown as LoadedService["manifest"];
  return { file: "web.yaml", workdir: process.cwd(), manifest, target };
}

const deployment = newDeployment(
  {
    id: "d-1",
    service: "web",
    environment: "staging",
    version: "v1.2.0",
    strategy: "all-at-once",
    hotfix: false,
    requestedBy: "U1",
    source: "slack",
    steps: [{ name: "deploy", action: "deploy" }],
    channel: "C1",
    waitLimitMs: 60_000,
  },
  0,
);

describe("the attempt number", () => {
  it("is handed by runStep to the target with the step's key; 1 when the caller keeps no count", async () => {
    const seen: InvocationContext[] = [];
    const step = { name: "deploy", action: "deploy" } as const;
    const signal = new AbortController().signal;
    await runStep(service(seen), step, deployment, signal, log, "d-1:deploy", 3);
    await runStep(service(seen), step, deployment, signal, log, "d-1:rollback:rollback");
    expect(seen.map((c) => `${c.idempotencyKey} ${c.attempt}`)).toEqual(["d-1:deploy 3", "d-1:rollback:rollback 1"]);
  });

  it("reaches a `run` stage and a command action as SLIPWAY_ATTEMPT", async () => {
    const signal = new AbortController().signal;
    const run = await runStep(service([]), { name: "smoke", run: PRINT }, deployment, signal, log, "d-1:smoke", 2);
    expect(run.outputTail).toBe("d-1:smoke 2");
    const target = new CommandTarget({ actions: { deploy: PRINT }, workdir: process.cwd(), env: {} });
    const action = await target.invoke("deploy", context(4), 5_000);
    expect(action.outputTail).toBe("d-1:deploy 4");
  });

  it("travels in the webhook's signed body", async () => {
    const posts: { body: string; signature: string | null }[] = [];
    const fakeFetch: typeof fetch = (_url, init) => {
      posts.push({ body: String(init?.body), signature: new Headers(init?.headers).get(SIGNATURE_HEADER) });
      return Promise.resolve(new Response(JSON.stringify({ status: "done" })));
    };
    const target = new HttpTarget({
      url: "http://deployer.invalid/slipway",
      secret: "s3cret",
      actions: ["deploy"],
      pollIntervalMs: 10,
      fetch: fakeFetch,
    });
    expect((await target.invoke("deploy", context(2), 5_000)).ok).toBe(true);
    const [post] = posts;
    expect(JSON.parse(post?.body ?? "{}")).toMatchObject({
      action: "deploy",
      SLIPWAY_IDEMPOTENCY_KEY: "d-1:deploy",
      SLIPWAY_ATTEMPT: "2",
    });
    expect(post?.signature).toBe(sign("s3cret", post?.body ?? ""));
  });
});
