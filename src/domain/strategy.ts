/** How a deployment brings the new version in. */
export const STRATEGIES = ["all-at-once", "blue-green", "canary", "rolling", "feature-flag"] as const;
export type Strategy = (typeof STRATEGIES)[number];
