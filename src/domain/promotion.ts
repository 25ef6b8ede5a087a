/*
 * The promotion gate: an environment may take only versions that first
 * succeeded in another one and stayed there for a while (production requires
 * staging, soak 24 h). What a version did in the required environment is two
 * facts per version: when it last passed there, and when it last went wrong
 * there (failed, or was rolled back from). Trouble after the last pass
 * refuses it until it passes again. A hotfix needs the pass but not the soak;
 * a hotfix for a version that never passed takes the hotfix path: the
 * required environment first, with its own short soak, then this one.
 */
export interface PromotionRule {
  /** The environment the version must have succeeded in first. */
  readonly environment: string;
  /** How long it must have been there since it succeeded. */
  readonly soakMs: number;
}

/** What a version did in one environment. */
export interface VersionHistory {
  /** When it last succeeded there. */
  readonly passedAt?: number;
  /** When it last failed there or was rolled back from there, and how. */
  readonly trouble?: { readonly at: number; readonly how: "failed" | "rolled_back" };
}

export type PromotionDecision =
  | { readonly ok: true; readonly why: "no-rule" | "soaked" | "hotfix" }
  /** A hotfix for a version that never passed the required environment: it goes there first (hotfix-path.ts). */
  | { readonly ok: true; readonly why: "hotfix-path"; readonly rule: PromotionRule }
  | { readonly ok: false; readonly code: "never-passed"; readonly rule: PromotionRule }
  | {
      readonly ok: false;
      readonly code: "too-early";
      readonly rule: PromotionRule;
      readonly passedAt: number;
      readonly readyAt: number;
    }
  | {
      readonly ok: false;
      readonly code: "troubled";
      readonly rule: PromotionRule;
      readonly at: number;
      readonly how: "failed" | "rolled_back";
    };

export type PromotionRefusal = Extract<PromotionDecision, { ok: false }>;

/**
 * Whether `history` (the version's in the required environment) lets it go on
 * at `now`; a hotfix skips the soak, or takes the hotfix path when the version
 * never passed there.
 */
export function promotionDecision(
  rule: PromotionRule | undefined,
  history: VersionHistory,
  now: number,
  hotfix: boolean,
): PromotionDecision {
  if (rule === undefined) return { ok: true, why: "no-rule" };
  const { passedAt, trouble } = history;
  if (trouble !== undefined && (passedAt === undefined || trouble.at >= passedAt)) {
    return { ok: false, code: "troubled", rule, at: trouble.at, how: trouble.how };
  }
  if (passedAt === undefined) {
    return hotfix ? { ok: true, why: "hotfix-path", rule } : { ok: false, code: "never-passed", rule };
  }
  if (hotfix) return { ok: true, why: "hotfix" };
  const readyAt = passedAt + rule.soakMs;
  if (now < readyAt) return { ok: false, code: "too-early", rule, passedAt, readyAt };
  return { ok: true, why: "soaked" };
}
