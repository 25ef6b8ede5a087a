import type { Deployment } from "../../domain/deployment.js";
import { REVIEW_QUESTIONS } from "../../domain/review.js";
import { ACTION_IDS, VIEW_IDS } from "../action-ids.js";
import { actions, button, context, escapeMrkdwn, fitMessage, type SlackMessage, section, title } from "./blocks.js";
import type { InputBlock } from "./deploy-form.js";
import { slackTime } from "./slack-time.js";

/*
 * The post-deployment review in the thread: the seed's five questions with a
 * Write review button (edited once the review is written), the one
 * reminder, and the modal the button opens.
 */

const QUESTIONS = REVIEW_QUESTIONS.map((q, i) => `${i + 1}. ${q.question}`).join("\n");

/** The review request: the five questions and the button; once written, who wrote it. */
export function renderReviewRequest(d: Deployment): SlackMessage {
  const head = `📝 *Post-deployment review* — ${escapeMrkdwn(title(d))}`;
  if (d.review) {
    return fitMessage({
      text: `Post-deployment review written for ${title(d)}`,
      blocks: [
        section(
          `${head}\n✅ Written by <@${d.review.by}> at ${slackTime(d.review.at)}; it is in the deployment record under Lessons Learned.`,
        ),
        actions("review", [button("Edit review", ACTION_IDS.writeReview, d.id)]),
      ],
    });
  }
  return fitMessage({
    text: `Post-deployment review wanted for ${title(d)}`,
    blocks: [
      section(`${head}\n${QUESTIONS}`),
      actions("review", [button("Write review", ACTION_IDS.writeReview, d.id, "primary")]),
      context("The answers go into the deployment record under Lessons Learned."),
    ],
  });
}

/** Posted once when nobody has written the review in time. */
export function renderReviewReminder(d: Deployment): SlackMessage {
  return fitMessage({
    text: `Reminder: the post-deployment review of ${title(d)} is not written yet`,
    blocks: [
      section(
        `⏰ *Reminder:* nobody has written the post-deployment review of ${escapeMrkdwn(title(d))} yet. <@${d.requestedBy}>, use *Write review* above.`,
      ),
    ],
  });
}

/** The block id of each answer's input is the question's key. */
export const REVIEW_INPUT = "answer";

export interface ReviewFormView {
  readonly type: "modal";
  readonly callback_id: string;
  readonly private_metadata: string;
  readonly title: { type: "plain_text"; text: string };
  readonly submit: { type: "plain_text"; text: string };
  readonly close: { type: "plain_text"; text: string };
  readonly blocks: (InputBlock | { type: "section"; text: { type: "mrkdwn"; text: string } })[];
}

/** The modal Write review opens, filled with the answers so far. */
export function renderReviewForm(d: Deployment, channel: string): ReviewFormView {
  return {
    type: "modal",
    callback_id: VIEW_IDS.reviewForm,
    private_metadata: JSON.stringify({ deploymentId: d.id, channel }),
    title: { type: "plain_text", text: "Post-deployment review" },
    submit: { type: "plain_text", text: "Save review" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${escapeMrkdwn(title(d))}* (\`${d.id}\`)` } },
      ...REVIEW_QUESTIONS.map(
        ({ key, question }): InputBlock => ({
          type: "input",
          block_id: key,
          optional: true,
          label: { type: "plain_text", text: question },
          element: {
            type: "plain_text_input",
            action_id: REVIEW_INPUT,
            multiline: true,
            max_length: 1000,
            ...(d.review?.answers[key] ? { initial_value: d.review.answers[key] } : {}),
          },
        }),
      ),
    ],
  };
}
