import type { App, ViewSubmitAction } from "@slack/bolt";
import { z } from "zod";
import { slackActor } from "../../../domain/actor.js";
import { requestRestore } from "../../../engine/restore-request.js";
import { coerceError } from "../../../errors.js";
import { VIEW_IDS } from "../../action-ids.js";
import { renderOutdatedRestoreDialog, restoreAnswerText } from "../../renderers/backup-restore.js";
import { unavailableMessage } from "../commands/reply.js";
import type { ListenerDeps } from "../deps.js";

const metadata = z.object({
  service: z.string().max(80),
  environment: z.string().max(80),
  reason: z.string().max(300).optional(),
  channel: z.string().max(64),
  /** The deployment the dialog asks about; a dialog without it is out of date. */
  deploymentId: z.string().max(64),
});

function readMetadata(text: string): z.infer<typeof metadata> | undefined {
  try {
    return metadata.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * The dialog confirming `/rollback … --restore`: the engine checks again,
 * for the deployment the dialog asked about, then rolls back and restores;
 * the answer is posted.
 */
export function register(app: App, deps: ListenerDeps): void {
  app.view<ViewSubmitAction>(VIEW_IDS.restoreConfirm, async ({ ack, body, view, client }) => {
    const meta = readMetadata(view.private_metadata);
    if (!meta) {
      await ack({ response_action: "update", view: renderOutdatedRestoreDialog() });
      return;
    }
    await ack();
    const user = body.user.id;
    let text: string;
    try {
      const answer = await requestRestore(deps, {
        service: meta.service,
        environment: meta.environment,
        deploymentId: meta.deploymentId,
        ...(meta.reason ? { reason: meta.reason } : {}),
        actor: slackActor(user),
        via: "modal",
      });
      text = restoreAnswerText(answer);
    } catch (thrown) {
      const error = coerceError(thrown);
      deps.log.error({ err: error, service: meta.service, environment: meta.environment, user }, "restore failed");
      text = unavailableMessage(error);
    }
    await client.chat
      .postEphemeral({ channel: meta.channel, user, text })
      .catch((error: unknown) => deps.log.warn({ err: error, user }, "could not tell the restorer the outcome"));
  });
}
