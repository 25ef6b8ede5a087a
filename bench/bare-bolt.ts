/*
 * The baseline for `/deploy` acknowledgement latency: a Bolt app over HTTP
 * that verifies the request like any Bolt app and only acks. Started by
 * bench/run.ts with the same token, signing secret and Slack stand-in as
 * Slipway, on the port it is given; prints one JSON line once it listens.
 */
import { App, HTTPReceiver, LogLevel } from "@slack/bolt";

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`bare-bolt: set ${name}`);
  return value;
}

const signingSecret = required("SLACK_SIGNING_SECRET");
const receiver = new HTTPReceiver({ signingSecret, endpoints: "/slack/events", logLevel: LogLevel.WARN });
const app = new App({
  token: required("SLACK_BOT_TOKEN"),
  receiver,
  clientOptions: { slackApiUrl: required("SLACK_API_URL") },
  logLevel: LogLevel.WARN,
  deferInitialization: true,
});

app.command("/deploy", async ({ ack }) => ack({ response_type: "ephemeral", text: "ok" }));

await app.init();
const port = Number(required("PORT"));
await app.start({ port, host: "127.0.0.1" });
process.stdout.write(`${JSON.stringify({ msg: "bare bolt started", port })}\n`);

const stop = () => {
  app.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
