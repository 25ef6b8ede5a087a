/*
 * Sensitive deployments (the seed's "for security-critical updates"): asked
 * for with `--sensitive`, or always for a service or environment marked
 * `sensitive: true`. One deploys only in the environment's low-traffic
 * window, needs an approver from the security role on top of the usual
 * quorum, is watched twice as long after it is live, and tells the incident
 * channel when it starts and when it ends, so the security team stands by.
 */

/** The role whose members approve sensitive deployments and stand by while they run. */
export const SECURITY_ROLE = "security";

/** How many times longer a sensitive deployment's monitoring window lasts. */
export const SENSITIVE_MONITORING_FACTOR = 2;

/** What a manifest must have before a sensitive deployment can run there. */
export type SensitiveNeed = "security-role" | "incident-channel" | "low-traffic-window";

/** Whether a deployment is sensitive: asked so, or its service or environment is marked so. */
export function isSensitive(
  service: { readonly sensitive?: boolean },
  environment: { readonly sensitive?: boolean } | undefined,
  asked: boolean,
): boolean {
  return asked || service.sensitive === true || environment?.sensitive === true;
}

/** What is missing for a sensitive deployment: the security role, the incident channel, a low-traffic window. */
export function sensitiveNeeds(input: {
  readonly roles: Readonly<Record<string, unknown>>;
  readonly incidentChannel?: string;
  readonly lowTraffic?: readonly unknown[];
}): SensitiveNeed[] {
  return [
    ...(Object.hasOwn(input.roles, SECURITY_ROLE) ? [] : ["security-role" as const]),
    ...(input.incidentChannel ? [] : ["incident-channel" as const]),
    ...((input.lowTraffic?.length ?? 0) > 0 ? [] : ["low-traffic-window" as const]),
  ];
}
