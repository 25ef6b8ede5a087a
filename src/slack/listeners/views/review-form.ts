import type { App, ViewSubmitAction } from "@slack/bolt";
import { z } from "zod";
import { REVIEW_QUESTIONS, type ReviewAnswers } from "../../../domain/review.js";
import { submitReview } from "../../../engine/records.js";
import { coerceError } from "../../../errors.js";
import { VIEW_IDS } from "../../action-ids.js";
import { REVIEW_INPUT } from "../../renderers/review.js";
import { unavailableMessage } from "../commands/reply.js";
import type { ListenerDeps } from "../deps.js";

type Values = ViewSubmitAction["view"]["state"]["values"];

const metadata = z.object({ deploymentId: z.string().max(64), channel: z.string().max(64) });

/** The answers typed into the review modal, by question. */
export function readReviewForm(values: Values): ReviewAnswers {
  const answers: Partial<Record<(typeof REVIEW_QUESTIONS)[number]["key"], string>> = {};
  for (const { key } of REVIEW_QUESTIONS) {
    const text = values[key]?.[REVIEW_INPUT]?.value?.trim();
    if (text) answers[key] = text;
  }
  return answers;
}

/** What the reviewer is told after saving. */
function outcomeWords(result: Awaited<ReturnType<typeof submitReview>>): string {
  if (result.ok) {
    return `${result.replaced ? "Updated" : "Saved"} the post-deployment review of \`${result.deploymentId}\`; it is in its deployment record under Lessons Learned.`;
  }
  switch (result.reason) {
    case "unknown":
      return `There is no deployment \`${result.deploymentId}\`; nothing was saved.`;
    case "not_ended":
      return `\`${result.deploymentId}\` has not ended yet; review it once it has.`;
    case "empty":
      return "Nothing was saved: answer at least one question.";
    default: {
      const unreachable: never = result.reason;
      return unreachable;
    }
  }
}

/** The review modal's submission: at least one answer, stored with the deployment and its record. */
export function register(app: App, deps: ListenerDeps): void {
  app.view<ViewSubmitAction>(VIEW_IDS.reviewForm, async ({ ack, body, view, client }) => {
    const answers = readReviewForm(view.state.values);
    const first = REVIEW_QUESTIONS[0].key;
    if (Object.keys(answers).length === 0) {
      await ack({ response_action: "errors", errors: { [first]: "Answer at least one question." } });
      return;
    }
    const meta = metadata.safeParse(
      (() => {
        try {
          return JSON.parse(view.private_metadata) as unknown;
        } catch {
          return undefined;
        }
      })(),
    );
    if (!meta.success) {
      await ack({
        response_action: "errors",
        errors: { [first]: "This form is out of date; open it again from the thread." },
      });
      return;
    }
    await ack();
    const { deploymentId, channel } = meta.data;
    const user = body.user.id;
    let text: string;
    try {
      text = outcomeWords(await submitReview(deps, { deploymentId, userId: user, answers, via: "modal" }));
    } catch (thrown) {
      const error = coerceError(thrown);
      deps.log.error({ err: error, deploymentId, user }, "saving a review failed");
      text = unavailableMessage(error);
    }
    await client.chat.postEphemeral({ channel, user, text }).catch((error: unknown) => {
      deps.log.warn({ err: error, deploymentId }, "could not tell the reviewer the outcome");
    });
  });
}
