import type { App, ViewSubmitAction } from "@slack/bolt";
import { z } from "zod";
import { slackActor } from "../../../domain/actor.js";
import { STRATEGIES } from "../../../domain/strategy.js";
import { checkDeployableVersion } from "../../../domain/version.js";
import type { DeploymentRequest } from "../../../engine/request-deployment.js";
import { coerceError } from "../../../errors.js";
import type { Catalog } from "../../../manifests/catalog.js";
import { VIEW_IDS } from "../../action-ids.js";
import type { SlackMessage } from "../../renderers/blocks.js";
import { FORM_FIELDS, FORM_INPUT, HOTFIX_OPTION, SENSITIVE_OPTION } from "../../renderers/deploy-form.js";
import { deployFromSlack } from "../commands/deploy-command.js";
import { unavailableMessage } from "../commands/reply.js";
import type { ListenerDeps } from "../deps.js";

type Values = ViewSubmitAction["view"]["state"]["values"];
type Field = (typeof FORM_FIELDS)[keyof typeof FORM_FIELDS];

export type FormResult =
  | { ok: true; request: DeploymentRequest }
  | { ok: false; errors: Partial<Record<Field, string>> };

const metadata = z.object({ channel: z.string().max(64) });

function selected(values: Values, field: Field): string | undefined {
  return values[field]?.[FORM_INPUT]?.selected_option?.value ?? undefined;
}

/**
 * Reads a submitted deploy form. Every field is checked as the command
 * checks it, and each problem is named on its own field.
 */
export function readDeployForm(values: Values, catalog: Catalog): FormResult {
  const errors: Partial<Record<Field, string>> = {};
  const service = selected(values, FORM_FIELDS.service);
  const environment = selected(values, FORM_FIELDS.environment);
  const versionText = (values[FORM_FIELDS.version]?.[FORM_INPUT]?.value ?? "").trim();
  const strategyText = selected(values, FORM_FIELDS.strategy);
  const ticked = values[FORM_FIELDS.options]?.[FORM_INPUT]?.selected_options ?? [];

  if (!service || !catalog.service(service)) errors.service = "Choose one of the services in the list.";
  else if (!environment || !catalog.environment(service, environment)) {
    const known = Object.keys(catalog.service(service)?.manifest.environments ?? {}).join(", ");
    errors.environment = `${service} deploys to: ${known}.`;
  }
  const version = checkDeployableVersion(versionText);
  if (!version.ok) errors.version = version.message;
  const strategy = STRATEGIES.find((s) => s === strategyText);
  if (strategyText !== undefined && strategy === undefined) errors.strategy = "Choose a strategy from the list.";
  if (Object.keys(errors).length > 0 || !service || !environment) return { ok: false, errors };
  return {
    ok: true,
    request: {
      service,
      environment,
      version: versionText,
      ...(strategy ? { strategy } : {}),
      hotfix: ticked.some((option) => option.value === HOTFIX_OPTION),
      sensitive: ticked.some((option) => option.value === SENSITIVE_OPTION),
    },
  };
}

/** The channel the form was opened from, where its outcome is told; undefined for metadata Slipway did not write. */
function channelOf(privateMetadata: string): string | undefined {
  try {
    return metadata.parse(JSON.parse(privateMetadata)).channel;
  } catch {
    return undefined;
  }
}

/** The deploy form's submission: refused field by field, or deployed as `/deploy` would, answered in the channel. */
export function register(app: App, deps: ListenerDeps): void {
  app.view<ViewSubmitAction>(VIEW_IDS.deployForm, async ({ ack, body, view, client }) => {
    const form = readDeployForm(view.state.values, deps.catalog);
    if (!form.ok) {
      await ack({ response_action: "errors", errors: form.errors });
      return;
    }
    const channel = channelOf(view.private_metadata);
    if (channel === undefined) {
      await ack({ response_action: "errors", errors: { version: "This form is out of date; type /deploy again." } });
      return;
    }
    await ack();
    const user = body.user.id;
    const tell = async (message: string | SlackMessage) => {
      const content = typeof message === "string" ? { text: message } : message;
      await client.chat.postEphemeral({ channel, user, ...content }).catch((error: unknown) => {
        deps.log.warn({ err: error, user }, "could not tell the deployer the form's outcome");
      });
    };
    try {
      await deployFromSlack(deps, { actor: slackActor(user), via: "modal", request: form.request }, tell);
    } catch (thrown) {
      const error = coerceError(thrown);
      deps.log.error({ err: error, user }, "deploy form failed");
      await tell(unavailableMessage(error));
    }
  });
}
