import type { GateDeps } from "../../engine/gates.js";
import type { RequestDeps } from "../../engine/request-deployment.js";
import type { Logger } from "../../logger.js";
import type { RecordStore } from "../../store/records.js";
import type { Directory } from "../directory.js";
import type { SlackRefStore } from "../slack-refs.js";

/** What every Slack listener may use. Listeners validate, authorise and queue; they never run stages. */
export interface ListenerDeps extends RequestDeps, GateDeps {
  readonly directory: Directory;
  /** Where each deployment's messages are in Slack, to link them. */
  readonly refs: SlackRefStore;
  /** Ended deployments' records: history, stats, reviews. */
  readonly records: RecordStore;
  readonly log: Logger;
}
