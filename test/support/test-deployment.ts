import { type Deployment, type NewDeployment, newDeployment } from "../../src/domain/deployment.js";

/**
 * A deployment as the engine's tests record it: web v1.2.0, all at once,
 * asked in Slack, waiting an hour at most; `input` says the rest (its id,
 * environment and steps at least).
 */
export function testDeployment(
  input: Pick<NewDeployment, "id" | "environment" | "steps"> & Partial<NewDeployment>,
  at: number,
): Deployment {
  return newDeployment(
    {
      service: "web",
      version: "v1.2.0",
      strategy: "all-at-once",
      hotfix: false,
      waitLimitMs: 3_600_000,
      requestedBy: "U1",
      source: "slack",
      channel: "C0DEPLOYS",
      ...input,
    },
    at,
  );
}
