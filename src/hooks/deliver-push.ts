import { randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";

/*
 * GitHub's side of the push webhook: a delivery POSTed to Slipway's
 * `/hooks/git` with GitHub's headers, signed as GitHub signs it (or not, or
 * badly, as a test asks). The demo's story pushes with it, and the tests.
 */

export interface DeliveryAnswer {
  readonly status: number;
  readonly message: string;
  readonly deployments: readonly { environment: string; outcome: string; deploymentId?: string; version: string }[];
}

export interface DeliveryOptions {
  readonly event: "push" | "ping" | string;
  readonly payload: unknown;
  /** Signs the body with this secret; left out, the delivery carries no signature. */
  readonly secret?: string;
  /** Sent in place of the real signature. */
  readonly signature?: string;
  /** Default: a fresh id, as GitHub gives each delivery. */
  readonly delivery?: string;
  /** Changes the body after it was signed. */
  readonly tamper?: (body: string) => string;
}

export async function deliver(
  baseUrl: string,
  options: DeliveryOptions,
): Promise<DeliveryAnswer & { delivery: string }> {
  const delivery = options.delivery ?? randomUUID();
  const body = JSON.stringify(options.payload);
  const signature = options.signature ?? (options.secret ? await sign(options.secret, body) : undefined);
  const response = await fetch(`${baseUrl}/hooks/git`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/slipway",
      "x-github-event": options.event,
      "x-github-delivery": delivery,
      "x-github-hook-id": "1",
      ...(signature ? { "x-hub-signature-256": signature } : {}),
    },
    body: options.tamper ? options.tamper(body) : body,
  });
  const answer = (await response.json()) as { message: string; deployments?: DeliveryAnswer["deployments"] };
  return { status: response.status, message: answer.message, deployments: answer.deployments ?? [], delivery };
}
