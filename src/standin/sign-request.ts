import { createHmac } from "node:crypto";

/** Slack's v0 request signature: HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret. */
export function slackSignature(signingSecret: string, timestampSeconds: number, body: string): string {
  const digest = createHmac("sha256", signingSecret).update(`v0:${timestampSeconds}:${body}`).digest("hex");
  return `v0=${digest}`;
}

/** The two headers Slack adds to every request it sends an app. */
export function signedHeaders(signingSecret: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    "X-Slack-Request-Timestamp": String(timestampSeconds),
    "X-Slack-Signature": slackSignature(signingSecret, timestampSeconds, body),
  };
}

/** Flips the last hex digit, so the signature is well-formed but wrong. */
export function corruptSignature(signature: string): string {
  const last = signature.slice(-1);
  return `${signature.slice(0, -1)}${last === "0" ? "1" : "0"}`;
}
