import type { RequestDeps } from "../../engine/request-deployment.js";
import type { Logger } from "../../logger.js";

/** What every Slack listener may use. Listeners validate and queue; they never run stages. */
export interface ListenerDeps extends RequestDeps {
  readonly log: Logger;
}
