import { exampleTargetYaml } from "../../src/demo/example-target.js";
import type { Deployment } from "../../src/domain/deployment.js";
import { ROOT } from "./slipway-process.js";

/*
 * Services for resilience tests: the example target's scripts (which keep a
 * ledger of completed actions by idempotency key) in three shapes of
 * pipeline — a plain all-at-once one, a canary with short holds and a no-op
 * setTraffic (no router: the script only waits and logs), and the plain one
 * behind one approval. Each service posts to its own channel, so Slack's
 * per-channel pace never links one deployment's thread to another's.
 */

export const DEPLOYER = "U0DEPLOY01";
export const APPROVER = "U0APPROVE1";

/** The ledger actions of the example target (healthCheck and `run` stages keep no ledger). */
export const LEDGER_ACTIONS = new Set(["deploy", "backup", "setTraffic", "rollback", "setFlag"]);

export type PipelineKind = "development" | "staging" | "production";

export interface MixedServiceOptions {
  /** Whether the service has a production environment (one approval by `approvers`). @default false */
  readonly production?: boolean;
  /** Canary holds in the staging environment. @default ["1s", "2s"] */
  readonly holds?: readonly [string, string];
  /** Per-action timeout. @default 60 */
  readonly timeoutSeconds?: number;
}

/** `svc-07` → `C0SVC07`. */
export function channelOf(service: string): string {
  return `C0${service.replace(/[^a-z0-9]/g, "").toUpperCase()}`;
}

const PLAIN_STAGES = `    stages:
      - name: build
        run: [node, examples/stages/build.mjs]
      - name: backup
        action: backup
      - name: deploy
        action: deploy
      - name: health-check
        action: healthCheck
`;

export function mixedService(service: string, options: MixedServiceOptions = {}): string {
  const [first, second] = options.holds ?? ["1s", "2s"];
  const production = options.production
    ? `  production:
    strategy: all-at-once
    approval: { count: 1, approvers: [approvers], expiresAfter: 1h }
    permissions:
      deploy: [deployers]
${PLAIN_STAGES}`
    : "";
  return `service: ${service}
channels:
  deploy: ${channelOf(service)}
roles:
  deployers:
    users: [${DEPLOYER}]
  approvers:
    users: [${APPROVER}]
${exampleTargetYaml(ROOT, ["deploy", "backup", "healthCheck", "setTraffic", "rollback"], options)}environments:
  development:
    strategy: all-at-once
${PLAIN_STAGES}  staging:
    strategy: canary
    canary:
      steps:
        - { weight: 25, hold: ${first} }
        - { weight: 50, hold: ${second} }
    stages:
      - name: backup
        action: backup
      - name: deploy
        action: deploy
      - name: health-check
        action: healthCheck
${production}`;
}

/** `count` services named `svc-01`…, the first `withProduction` of them with a production environment. */
export function mixedManifests(
  count: number,
  withProduction: number,
  options: Omit<MixedServiceOptions, "production"> = {},
): { services: string[]; manifests: Record<string, string> } {
  const services = Array.from({ length: count }, (_, i) => `svc-${String(i + 1).padStart(2, "0")}`);
  const manifests = Object.fromEntries(
    services.map((s, i) => [`${s}.yaml`, mixedService(s, { ...options, production: i < withProduction })]),
  );
  return { services, manifests };
}

/** The (service, environment) pairs to deploy: every development and staging, then the productions. */
export function deploymentPlan(
  services: readonly string[],
  withProduction: number,
): { service: string; environment: PipelineKind }[] {
  return [
    ...services.flatMap((service) => [
      { service, environment: "development" as const },
      { service, environment: "staging" as const },
    ]),
    ...services.slice(0, withProduction).map((service) => ({ service, environment: "production" as const })),
  ];
}

/**
 * Side effects a succeeded deployment must have left in the ledger: one
 * entry per stage whose action keeps a ledger, keyed `<id>:<stage>`.
 */
export function expectedLedgerKeys(d: Deployment): { key: string; action: string }[] {
  return d.stages
    .filter((s) => s.step.action !== undefined && LEDGER_ACTIONS.has(s.step.action))
    .map((s) => ({ key: `${d.id}:${s.name}`, action: s.step.action ?? "" }));
}
