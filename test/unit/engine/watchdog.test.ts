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

  it("says it queues the step again when its job is over and nothing runs it", () => {
    for (const state of ["unknown", "completed", "failed"]) {
      expect(stuckWords("deploy", 65_000, 5_000, state, "qa")).toEqual({
        what: `${past}; its job ended or is gone without the step's result recorded, and nothing runs it`,
        suggestion:
          "Slipway queues it again and runs it on a free worker; if nothing moves in a few minutes, Abort or /rollback takes qa the way back",
      });
    }
  });

  it("says why it will not run the step again when its action is not safe to repeat", () => {
    for (const state of ["unknown", "completed", "failed"]) {
      expect(stuckWords("backup", 65_000, 5_000, state, "qa", "backup")).toEqual({
        what: "step backup has been running for 1m 05s, past its 5s timeout; its job ended or is gone without the step's result recorded, and nothing runs it (its backup may have half happened)",
        suggestion:
          "Slipway will not run it again by itself, as the target marks backup not safe to repeat; check the target, then Abort or /rollback takes qa the way back",
      });
    }
  });

  it("says the same as before of a job a worker holds or will take, whatever the action", () => {
    expect(stuckWords("deploy", 65_000, 5_000, "active", "qa", "deploy")).toEqual(
      stuckWords("deploy", 65_000, 5_000, "active", "qa"),
    );
    expect(stuckWords("deploy", 65_000, 5_000, "delayed", "qa", "deploy")).toEqual(
      stuckWords("deploy", 65_000, 5_000, "delayed", "qa"),
    );
  });
});
