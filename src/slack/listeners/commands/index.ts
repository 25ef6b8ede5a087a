import type { App } from "@slack/bolt";
import type { ListenerDeps } from "../deps.js";
import { handleApproveCommand } from "./approve-command.js";
import { handleDeployCommand } from "./deploy-command.js";
import { handleRollbackCommand } from "./rollback-command.js";

export function register(app: App, deps: ListenerDeps): void {
  app.command("/deploy", async ({ command, ack }) => handleDeployCommand({ command, ack }, deps));
  app.command("/approve", async ({ command, ack }) => handleApproveCommand({ command, ack }, deps));
  app.command("/rollback", async ({ command, ack }) => handleRollbackCommand({ command, ack }, deps));
}
