import type { App } from "@slack/bolt";
import { onceOf } from "../../middleware/once.js";
import type { ListenerDeps } from "../deps.js";
import { handleApproveCommand } from "./approve-command.js";
import { handleDeployCommand } from "./deploy-command.js";
import { handleRollbackCommand } from "./rollback-command.js";

/**
 * One listener for the three commands (Bolt runs every listener's matchers
 * on every request). Each command is acted on once (middleware/once.ts): a
 * /deploy that asks for a deployment claims its trigger id as it records
 * or audits it (a repeat is answered so); every other command claims it
 * first, and a repeat is acknowledged and dropped.
 */
export function register(app: App, deps: ListenerDeps): void {
  app.command(/^\/(deploy|approve|rollback)$/, async ({ command, ack, client, context }) => {
    const once = onceOf(context);
    const first = async () => {
      if (await once.claim()) return true;
      deps.log.info({ triggerId: once.triggerId }, "repeated Slack command acknowledged and dropped");
      await ack();
      return false;
    };
    switch (command.command) {
      case "/approve":
        return (await first()) ? handleApproveCommand({ command, ack }, deps) : undefined;
      case "/rollback":
        return (await first()) ? handleRollbackCommand({ command, ack, client }, deps) : undefined;
      default:
        return handleDeployCommand({ command, ack, client }, deps, { triggerId: once.triggerId, first });
    }
  });
}
