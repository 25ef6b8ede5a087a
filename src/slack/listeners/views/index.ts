import type { App, ViewSubmitAction } from "@slack/bolt";
import { z } from "zod";
import { plainWords } from "../../../domain/safe-text.js";
import { vote } from "../../../engine/votes.js";
import { VIEW_IDS } from "../../action-ids.js";
import { answerText } from "../../renderers/operation-answer.js";
import type { ListenerDeps } from "../deps.js";
import { register as registerDeployForm } from "./deploy-form.js";
import { register as registerRestoreConfirm } from "./restore-confirm.js";
import { register as registerReviewForm } from "./review-form.js";

const metadata = z.object({ deploymentId: z.string().max(64), channel: z.string().max(64) });

/** The reject dialog's submission (the reason is required; the vote is then cast like a click) and the deploy form's. */
export function register(app: App, deps: ListenerDeps): void {
  registerDeployForm(app, deps);
  registerReviewForm(app, deps);
  registerRestoreConfirm(app, deps);
  app.view<ViewSubmitAction>(VIEW_IDS.rejectReason, async ({ ack, body, view, client }) => {
    const reason = plainWords(view.state.values.reason?.reason?.value ?? "");
    if (reason === "") {
      await ack({ response_action: "errors", errors: { reason: "Say why, so the requester knows what to fix." } });
      return;
    }
    let meta: z.infer<typeof metadata>;
    try {
      meta = metadata.parse(JSON.parse(view.private_metadata));
    } catch {
      await ack({
        response_action: "errors",
        errors: { reason: "This dialog is out of date; reject again from the thread." },
      });
      return;
    }
    await ack();
    const result = await vote(deps, {
      deploymentId: meta.deploymentId,
      userId: body.user.id,
      decision: "reject",
      reason,
      via: "modal",
    });
    await client.chat
      .postEphemeral({ channel: meta.channel, user: body.user.id, text: answerText(result) })
      .catch((error: unknown) =>
        deps.log.warn({ err: error, deploymentId: meta.deploymentId }, "could not tell the rejecter the outcome"),
      );
  });
}
