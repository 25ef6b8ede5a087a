import { describe, expect, it } from "vitest";
import { stuckWords } from "../../../src/engine/watchdog.js";

describe("what the watchdog says of a step past its timeout", () => {
  const past = "step deploy has been running for 1m 05s, past its 5s timeout";

  it("says a worker still holds it and Slipway will not start it twice when its job is active", () => {
    expect(stuckWords("deploy", 65_000, 5_000, "active", "production")).toEqual({
      what: `${past}; its worker still holds it, but the step has not returned (that worker may be stopped or too busy to go on)`,
      suggestion:
        "Slipway will not run it again while that worker holds it; Abort or /rollback takes production the way back",
    });
  });

  it("says it runs again on a free worker when its job waits to be taken over", () => {
    for (const state of ["waiting", "prioritized", "delayed"]) {
      const words = stuckWords("deploy", 65_000, 5_000, state, "staging");
      expect(words.what).toBe(`${past}; its worker was lost and its job waits for another worker`);
      expect(words.suggestion).toBe(
        "Slipway runs it again as soon as a worker is free; if nothing moves in a few minutes, Abort or /rollback takes staging the way back",
      );
    }
  });

  it("says nobody took it over when its job is gone", () => {
    for (const state of ["unknown", "completed", "failed"]) {
      expect(stuckWords("deploy", 65_000, 5_000, state, "qa")).toEqual({
        what: `${past}; its worker is gone and no other worker took it over`,
        suggestion: "Slipway will not run it again by itself; Abort or /rollback takes qa the way back",
      });
    }
  });
});
