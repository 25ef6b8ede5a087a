/*
 * The seed's pre-production review ("test results review, performance
 * analysis, security assessment, rollback plan review, go/no-go") as the
 * material an approval card carries, so that approving is the go/no-go
 * decision. What the deployment itself knows (its checklist, its changes) is
 * read from it; what comes from elsewhere — how the same version did in the
 * environment it was proven in, and the environment's way back — is found
 * once by the engine when the approval is asked for, and kept here.
 */
import type { PerformanceImpact } from "./analysis.js";
import type { TestCounts } from "./test-counts.js";

/** How the same version did where it was proven (staging), from that deployment's record. */
export interface Proof {
  readonly deploymentId: string;
  readonly channel: string;
  readonly finishedAt: number;
  readonly durationMs: number;
  readonly tests: readonly TestCounts[];
  /** From its last analysis against a baseline; undefined when none was made. */
  readonly performance?: PerformanceImpact;
  readonly downtimeMs: number;
  readonly issues: readonly string[];
}

/** The environment's way back, as the engine would take it (see engine/rollback.ts). */
export interface RollbackPlan {
  /** The version a rollback returns to: the one live before. */
  readonly toVersion?: string;
  /** Traffic goes back to the stable version first (canary and blue-green, while split). */
  readonly trafficFirst: boolean;
  /** The target's rollback action runs. */
  readonly rollbackAction: boolean;
  /** The post-rollback validation items checked afterwards, by title. */
  readonly validation: readonly string[];
  /** The stages of this deployment that verify the rollback before it goes ahead. */
  readonly verifiedBy: readonly string[];
  /** Whether the metrics' triggers watch the rollout and roll back by themselves. */
  readonly automatic: boolean;
}

export interface PreProductionReview {
  /** The environment the version had to be proven in first (the promotion gate's, else staging); none when there is no such environment. */
  readonly provenIn?: string;
  /** Its record there, when it passed and the record is still kept. */
  readonly proof?: Proof;
  readonly rollbackPlan: RollbackPlan;
}
