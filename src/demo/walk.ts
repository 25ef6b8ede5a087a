import { ACTION_IDS } from "../slack/action-ids.js";
import { ChatOps, deploymentIdIn } from "../standin/chat-ops.js";
import type { FakeSlack } from "../standin/fake-slack.js";
import type { StoredMessage } from "../standin/message-store.js";

/*
 * A deployment walked through as its people would: the requester types
 * /deploy, ticks the manual checklist items, and the people of the manifests
 * click Approve on the card until it has its quorum (Slipway refuses those
 * who may not, and says why). Waits on the stand-in's messages, never on the
 * clock.
 */

export type Outcome = "succeeded" | "failed" | "rolled back" | "rejected" | "expired" | "cancelled" | "refused";

/** How long a card is given to show an approval before the next person is asked. */
const CARD_REDRAW_MS = 10_000;
const ENDED = /\*Deployment (succeeded|failed|rolled back|rejected|expired|cancelled)\*/i;

export interface WalkOptions {
  readonly slack: FakeSlack;
  readonly channel: string;
  readonly requester: string;
  /** Everyone who may be asked to approve, in the order they are asked. */
  readonly people: readonly string[];
  /** User id → name, to say who does what. */
  readonly names: Readonly<Record<string, string>>;
  readonly command: string;
  readonly say: (line: string) => void;
  readonly timeoutMs: number;
}

interface Element {
  action_id?: string;
  options?: { value: string }[];
  initial_options?: { value: string }[];
}

function elements(message: StoredMessage): Element[] {
  return (message.blocks as { elements?: Element[] }[]).flatMap((block) => block.elements ?? []);
}

/** What a checklist message still waits for: the values of its unticked checkboxes. */
function unticked(message: StoredMessage): string[] {
  return elements(message)
    .filter((element) => element.action_id === ACTION_IDS.tick)
    .flatMap((element) => {
      const ticked = new Set((element.initial_options ?? []).map((o) => o.value));
      return (element.options ?? []).map((o) => o.value).filter((v) => !ticked.has(v));
    });
}

/** An approval card still open: it carries the Approve button. */
function openCard(message: StoredMessage): boolean {
  return elements(message).some((element) => element.action_id === ACTION_IDS.approve);
}

/** Types `/deploy <command>` as the requester and sees the deployment through; resolves with how it ended. */
export async function walkDeployment(options: WalkOptions): Promise<{ id?: string; outcome: Outcome }> {
  const { slack, say } = options;
  say(`$ /deploy ${options.command}        (typed by ${nameOf(options, options.requester)})`);
  const answer = await new ChatOps(slack).command(options.requester, options.channel, "/deploy", options.command);
  // As Slack shows it: its &lt; &gt; &amp; escapes decoded.
  say(`  ephemeral answer: ${answer.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&")}`);
  if (!/`d-[a-z0-9]+`/.test(answer)) return { outcome: "refused" };
  const id = deploymentIdIn(answer);
  return { id, outcome: await seeThrough(options, id) };
}

function nameOf(options: Pick<WalkOptions, "names">, id: string): string {
  return `@${options.names[id] ?? id}`;
}

/**
 * Sees a deployment through, however it was started (a command, a push, a
 * schedule): ticks its manual checklist items as the requester and has the
 * people approve its card until it ends; resolves with how it ended.
 */
export async function seeThrough(options: Omit<WalkOptions, "command">, id: string): Promise<Outcome> {
  const { slack, say } = options;
  const chat = new ChatOps(slack);
  const root = await chat.rootOf(id, /./, options.timeoutMs);
  const seen = new Set<string>();
  const approvers = options.people.filter((p) => p !== options.requester);
  // A refused approval leaves the card as it was: the next person is asked about the same card.
  const seenKey = (m: StoredMessage) => `${m.ts}:${slack.textOf(m)}:${openCard(m) ? approvers.length : ""}`;
  for (;;) {
    const next = await slack.waitForMessage(
      (m) =>
        m.threadTs === root.ts &&
        !seen.has(seenKey(m)) &&
        (ENDED.test(slack.textOf(m)) || openCard(m) || unticked(m).length > 0),
      { timeoutMs: options.timeoutMs },
    );
    seen.add(seenKey(next));
    const ended = ENDED.exec(slack.textOf(next));
    if (ended) return (ended[1] ?? "failed").toLowerCase() as Outcome;
    const values = unticked(next);
    if (values.length > 0) {
      say(`  ☑ ticks the manual checklist items: ${values.join(", ")}`);
      await chat.tick(next, options.requester, values);
      continue;
    }
    const approver = approvers.shift();
    if (!approver) {
      say("  nobody in the manifests is left to approve it; the deployment waits for approval");
      return "expired";
    }
    say(`  ✔ ${nameOf(options, approver)} clicks Approve: ${await chat.clickApprove(next, approver)}`);
    // Counted approvals redraw the card; one Slipway refused leaves it as it was, for the next person.
    await slack
      .waitForMessage((m) => m.ts === next.ts && slack.textOf(m) !== slack.textOf(next), {
        timeoutMs: CARD_REDRAW_MS,
      })
      .catch(() => undefined);
  }
}
