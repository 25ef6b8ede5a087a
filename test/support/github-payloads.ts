import { createRequire } from "node:module";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import type { PingEvent, PushEvent } from "@octokit/webhooks-types";

/*
 * GitHub's own example webhook payloads (`@octokit/webhooks-examples`),
 * moved to a test's repository and branch. The package is CommonJS JSON, so
 * it is read with require and typed with its own declarations.
 */

const definitions = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];

function examplesOf<N extends "push" | "ping">(name: N): WebhookDefinition<N>["examples"] {
  const found = definitions.find((d): d is WebhookDefinition<N> => d.name === name);
  if (!found) throw new Error(`@octokit/webhooks-examples has no ${name} examples`);
  return found.examples;
}

/** GitHub's example push of a new commit to a branch, as a push of `branch` to `repository` (owner/name). */
export function pushExample(repository: string, branch: string): PushEvent {
  const example = examplesOf("push").find((e) => e.ref.startsWith("refs/heads/") && e.head_commit !== null);
  if (!example) throw new Error("@octokit/webhooks-examples has no push of a branch with a head commit");
  const copy = structuredClone(example);
  const [owner = "", name = ""] = repository.split("/");
  return {
    ...copy,
    ref: `refs/heads/${branch}`,
    repository: { ...copy.repository, full_name: repository, name, owner: { ...copy.repository.owner, login: owner } },
  };
}

/** The same push with another head commit: its id, message and author. */
export function withHeadCommit(push: PushEvent, id: string, message: string, author: string): PushEvent {
  const head = push.head_commit;
  if (!head) throw new Error("the push has no head commit");
  return {
    ...push,
    before: push.after,
    after: id,
    compare: `https://github.com/${push.repository.full_name}/compare/${push.after.slice(0, 12)}...${id.slice(0, 12)}`,
    head_commit: { ...head, id, message, author: { ...head.author, name: author, username: author } },
    commits: [{ ...head, id, message }],
    pusher: { ...push.pusher, name: author },
  };
}

/** GitHub's example ping, sent when a webhook is created, for `repository`. */
export function pingExample(repository: string): PingEvent {
  const [example] = examplesOf("ping");
  if (!example) throw new Error("@octokit/webhooks-examples has no ping example");
  const copy = structuredClone(example);
  return copy.repository ? { ...copy, repository: { ...copy.repository, full_name: repository } } : copy;
}
