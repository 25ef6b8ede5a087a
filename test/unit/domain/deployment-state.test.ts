import { describe, expect, it } from "vitest";
import {
  assertTransition,
  canTransition,
  DEPLOYMENT_STATES,
  type DeploymentState,
  describeState,
  FINAL_STATES,
  IllegalTransitionError,
  isFinal,
} from "../../../src/domain/deployment-state.js";

/** The allowed moves, written out independently of the module under test. */
const ALLOWED: ReadonlySet<string> = new Set([
  "requested->checking",
  "requested->running",
  "requested->cancelled",
  "requested->failed",
  "checking->awaiting_approval",
  "checking->running",
  "checking->failed",
  "checking->cancelled",
  "checking->expired",
  "awaiting_approval->running",
  "awaiting_approval->rejected",
  "awaiting_approval->expired",
  "awaiting_approval->cancelled",
  "running->monitoring",
  "running->succeeded",
  "running->failed",
  "running->rolling_back",
  "running->cancelled",
  "monitoring->succeeded",
  "monitoring->rolling_back",
  "monitoring->failed",
  "rolling_back->rolled_back",
  "rolling_back->failed",
]);

const FINALS: readonly DeploymentState[] = ["succeeded", "failed", "rolled_back", "rejected", "cancelled", "expired"];

const pairs = DEPLOYMENT_STATES.flatMap((from) => DEPLOYMENT_STATES.map((to) => [from, to] as const));

describe("deployment state machine", () => {
  it("has the twelve states of the spec", () => {
    expect([...DEPLOYMENT_STATES].sort()).toEqual(
      [
        "requested",
        "checking",
        "awaiting_approval",
        "running",
        "monitoring",
        "succeeded",
        "failed",
        "rolling_back",
        "rolled_back",
        "rejected",
        "cancelled",
        "expired",
      ].sort(),
    );
  });

  it("covers all 144 pairs", () => {
    expect(pairs).toHaveLength(144);
  });

  it.each(pairs.filter(([from, to]) => ALLOWED.has(`${from}->${to}`)))("allows %s → %s", (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  it.each(pairs.filter(([from, to]) => !ALLOWED.has(`${from}->${to}`)))("refuses %s → %s", (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => assertTransition(from, to)).toThrow(IllegalTransitionError);
  });

  it("refuses with a coded error that names both states", () => {
    let caught: unknown;
    try {
      assertTransition("succeeded", "running");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(IllegalTransitionError);
    const error = caught as IllegalTransitionError;
    expect(error.code).toBe("illegal_transition");
    expect(error.from).toBe("succeeded");
    expect(error.to).toBe("running");
    expect(error.message).toBe("a deployment cannot move from succeeded to running");
    expect(error.name).toBe("IllegalTransitionError");
  });

  it("never allows staying in the same state", () => {
    for (const state of DEPLOYMENT_STATES) expect(canTransition(state, state)).toBe(false);
  });

  it("final states are exactly the six ends and have no exits", () => {
    expect([...FINAL_STATES].sort()).toEqual([...FINALS].sort());
    for (const state of DEPLOYMENT_STATES) {
      expect(isFinal(state)).toBe(FINALS.includes(state));
      if (isFinal(state)) {
        for (const to of DEPLOYMENT_STATES) expect(canTransition(state, to)).toBe(false);
      }
    }
  });

  it("every non-final state can reach a final state", () => {
    for (const start of DEPLOYMENT_STATES) {
      const seen = new Set<DeploymentState>([start]);
      const queue: DeploymentState[] = [start];
      while (queue.length > 0) {
        const state = queue.shift() as DeploymentState;
        for (const to of DEPLOYMENT_STATES) {
          if (canTransition(state, to) && !seen.has(to)) {
            seen.add(to);
            queue.push(to);
          }
        }
      }
      expect([...seen].some(isFinal), start).toBe(true);
    }
  });

  it("only running and monitoring can start a rollback", () => {
    const into = DEPLOYMENT_STATES.filter((s) => canTransition(s, "rolling_back"));
    expect(into).toEqual(["running", "monitoring"]);
    expect(DEPLOYMENT_STATES.filter((s) => canTransition(s, "rolled_back"))).toEqual(["rolling_back"]);
  });

  it.each([
    ["requested", "Requested"],
    ["checking", "Running checklist"],
    ["awaiting_approval", "Awaiting approval"],
    ["running", "In progress"],
    ["monitoring", "Monitoring"],
    ["succeeded", "Succeeded"],
    ["failed", "Failed"],
    ["rolling_back", "Rolling back"],
    ["rolled_back", "Rolled back"],
    ["rejected", "Rejected"],
    ["cancelled", "Cancelled"],
    ["expired", "Expired"],
  ] as const)("describes %s as %s", (state, words) => {
    expect(describeState(state)).toBe(words);
  });
});
