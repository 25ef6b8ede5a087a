import { type App, HTTPReceiver, SocketModeReceiver } from "@slack/bolt";
import type { Logger } from "../logger.js";
import type { RedisClient } from "../store/redis.js";
import { boltLogger } from "./bolt-logger.js";
import { answerMalformedOverHttp, answerMalformedOverSocket, GuardedApp } from "./guarded-app.js";
import { register as registerActions } from "./listeners/actions/index.js";
import { register as registerCommands } from "./listeners/commands/index.js";
import type { ListenerDeps } from "./listeners/deps.js";
import { register as registerEvents } from "./listeners/events/index.js";
import { register as registerViews } from "./listeners/views/index.js";
import { onlyOnce } from "./middleware/once.js";

export interface SlackAppOptions {
  readonly botToken: string;
  readonly signingSecret: string | undefined;
  readonly appToken: string | undefined;
  readonly slackApiUrl: string;
  readonly log: Logger;
  /** Remembers which Slack requests were already handled. */
  readonly redis: RedisClient;
  readonly keyPrefix: string;
}

export interface SlackApp {
  readonly app: App;
  /** The HTTP request handler for `POST /slack/events`; absent in Socket Mode. */
  readonly httpListener: HTTPReceiver["requestListener"] | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The Bolt app with every listener registered. In HTTP mode Bolt's receiver
 * verifies each request's signature and age and is mounted on Slipway's own
 * HTTP server; with an app token it connects over Socket Mode instead.
 * Either way a request reaches the listeners only once GuardedApp has
 * checked its shape, and one that no listener takes is acknowledged at once.
 */
export function createSlackApp(options: SlackAppOptions, deps: ListenerDeps): SlackApp {
  const logger = boltLogger(options.log);
  const clientOptions = { slackApiUrl: options.slackApiUrl };
  const receiver = options.appToken
    ? new SocketModeReceiver({
        appToken: options.appToken,
        logger,
        // The Socket Mode client opens its connection through this Web API URL (Bolt's default receiver is given the same).
        installerOptions: { clientOptions },
        processEventErrorHandler: answerMalformedOverSocket(options.log),
      })
    : new HTTPReceiver({
        signingSecret: options.signingSecret ?? "",
        endpoints: "/slack/events",
        logger,
        unhandledRequestTimeoutMillis: 2_900,
        processEventErrorHandler: answerMalformedOverHttp(options.log),
      });
  const app = new GuardedApp(
    // No conversation store: Slipway keeps its state in Redis, and the store's middleware runs on every request.
    { token: options.botToken, receiver, clientOptions, logger, deferInitialization: true, convoStore: false },
    options.log,
  );
  app.use(onlyOnce(options.redis, options.keyPrefix, options.log));
  registerCommands(app, deps);
  registerActions(app, deps);
  registerViews(app, deps);
  registerEvents(app, deps);
  app.error(async (error) => {
    options.log.error({ err: error }, "Slack listener error");
  });
  return {
    app,
    httpListener: receiver instanceof HTTPReceiver ? receiver.requestListener : undefined,
    async start() {
      await app.init();
      if (options.appToken) await app.start();
    },
    async stop() {
      if (options.appToken) await app.stop();
    },
  };
}
