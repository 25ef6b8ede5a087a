import { WebClient } from "@slack/web-api";
import type { Logger } from "../logger.js";
import { boltLogger } from "./bolt-logger.js";

/**
 * The Web API client the notifier uses. It does not retry or wait on its own:
 * a 429 comes back at once as an error carrying Retry-After, and the
 * notifier's queue decides when to call again.
 */
export function createWebClient(token: string, slackApiUrl: string, log: Logger): WebClient {
  return new WebClient(token, {
    slackApiUrl,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: 10_000,
    logger: boltLogger(log),
  });
}
