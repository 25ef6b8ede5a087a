import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

const env = { SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s" };

describe("the watchdog's timing in the configuration", () => {
  it("looks every 30 s, waits two quiet minutes, and gives a step a minute past its timeout by default", () => {
    expect(loadConfig(env).watchdog).toEqual({ everyMs: 30_000, quietMs: 120_000, graceMs: 60_000 });
  });

  it("is read from SLIPWAY_WATCHDOG_EVERY_MS, SLIPWAY_WATCHDOG_QUIET_MS and SLIPWAY_WATCHDOG_GRACE_MS", () => {
    const config = loadConfig({
      ...env,
      SLIPWAY_WATCHDOG_EVERY_MS: "2000",
      SLIPWAY_WATCHDOG_QUIET_MS: "5000",
      SLIPWAY_WATCHDOG_GRACE_MS: "1000",
    });
    expect(config.watchdog).toEqual({ everyMs: 2_000, quietMs: 5_000, graceMs: 1_000 });
  });

  it("refuses a value that is not a whole number of milliseconds in range, saying which and what it takes", () => {
    const problems = (extra: Record<string, string>): readonly string[] => {
      try {
        loadConfig({ ...env, ...extra });
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      return [];
    };
    expect(problems({ SLIPWAY_WATCHDOG_EVERY_MS: "500" })).toEqual([
      "SLIPWAY_WATCHDOG_EVERY_MS must be a whole number of milliseconds from 1000 to 600000",
    ]);
    expect(problems({ SLIPWAY_WATCHDOG_QUIET_MS: "two minutes" })).toEqual([
      "SLIPWAY_WATCHDOG_QUIET_MS must be a whole number of milliseconds from 1000 to 3600000",
    ]);
    expect(problems({ SLIPWAY_WATCHDOG_GRACE_MS: "1500.5" })).toEqual([
      "SLIPWAY_WATCHDOG_GRACE_MS must be a whole number of milliseconds from 1000 to 3600000",
    ]);
  });
});
