import { type Logger, pino } from "pino";

export type { Logger } from "pino";

/** Field paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  "token",
  "botToken",
  "appToken",
  "signingSecret",
  "password",
  "authorization",
  "*.token",
  "*.botToken",
  "*.appToken",
  "*.signingSecret",
  "*.password",
  "*.authorization",
  "headers.authorization",
  'headers["x-slack-signature"]',
  "req.headers.authorization",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: "slipway" },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
