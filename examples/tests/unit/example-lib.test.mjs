// Unit tests of the example service's helpers, run by examples/stages/run-tests.mjs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { context, stateDir } from "../../lib/example.mjs";
import { parseVersion } from "../../lib/versions.mjs";

describe("context", () => {
  test("reads the deployment Slipway passes in", () => {
    const ctx = context({ SLIPWAY_SERVICE: "web", SLIPWAY_VERSION: "v2.0.0", SLIPWAY_ATTEMPT: "3" });
    assert.equal(ctx.service, "web");
    assert.equal(ctx.version, "v2.0.0");
    assert.equal(ctx.attempt, 3);
  });

  test("falls back to a manual run", () => {
    const ctx = context({});
    assert.equal(ctx.deploymentId, "manual");
    assert.equal(ctx.attempt, 1);
  });

  test("keeps its state where SLIPWAY_EXAMPLE_STATE says", () => {
    assert.equal(stateDir({ SLIPWAY_EXAMPLE_STATE: "/tmp/x" }), "/tmp/x");
  });
});

describe("versions", () => {
  test("parses the parts of a release", () => {
    assert.deepEqual(parseVersion("v1.2.3-rc1"), { major: 1, minor: 2, patch: 3, tag: "rc1" });
  });

  test("refuses what is not a version", () => {
    assert.equal(parseVersion("latest"), undefined);
  });

  // A release whose name says "untested" fails here, as a real regression would: its report counts the failure.
  test("the version being deployed is releasable", () => {
    const version = process.env.SLIPWAY_VERSION ?? "v0.0.0";
    assert.ok(!version.includes("untested"), `${version} is marked untested`);
  });
});
