import type { App } from "@slack/bolt";
import type { ListenerDeps } from "../deps.js";
import { handleApproveCommand } from "./approve-command.js";
import { handleDeployCommand } from "./deploy-command.js";
import { ephemeral } from "./reply.js";

export function register(app: App, deps: ListenerDeps): void {
  app.command("/deploy", async ({ command, ack }) => handleDeployCommand({ command, ack }, deps));
  app.command("/approve", async ({ command, ack }) => handleApproveCommand({ command, ack }, deps));
  app.command("/rollback", async ({ ack }) =>
    ack(ephemeral("`/rollback` is not available in this version of Slipway. `/deploy help` lists what is.")),
  );
}
