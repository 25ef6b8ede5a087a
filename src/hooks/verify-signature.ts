import { verify } from "@octokit/webhooks-methods";

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const SIGNATURE_SHAPE = /^sha256=[0-9a-f]{64}$/;

/**
 * Checks GitHub's `X-Hub-Signature-256` header: `sha256=` and the hex
 * HMAC-SHA256 of the raw request body under the webhook's secret, compared
 * in constant time by `@octokit/webhooks-methods`. The body must be the bytes
 * GitHub sent, before any JSON parsing.
 */
export async function checkSignature(
  secret: string,
  rawBody: string,
  header: string | readonly string[] | undefined,
): Promise<SignatureCheck> {
  if (header === undefined || header === "") {
    return { ok: false, reason: "missing X-Hub-Signature-256: set a secret on the GitHub webhook" };
  }
  if (typeof header !== "string" || !SIGNATURE_SHAPE.test(header)) {
    return { ok: false, reason: "X-Hub-Signature-256 is not one sha256=<64 hex digits> value" };
  }
  if (secret === "" || rawBody === "") return { ok: false, reason: "an empty body or secret cannot be verified" };
  return (await verify(secret, rawBody, header))
    ? { ok: true }
    : { ok: false, reason: "X-Hub-Signature-256 does not match the body under any secret Slipway knows" };
}
