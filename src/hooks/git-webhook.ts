import { z } from "zod";
import { systemActor } from "../domain/actor.js";
import { type PushFields, readPush } from "../domain/git-push.js";
import type { RequestDeps } from "../engine/request-deployment.js";
import { requestDeployment } from "../engine/request-deployment.js";
import type { Logger } from "../logger.js";
import type { PushRoute } from "../manifests/catalog.js";
import { keys } from "../store/keys.js";
import type { RedisClient } from "../store/redis.js";
import { checkSignature } from "./verify-signature.js";

/*
 * `POST /hooks/git`: GitHub's webhook. A delivery is acted on only when its
 * `X-Hub-Signature-256` matches the raw body under the secret of an
 * environment that pushes deploy, and only once per `X-GitHub-Delivery`
 * (GitHub redelivers on timeouts, and people press Redeliver). A push of a
 * branch that deploys an environment asks the engine for that deployment,
 * as the `push` actor (queued behind a deployment under way there, in place
 * of any push still waiting: a burst deploys only its newest); everything else is answered with what was ignored and
 * why, which GitHub shows in the webhook's Recent Deliveries.
 */

/** How long a delivery id is remembered: longer than GitHub keeps a delivery for redelivery (3 days). */
const DELIVERY_TTL_SECONDS = 4 * 24 * 3600;

export interface WebhookAnswer {
  readonly status: number;
  readonly body: { readonly message: string; readonly deployments?: readonly WebhookDeployment[] };
}

/** One environment a push asked to deploy, and what the engine answered. */
export interface WebhookDeployment {
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly outcome: string;
  readonly deploymentId?: string;
}

export interface GitWebhookDeps extends RequestDeps {
  readonly redis: RedisClient;
  readonly keyPrefix: string;
  readonly log: Logger;
}

export interface WebhookRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body as sent, before any parsing. */
  readonly raw: Buffer;
}

const pushFields = z.object({
  ref: z.string(),
  after: z.string(),
  deleted: z.boolean(),
  compare: z.string(),
  head_commit: z
    .object({
      id: z.string().regex(/^[0-9a-f]{7,64}$/),
      message: z.string(),
      author: z.object({ name: z.string(), username: z.string().optional() }),
    })
    .nullable(),
  repository: z.object({ full_name: z.string() }),
  pusher: z.object({ name: z.string() }),
}) satisfies z.ZodType<PushFields>;

const pingFields = z.object({
  zen: z.string().optional(),
  repository: z.object({ full_name: z.string() }).optional(),
});

function header(req: WebhookRequest, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === "string" ? value : undefined;
}

function answer(status: number, message: string, deployments?: readonly WebhookDeployment[]): WebhookAnswer {
  return { status, body: { message, ...(deployments ? { deployments } : {}) } };
}

function sameRepository(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The routes whose secret signed this body; none when the signature is missing, wrong or from elsewhere. */
async function signedRoutes(routes: readonly PushRoute[], body: string, signature: string | string[] | undefined) {
  const secrets = [...new Set(routes.flatMap((r) => (r.secret ? [r.secret] : [])))];
  const verified = new Set<string>();
  let reason =
    "no environment's webhook secret is set on Slipway; set the variable its manifest names (push.secretEnv)";
  for (const secret of secrets) {
    const check = await checkSignature(secret, body, signature);
    if (check.ok) verified.add(secret);
    else reason = check.reason;
  }
  return { routes: routes.filter((r) => r.secret !== undefined && verified.has(r.secret)), reason };
}

/** Handles one delivery to `POST /hooks/git`; see the comment at the top of this file. */
export async function handleGitWebhook(deps: GitWebhookDeps, req: WebhookRequest): Promise<WebhookAnswer> {
  const body = req.raw.toString("utf8");
  const signed = await signedRoutes(deps.catalog.pushRoutes(), body, req.headers["x-hub-signature-256"]);
  if (signed.routes.length === 0) {
    deps.log.warn({ reason: signed.reason }, "git webhook refused: bad signature");
    return answer(401, `Refused: ${signed.reason}.`);
  }
  const delivery = header(req, "x-github-delivery");
  if (delivery === undefined || !/^[A-Za-z0-9-]{1,100}$/.test(delivery)) {
    return answer(400, "Refused: X-GitHub-Delivery is missing or malformed; GitHub sends one with every delivery.");
  }
  const event = header(req, "x-github-event") ?? "";
  const first = await deps.redis.set(keys(deps.keyPrefix).delivery(delivery), event, "EX", DELIVERY_TTL_SECONDS, "NX");
  if (first === null) {
    deps.log.info({ delivery, event }, "git webhook delivery already received");
    return answer(200, `Delivery ${delivery} was already received; nothing more was done.`);
  }
  try {
    return await act(deps, event, body, signed.routes, delivery);
  } catch (error) {
    // Not acted on: let GitHub's redelivery try again.
    await deps.redis.del(keys(deps.keyPrefix).delivery(delivery)).catch(() => undefined);
    throw error;
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

async function act(
  deps: GitWebhookDeps,
  event: string,
  body: string,
  routes: readonly PushRoute[],
  delivery: string,
): Promise<WebhookAnswer> {
  const json = parseJson(body);
  if (event === "ping") {
    const ping = pingFields.safeParse(json);
    const repository = ping.success ? ping.data.repository?.full_name : undefined;
    const deploys = routes
      .filter((r) => repository === undefined || sameRepository(r.trigger.repository, repository))
      .map((r) => `${r.trigger.branch} → ${r.service} ${r.environment}`);
    return answer(
      200,
      `Pong${ping.success && ping.data.zen ? ` (${ping.data.zen})` : ""}. ${
        deploys.length > 0
          ? `Pushes deploy: ${deploys.join(", ")}.`
          : `No environment deploys pushes of ${repository ?? "this repository"}.`
      }`,
    );
  }
  if (event !== "push") {
    return answer(202, `Ignored: Slipway acts on push events, not '${event}'; the webhook can send pushes only.`);
  }
  const parsed = pushFields.safeParse(json);
  if (!parsed.success) {
    return answer(400, `Refused: the body is not a GitHub push event (${z.prettifyError(parsed.error)}).`);
  }
  const push = parsed.data;
  const ofRepository = routes.filter((r) => sameRepository(r.trigger.repository, push.repository.full_name));
  if (ofRepository.length === 0) {
    return answer(202, `Ignored: no environment deploys pushes of ${push.repository.full_name}.`);
  }
  const reading = readPush(push);
  if (reading.kind === "ignored") return answer(202, `Ignored: ${reading.reason}.`);
  const matching = ofRepository.filter((r) => r.trigger.branch === reading.push.branch);
  if (matching.length === 0) {
    const branches = ofRepository.map((r) => `${r.trigger.branch} → ${r.environment}`).join(", ");
    return answer(202, `Ignored: pushes of ${reading.push.branch} deploy nothing (${branches}).`);
  }
  const deployments: WebhookDeployment[] = [];
  for (const route of matching) {
    const outcome = await requestDeployment(deps, {
      actor: systemActor("push", reading.push.author),
      via: "webhook",
      request: {
        service: route.service,
        environment: route.environment,
        version: reading.version,
        hotfix: false,
        push: reading.push,
      },
      // A burst of pushes while the environment is busy deploys only the newest once it is free.
      whenBusy: "queue_newest",
    });
    deployments.push({
      service: route.service,
      environment: route.environment,
      version: reading.version,
      outcome: outcome.code,
      ...(outcome.code === "started"
        ? { deploymentId: outcome.deployment.id }
        : outcome.code === "queued"
          ? { deploymentId: outcome.waiting.id }
          : {}),
    });
    deps.log.info(
      {
        delivery,
        service: route.service,
        environment: route.environment,
        version: reading.version,
        outcome: outcome.code,
      },
      "push deployment requested",
    );
  }
  const summary = deployments.map((d) => `${d.service} ${d.environment}: ${d.outcome}`).join("; ");
  return answer(202, `${reading.version} pushed by ${reading.push.author}: ${summary}.`, deployments);
}
