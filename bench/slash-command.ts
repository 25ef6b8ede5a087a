import { randomBytes, randomInt } from "node:crypto";
import { buildSignedRequest, type SentRequest } from "../src/standin/http-delivery.js";
import { slashCommandFields } from "../src/standin/slack-payloads.js";
import { DEFAULT_IDENTITY } from "../src/standin/workspace.js";

export interface SlashCommandOptions {
  /** Where the app listens, e.g. http://127.0.0.1:3000/slack/events. */
  readonly eventsUrl: string;
  readonly signingSecret: string;
  /** Base of the response URL handed to the app (the Slack stand-in's), ending with `/`. */
  readonly responseBase: string;
  readonly channelId: string;
  readonly userId: string;
}

/**
 * A `/deploy` request exactly as Slack sends it over HTTP: the slash command
 * fields form-encoded in Slack's order, signed with the signing secret at
 * `nowSeconds`.
 */
export function signedSlashCommand(options: SlashCommandOptions, text: string, nowSeconds: number): SentRequest {
  const fields = slashCommandFields(
    { command: "/deploy", text, userId: options.userId, channelId: options.channelId },
    {
      identity: DEFAULT_IDENTITY,
      verificationToken: "standin-verification-token",
      triggerId: `${randomInt(1e9, 1e10)}.${randomInt(1e9, 1e10)}.${randomBytes(16).toString("hex")}`,
      nowMs: nowSeconds * 1000,
      responseUrl: `${options.responseBase}response/${randomBytes(12).toString("hex")}`,
      channelName: "bench",
      userName: "bench-user",
    },
  );
  return buildSignedRequest(
    options.eventsUrl,
    new URLSearchParams(fields).toString(),
    "application/x-www-form-urlencoded",
    options.signingSecret,
    nowSeconds,
    {},
  );
}
