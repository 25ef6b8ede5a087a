import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { App, LogLevel, SocketModeReceiver } from "@slack/bolt";
import type { FakeSlack } from "../../src/standin/index.js";
import { APP_TOKEN, BOT_TOKEN, type Harness, quietLogger, SIGNING_SECRET } from "./support.js";

/** A real Bolt app on the HTTP receiver, listening on a free loopback port. */
export async function startHttpApp(harness: Harness, slack: FakeSlack, setup: (app: App) => void): Promise<App> {
  const app = new App({
    token: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    clientOptions: { slackApiUrl: slack.apiUrl },
    logger: quietLogger(),
    logLevel: LogLevel.ERROR,
  });
  setup(app);
  const server = (await app.start({ port: 0, host: "127.0.0.1" })) as Server;
  harness.onClose(() => app.stop().then(() => undefined));
  const { port } = server.address() as AddressInfo;
  slack.setEventsUrl(`http://127.0.0.1:${port}/slack/events`);
  return app;
}

/** A real Bolt app in Socket Mode, connected through the stand-in. */
export async function startSocketApp(
  harness: Harness,
  slack: FakeSlack,
  setup: (app: App) => void,
  clientPingTimeout = 5000,
): Promise<App> {
  const logger = quietLogger();
  const receiver = new SocketModeReceiver({
    appToken: APP_TOKEN,
    clientPingTimeout,
    logger,
    installerOptions: { clientOptions: { slackApiUrl: slack.apiUrl } },
  });
  const app = new App({ token: BOT_TOKEN, receiver, clientOptions: { slackApiUrl: slack.apiUrl }, logger });
  setup(app);
  await app.start();
  harness.onClose(() => app.stop().then(() => undefined));
  await slack.socketConnected();
  return app;
}

export interface CapturedRequest {
  body: string;
  headers: IncomingHttpHeaders;
}

/** A bare HTTP endpoint that records what it receives and answers 200. */
export async function startCapture(harness: Harness): Promise<{ url: string; requests: CapturedRequest[] }> {
  const requests: CapturedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      requests.push({ body: Buffer.concat(chunks).toString("utf8"), headers: req.headers });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  harness.onClose(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/slack/events`, requests };
}
