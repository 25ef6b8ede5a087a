import { describe, expect, it } from "vitest";
import { type Deployment, moveTo } from "../../../src/domain/deployment.js";
import type { FlagStanding } from "../../../src/domain/feature-flag.js";
import { flagActionId } from "../../../src/slack/action-ids.js";
import { renderRootMessage } from "../../../src/slack/renderers/deployment-message.js";
import { flagControls, flagLine } from "../../../src/slack/renderers/feature-flag.js";
import { expectWithinSlackLimits } from "../../support/slack-message.js";
import { allStepsSucceeded, flagRelease } from "../../support/test-deployment.js";

const T0 = Date.UTC(2026, 11, 7, 9, 30, 0);
const LIVE: FlagStanding = { code: "live" };
const RESTORING: FlagStanding = { code: "restoring", restoringId: "d-later001", backupId: "web-production-d-later001" };
/** The buttons a release at 10% offers: every other percentage. */
const OTHER_PERCENTS = [0, 25, 50, 100].map(flagActionId);

/** A feature-flag release that flipped its flag to 10% and succeeded. */
function released(): Deployment {
  return moveTo(allStepsSucceeded(flagRelease(T0), T0), "succeeded", T0 + 2_000);
}

/** The action ids of the root message's buttons. */
function buttonIds(blocks: readonly unknown[]): string[] {
  return [...JSON.stringify(blocks).matchAll(/"action_id":"([^"]+)"/g)].map((m) => m[1] ?? "");
}

describe("the root message's flag buttons", () => {
  it("offer the other percentages while the release is live", () => {
    expect(buttonIds(flagControls(released(), LIVE))).toEqual(OTHER_PERCENTS);
  });

  it("are not offered while the restore of a backup holds the environment, and the flag line says why", () => {
    const d = released();
    expect(flagControls(d, RESTORING)).toEqual([]);
    expect(flagLine(d, RESTORING)).toBe(
      "*Feature flag:* `new-checkout` 10% of requests — stays put while backup `web-production-d-later001` of `d-later001` is being restored",
    );
    const root = renderRootMessage(d, T0 + 60_000, RESTORING);
    expectWithinSlackLimits(root);
    expect(buttonIds(root.blocks).filter((id) => OTHER_PERCENTS.includes(id))).toEqual([]);
    // Once it is done, the same release offers them again.
    const after = renderRootMessage(d, T0 + 60_000, LIVE);
    expect(buttonIds(after.blocks).filter((id) => OTHER_PERCENTS.includes(id))).toEqual(OTHER_PERCENTS);
    expect(flagLine(d, LIVE)).toBe("*Feature flag:* `new-checkout` 10% of requests");
  });

  it("are offered by a release still under way whatever holds the environment: it holds it itself", () => {
    const running = { ...released(), state: "running" as const, finishedAt: undefined };
    expect(buttonIds(flagControls(running, RESTORING))).toEqual(OTHER_PERCENTS);
  });
});
