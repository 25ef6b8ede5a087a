import type { Deployment } from "../../domain/deployment.js";
import { progressPercent, restoringAfterEnd } from "../../domain/deployment.js";
import { describeState } from "../../domain/deployment-state.js";
import type { Lock } from "../../store/locks.js";
import type { WaitingDeployment } from "../../store/waitlist.js";
import { type Block, context, escapeExceptMentions, escapeMrkdwn, header, requester, section } from "./blocks.js";
import { STATE_EMOJI } from "./deployment-message.js";
import { slackTime } from "./slack-time.js";
import { waitingLineBlocks } from "./waiting-line.js";
import { type WatchedDeployment, watchingLineBlocks } from "./watching-line.js";

/** What one environment of a service runs, and what is happening to it. */
export interface HomeEnvironment {
  readonly name: string;
  /** The version of the last deployment that succeeded there. */
  readonly live?: string;
  /** The deployment under way there, and a link to its thread once posted. */
  readonly active?: { readonly deployment: Deployment; readonly thread?: string };
  readonly lock?: Lock;
}

export interface HomeService {
  readonly name: string;
  readonly environments: readonly HomeEnvironment[];
}

export interface HomeView {
  readonly type: "home";
  readonly blocks: Block[];
}

/** Slack allows 100 blocks in a Home tab; two go to the header and the context line, one to "more". */
const MAX_SERVICE_BLOCKS = 97;

function environmentLine(env: HomeEnvironment): string {
  const parts = [
    `*${escapeMrkdwn(env.name)}* — ${env.live ? `live: \`${escapeMrkdwn(env.live)}\`` : "nothing deployed yet"}`,
  ];
  if (env.active) {
    const d = env.active.deployment;
    const version = escapeMrkdwn(d.version);
    const what = env.active.thread ? `<${env.active.thread}|${version}>` : `\`${version}\``;
    parts.push(
      d.restore && restoringAfterEnd(d)
        ? `♻️ restoring backup \`${escapeMrkdwn(d.restore.backupId)}\` of ${what} (${describeState(d.state).toLowerCase()}), asked by <@${d.restore.by}>`
        : `${STATE_EMOJI[d.state]} ${what} ${describeState(d.state).toLowerCase()} (${progressPercent(d)}%) by ${requester(d)}`,
    );
  }
  if (env.lock) {
    const until = env.lock.expiresAt === undefined ? "" : ` until ${slackTime(env.lock.expiresAt)}`;
    parts.push(`🔒 locked by <@${env.lock.owner}>${until}: ${escapeExceptMentions(env.lock.reason)}`);
  }
  return parts.join(" · ");
}

/**
 * The App Home tab: what is deployed where, per service and environment,
 * with the deployment under way (linked to its thread) and any lock, the
 * deployments waiting to start, each with its Cancel button, and the
 * succeeded ones their extended window still watches.
 */
export function renderHome(
  services: readonly HomeService[],
  now: number,
  waiting: readonly WaitingDeployment[] = [],
  watched: readonly WatchedDeployment[] = [],
): HomeView {
  const line = [...(waiting.length > 0 ? waitingLineBlocks(waiting) : []), ...watchingLineBlocks(watched)];
  const shown = services.slice(0, MAX_SERVICE_BLOCKS - line.length);
  const blocks: Block[] = [
    header("🚀 What is deployed where"),
    context(`As of ${slackTime(now)}. \`/deploy help\` lists the commands.`),
    ...(services.length === 0
      ? [section("No services yet: add a manifest under `manifests/services/`, then `slipway validate`.")]
      : shown.map((service) =>
          section(
            [`*${escapeMrkdwn(service.name)}*`, ...service.environments.map((env) => `• ${environmentLine(env)}`)].join(
              "\n",
            ),
          ),
        )),
  ];
  if (services.length > shown.length) {
    blocks.push(context(`…and ${services.length - shown.length} more services; \`/deploy status\` lists them all.`));
  }
  blocks.push(...line);
  return { type: "home", blocks };
}
