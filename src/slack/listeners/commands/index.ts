import type { App } from "@slack/bolt";
import type { ListenerDeps } from "../deps.js";
import { handleApproveCommand } from "./approve-command.js";
import { handleDeployCommand } from "./deploy-command.js";
import { handleRollbackCommand } from "./rollback-command.js";

/** One listener for the three commands (Bolt runs every listener's matchers on every request). */
export function register(app: App, deps: ListenerDeps): void {
  app.command(/^\/(deploy|approve|rollback)$/, async ({ command, ack, client }) => {
    switch (command.command) {
      case "/approve":
        return handleApproveCommand({ command, ack }, deps);
      case "/rollback":
        return handleRollbackCommand({ command, ack }, deps);
      default:
        return handleDeployCommand({ command, ack, client }, deps);
    }
  });
}
