/*
 * Release candidate tags: deploying v1.3.0 with a `tag` stage marks the
 * commit v1.3.0-rc1, the next attempt at the same version v1.3.0-rc2, and so
 * on (the seed's `git tag -a v1.2.0-rc1`). Each tag's message names the
 * deployment that made it, so a step run again after a crash finds its own
 * tag instead of making another.
 */
import { parseVersion } from "./version.js";

export interface ExistingTag {
  readonly name: string;
  readonly message: string;
}

export type CandidateDecision =
  | { readonly kind: "create"; readonly name: string }
  | { readonly kind: "exists"; readonly name: string };

/** The tag prefix of a version's candidates: `v1.3.0` and `v1.3.0-rc2` both give `v1.3.0-rc`. */
export function candidatePrefix(version: string): string {
  const parsed = parseVersion(version);
  if (!parsed.ok) throw new RangeError(parsed.message);
  const { text, major, minor, patch } = parsed.version;
  return `${text.startsWith("v") ? "v" : ""}${major}.${minor}.${patch}-rc`;
}

/** The line of a tag message that ties it to its deployment. */
export function candidateMarker(deploymentId: string): string {
  return `Slipway deployment: ${deploymentId}`;
}

/** The tag this deployment has made already, or the next free candidate number. */
export function nextCandidate(version: string, deploymentId: string, tags: readonly ExistingTag[]): CandidateDecision {
  const prefix = candidatePrefix(version);
  const marker = candidateMarker(deploymentId);
  let highest = 0;
  for (const tag of tags) {
    if (!tag.name.startsWith(prefix)) continue;
    const rest = tag.name.slice(prefix.length);
    if (!/^[1-9][0-9]*$/.test(rest)) continue;
    if (tag.message.split("\n").some((line) => line.trim() === marker)) return { kind: "exists", name: tag.name };
    highest = Math.max(highest, Number(rest));
  }
  return { kind: "create", name: `${prefix}${highest + 1}` };
}
