/*
 * The deployment state machine.
 *
 * A deployment moves forward only: requested → checking → awaiting_approval →
 * running → monitoring → succeeded, with failure and rollback exits. Every
 * move goes through `transition`, which refuses any edge not listed in
 * `TRANSITIONS`; the store applies the result with a compare-and-set on the
 * deployment's revision, so two writers can never both move the same
 * deployment. Final states have no outgoing edges: once a deployment has
 * ended, nothing can restart it.
 */

export const DEPLOYMENT_STATES = [
  "requested",
  "checking",
  "awaiting_approval",
  "running",
  "monitoring",
  "succeeded",
  "failed",
  "rolling_back",
  "rolled_back",
  "rejected",
  "cancelled",
  "expired",
] as const;

export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

export const FINAL_STATES: ReadonlySet<DeploymentState> = new Set([
  "succeeded",
  "failed",
  "rolled_back",
  "rejected",
  "cancelled",
  "expired",
]);

const TRANSITIONS: Readonly<Record<DeploymentState, readonly DeploymentState[]>> = {
  requested: ["checking", "running", "cancelled", "failed"],
  checking: ["awaiting_approval", "running", "failed", "cancelled", "expired"],
  awaiting_approval: ["running", "rejected", "expired", "cancelled"],
  running: ["monitoring", "succeeded", "failed", "rolling_back", "cancelled"],
  monitoring: ["succeeded", "rolling_back", "failed"],
  rolling_back: ["rolled_back", "failed"],
  succeeded: [],
  failed: [],
  rolled_back: [],
  rejected: [],
  cancelled: [],
  expired: [],
};

export class IllegalTransitionError extends Error {
  readonly code = "illegal_transition";
  constructor(
    readonly from: DeploymentState,
    readonly to: DeploymentState,
  ) {
    super(`a deployment cannot move from ${from} to ${to}`);
    this.name = "IllegalTransitionError";
  }
}

export function isFinal(state: DeploymentState): boolean {
  return FINAL_STATES.has(state);
}

export function canTransition(from: DeploymentState, to: DeploymentState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: DeploymentState, to: DeploymentState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

/** Human wording of a state for Slack and logs. */
export function describeState(state: DeploymentState): string {
  switch (state) {
    case "requested":
      return "Requested";
    case "checking":
      return "Running checklist";
    case "awaiting_approval":
      return "Awaiting approval";
    case "running":
      return "In progress";
    case "monitoring":
      return "Monitoring";
    case "succeeded":
      return "Succeeded";
    case "failed":
      return "Failed";
    case "rolling_back":
      return "Rolling back";
    case "rolled_back":
      return "Rolled back";
    case "rejected":
      return "Rejected";
    case "cancelled":
      return "Cancelled";
    case "expired":
      return "Expired";
    default: {
      const unreachable: never = state;
      return unreachable;
    }
  }
}
