import type { Deployment } from "../../src/domain/deployment.js";
import { threadMessages } from "../../src/slack/renderers/thread.js";
import type { FakeSlack } from "../../src/standin/fake-slack.js";
import type { StoredMessage } from "../../src/standin/message-store.js";

/*
 * What Slack shows of a deployment's thread, by name: the notifier posts
 * every message with metadata naming the deployment and the message
 * (`root`, `stage3`, `summary`…), so a test can tell a message posted twice
 * from two different messages without reading their text.
 */

/** Which deployment and message of its thread a Slack message is, by the metadata the notifier posts it with. */
export function tagOf(message: StoredMessage): { deploymentId: string; name: string } | undefined {
  const metadata = message.metadata as { event_type?: unknown; event_payload?: Record<string, unknown> } | undefined;
  const payload = metadata?.event_payload;
  if (metadata?.event_type !== "slipway_message" || payload === undefined) return undefined;
  const { deploymentId, name } = payload;
  return typeof deploymentId === "string" && typeof name === "string" ? { deploymentId, name } : undefined;
}

export interface ThreadShape {
  /** Root messages in the deployment's channel that carry its id. */
  readonly roots: number;
  /** The names of the replies under them, sorted; `(no metadata) …` for a reply the notifier did not tag. */
  readonly replies: string[];
}

/** The deployment's thread as Slack shows it now. */
export function threadShape(slack: FakeSlack, d: Deployment): ThreadShape {
  const roots = slack
    .messages(d.channel)
    .filter((m) => m.threadTs === undefined && slack.textOf(m).includes(`\`${d.id}\``));
  const replies = roots
    .flatMap((root) => slack.thread(d.channel, root.ts).slice(1))
    .map((m) => tagOf(m)?.name ?? `(no metadata) ${slack.textOf(m).slice(0, 60)}`);
  return { roots: roots.length, replies: replies.sort() };
}

/** The thread the notifier renders for `d`: one root, and each reply in its channel once. */
export function expectedThreadShape(d: Deployment, now: number = Date.now()): ThreadShape {
  return {
    roots: 1,
    replies: threadMessages(d, now)
      .filter((spec) => spec.inThread && spec.channel === undefined)
      .map((spec) => spec.name)
      .sort(),
  };
}

/** Resolves once the notifier has posted the closing summary of a finished deployment. */
export function summaryPosted(slack: FakeSlack, d: Deployment, timeoutMs = 30_000): Promise<StoredMessage> {
  return slack.waitForMessage(
    (m) => m.channel === d.channel && tagOf(m)?.deploymentId === d.id && tagOf(m)?.name === "summary",
    { timeoutMs },
  );
}
