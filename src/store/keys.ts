/** Every Redis key Slipway writes, under one prefix so test runs and installs can share a server. */
export function keys(prefix: string) {
  return {
    deployment: (id: string) => `${prefix}:deployment:${id}`,
    deploymentIndex: `${prefix}:deployments`,
    active: (service: string, environment: string) => `${prefix}:active:${service}:${environment}`,
    lastSucceeded: (service: string, environment: string) => `${prefix}:last-succeeded:${service}:${environment}`,
    successes: (service: string, environment: string) => `${prefix}:successes:${service}:${environment}`,
    withdrawn: (service: string, environment: string) => `${prefix}:withdrawn:${service}:${environment}`,
    passed: (service: string, environment: string) => `${prefix}:passed:${service}:${environment}`,
    trouble: (service: string, environment: string) => `${prefix}:trouble:${service}:${environment}`,
    lastEnded: (service: string, environment: string) => `${prefix}:last-ended:${service}:${environment}`,
    slackRefs: (id: string) => `${prefix}:slack:${id}`,
    lock: (service: string, environment: string) => `${prefix}:lock:${service}:${environment}`,
    audit: (service: string) => `${prefix}:audit:${service}`,
    userGroups: (groupId: string) => `${prefix}:usergroup:${groupId}`,
    seen: `${prefix}:seen`,
    delivery: (id: string) => `${prefix}:delivery:${id}`,
    bullPrefix: `${prefix}:bull`,
    pace: `${prefix}:pace`,
  } as const;
}

export type Keys = ReturnType<typeof keys>;
