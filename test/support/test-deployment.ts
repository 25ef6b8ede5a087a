import {
  type Deployment,
  moveTo,
  type NewDeployment,
  newDeployment,
  updateStage,
} from "../../src/domain/deployment.js";
import { DEFAULT_STRATEGY_OPTIONS, planSteps } from "../../src/domain/stage-plan.js";

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

/**
 * A feature-flag release of web v1.2.0 to production, running from `at`,
 * whose flag step turns `new-checkout` to `percent`; none of its steps run yet.
 */
export function flagRelease(at: number, percent = 10): Deployment {
  const steps = planSteps([{ name: "deploy", action: "deploy" }], "feature-flag", {
    ...DEFAULT_STRATEGY_OPTIONS,
    flag: { name: "new-checkout", percent },
  });
  const d = testDeployment(
    { id: "d-flag0001", environment: "production", strategy: "feature-flag", requestedBy: "U0DEPLOYER", steps },
    at,
  );
  return moveTo(d, "running", at);
}

/** `d` with every step succeeded a second after `at`: a flag release whose flag is flipped. */
export function allStepsSucceeded(d: Deployment, at: number): Deployment {
  return d.stages.reduce((acc, _, i) => updateStage(acc, i, { status: "succeeded", attempts: 1 }, at + 1_000), d);
}
