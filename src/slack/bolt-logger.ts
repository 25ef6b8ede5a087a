import { type Logger as BoltLogger, LogLevel } from "@slack/bolt";
import type { Logger } from "../logger.js";

/** Bolt's logger interface over our pino logger, so Bolt's lines are JSON like ours. */
export function boltLogger(log: Logger): BoltLogger {
  let level = LogLevel.INFO;
  let child = log.child({ component: "bolt" });
  return {
    debug: (...msg) => child.debug(msg.map(String).join(" ")),
    info: (...msg) => child.info(msg.map(String).join(" ")),
    warn: (...msg) => child.warn(msg.map(String).join(" ")),
    error: (...msg) => child.error(msg.map(String).join(" ")),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: (name) => {
      child = log.child({ component: name });
    },
  };
}
