import { STRATEGIES } from "../../domain/strategy.js";
import { VIEW_IDS } from "../action-ids.js";

/*
 * The form `/deploy` alone opens: service, environment, version, strategy
 * and hotfix, as Block Kit inputs. Each input's block id names the field, so
 * a refused submission can point at the field that was wrong.
 */

export const FORM_FIELDS = {
  service: "service",
  environment: "environment",
  version: "version",
  strategy: "strategy",
  options: "options",
} as const;

/** Every input's action id; the block id tells the fields apart. */
export const FORM_INPUT = "value";
export const HOTFIX_OPTION = "hotfix";
export const SENSITIVE_OPTION = "sensitive";
/** Slack's limit on a static select's options. */
const MAX_OPTIONS = 100;

/** A modal's input block: a label and one element (select, text input, checkboxes). */
export interface InputBlock {
  readonly type: "input";
  readonly block_id: string;
  readonly label: { type: "plain_text"; text: string };
  readonly optional?: boolean;
  readonly element: Readonly<Record<string, unknown>>;
}

export interface DeployFormView {
  readonly type: "modal";
  readonly callback_id: string;
  readonly private_metadata: string;
  readonly title: { type: "plain_text"; text: string };
  readonly submit: { type: "plain_text"; text: string };
  readonly close: { type: "plain_text"; text: string };
  readonly blocks: InputBlock[];
}

const plain = (text: string) => ({ type: "plain_text" as const, text });
const option = (value: string) => ({ text: plain(value), value });

function select(field: string, label: string, values: readonly string[], optional = false): InputBlock {
  const options = values.slice(0, MAX_OPTIONS).map(option);
  const only = values.length === 1 ? options[0] : undefined;
  return {
    type: "input",
    block_id: field,
    label: plain(label),
    optional,
    element: {
      type: "static_select",
      action_id: FORM_INPUT,
      placeholder: plain(optional ? "as the manifest says" : `Choose the ${label.toLowerCase()}`),
      options,
      ...(only ? { initial_option: only } : {}),
    },
  };
}

/** The deploy form for `channel`, where the answer will be posted. */
export function renderDeployForm(input: {
  services: readonly string[];
  environments: readonly string[];
  channel: string;
}): DeployFormView {
  return {
    type: "modal",
    callback_id: VIEW_IDS.deployForm,
    private_metadata: JSON.stringify({ channel: input.channel }),
    title: plain("Deploy"),
    submit: plain("Deploy"),
    close: plain("Cancel"),
    blocks: [
      select(FORM_FIELDS.service, "Service", input.services),
      select(FORM_FIELDS.environment, "Environment", input.environments),
      {
        type: "input",
        block_id: FORM_FIELDS.version,
        label: plain("Version"),
        element: { type: "plain_text_input", action_id: FORM_INPUT, placeholder: plain("v1.2.0"), max_length: 64 },
      },
      select(FORM_FIELDS.strategy, "Strategy", STRATEGIES, true),
      {
        type: "input",
        block_id: FORM_FIELDS.options,
        label: plain("Options"),
        optional: true,
        element: {
          type: "checkboxes",
          action_id: FORM_INPUT,
          options: [
            {
              text: plain("Hotfix"),
              description: plain("Fast-track: staging first with a short soak, intensive monitoring"),
              value: HOTFIX_OPTION,
            },
            {
              text: plain("Sensitive"),
              description: plain("Security-critical: low-traffic window, a security approver, longer watch"),
              value: SENSITIVE_OPTION,
            },
          ],
        },
      },
    ],
  };
}
