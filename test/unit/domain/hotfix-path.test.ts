import { describe, expect, it } from "vitest";
import type { DeploymentState } from "../../../src/domain/deployment-state.js";
import { handOff, isFirstLeg, waitsForFirstLeg } from "../../../src/domain/hotfix-path.js";

const PATH = { first: { id: "d-staging", environment: "staging" }, last: { id: "d-prod", environment: "production" } };

describe("the hotfix path's hand-off", () => {
  it.each<[DeploymentState | "gone", "wait" | "go" | "stop"]>([
    ["requested", "wait"],
    ["checking", "wait"],
    ["awaiting_approval", "wait"],
    ["running", "wait"],
    ["monitoring", "wait"],
    ["rolling_back", "wait"],
    ["succeeded", "go"],
    ["failed", "stop"],
    ["rolled_back", "stop"],
    ["rejected", "stop"],
    ["cancelled", "stop"],
    ["expired", "stop"],
    ["gone", "stop"],
  ])("first leg %s: %s", (state, expected) => {
    expect(handOff(state === "gone" ? undefined : { state })).toBe(expected);
  });

  it("tells the first leg from the one waiting for it", () => {
    expect([
      isFirstLeg({ id: "d-staging", hotfixPath: PATH }),
      waitsForFirstLeg({ id: "d-staging", hotfixPath: PATH }),
    ]).toEqual([true, false]);
    expect([
      isFirstLeg({ id: "d-prod", hotfixPath: PATH }),
      waitsForFirstLeg({ id: "d-prod", hotfixPath: PATH }),
    ]).toEqual([false, true]);
    expect([isFirstLeg({ id: "d-other" }), waitsForFirstLeg({ id: "d-other" })]).toEqual([false, false]);
  });
});
