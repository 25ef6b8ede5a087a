import type { App } from "@slack/bolt";
import type { ListenerDeps } from "../deps.js";
import { handleDeployCommand } from "./deploy-command.js";

export function register(app: App, deps: ListenerDeps): void {
  app.command("/deploy", async ({ command, ack }) => handleDeployCommand({ command, ack }, deps));
}
