import type { Deployment } from "../../domain/deployment.js";
import { isFinal } from "../../domain/deployment-state.js";
import { isFirstLeg } from "../../domain/hotfix-path.js";

/**
 * The root message's line on a hotfix path: each of its two deployments
 * names the other, and says where the path stands from its side.
 */
export function hotfixPathLine(d: Deployment): string | undefined {
  const path = d.hotfixPath;
  if (!path) return undefined;
  const { first, last } = path;
  if (isFirstLeg(d)) {
    const next = `${last.environment} \`${last.id}\``;
    if (!isFinal(d.state))
      return `*Hotfix path:* ${first.environment} first; ${next} starts by itself once this passes`;
    return d.state === "succeeded"
      ? `*Hotfix path:* passed; ${next} has been handed over`
      : `*Hotfix path:* stopped here — ${next} will not run, as this deployment did not pass`;
  }
  const before = `${first.environment} \`${first.id}\``;
  return path.handedOffAt === undefined && d.state === "requested"
    ? `*Hotfix path:* waits for ${before} (fast-tracked, with its soak); starts by itself when that passes`
    : `*Hotfix path:* after ${before}`;
}

/** The request's answer for a hotfix path: both deployments, in the order they run. */
export function hotfixPathStarted(d: Deployment): string | undefined {
  const path = d.hotfixPath;
  if (!path) return undefined;
  return `Queued \`${d.id}\`: hotfix ${d.service} ${d.version} → ${path.first.environment} first (\`${path.first.id}\`, with its soak), then ${d.environment} on its own (${d.strategy}, ${d.stages.length} steps, the "after" stages last). Follow both in <#${d.channel}>.`;
}
