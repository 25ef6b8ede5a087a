import { type Logger, LogLevel, WebClient, type WebClientOptions } from "@slack/web-api";
import type { FakeSlackOptions } from "../../src/standin/index.js";
import { FakeSlack } from "../../src/standin/index.js";

export const BOT_TOKEN = "xoxb-standin-test";
export const APP_TOKEN = "xapp-1-standin-test";
export const SIGNING_SECRET = "standin-signing-secret";
export const CHANNEL = "C0DEPLOYS1";

/** Starts a stand-in and remembers it so `closeAll` can stop it after the test. */
export class Harness {
  private readonly slacks: FakeSlack[] = [];
  private readonly closers: Array<() => Promise<void>> = [];

  async slack(options: Partial<FakeSlackOptions> = {}): Promise<FakeSlack> {
    const slack = await FakeSlack.start({
      botToken: BOT_TOKEN,
      appToken: APP_TOKEN,
      signingSecret: SIGNING_SECRET,
      channels: [{ id: CHANNEL, name: "deploys" }],
      ...options,
    });
    this.slacks.push(slack);
    return slack;
  }

  /** Runs before the stand-ins close (apps first, so Socket Mode clients do not try to reconnect). */
  onClose(closer: () => Promise<void>): void {
    this.closers.push(closer);
  }

  async closeAll(): Promise<void> {
    for (const closer of this.closers.splice(0).reverse()) await closer();
    await Promise.all(this.slacks.splice(0).map((slack) => slack.close()));
  }
}

/** A logger that keeps the expected error reports of Slack clients out of the test output. */
export function quietLogger(): Logger {
  let level = LogLevel.ERROR;
  const ignore = (): void => undefined;
  return {
    debug: ignore,
    info: ignore,
    warn: ignore,
    error: ignore,
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: ignore,
  };
}

export function client(slack: FakeSlack, options: WebClientOptions = {}, token = BOT_TOKEN): WebClient {
  return new WebClient(token, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    logger: quietLogger(),
    ...options,
  });
}

/** Awaits a rejected promise and hands back what it was rejected with. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (thrown) {
    return thrown;
  }
  throw new Error("expected the promise to reject, but it resolved");
}
