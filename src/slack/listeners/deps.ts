import type { GateDeps } from "../../engine/gates.js";
import type { RequestDeps } from "../../engine/request-deployment.js";
import type { Logger } from "../../logger.js";
import type { Directory } from "../directory.js";

/** What every Slack listener may use. Listeners validate, authorise and queue; they never run stages. */
export interface ListenerDeps extends RequestDeps, GateDeps {
  readonly directory: Directory;
  readonly log: Logger;
}
