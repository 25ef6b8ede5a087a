import type { GateDeps } from "../../engine/gates.js";
import type { RequestDeps } from "../../engine/request-deployment.js";
import type { Logger } from "../../logger.js";
import type { Directory } from "../directory.js";
import type { SlackRefStore } from "../slack-refs.js";

/** What every Slack listener may use. Listeners validate, authorise and queue; they never run stages. */
export interface ListenerDeps extends RequestDeps, GateDeps {
  readonly directory: Directory;
  /** Where each deployment's messages are in Slack, to link them. */
  readonly refs: SlackRefStore;
  readonly log: Logger;
}
