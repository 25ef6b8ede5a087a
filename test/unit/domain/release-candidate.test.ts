import { describe, expect, it } from "vitest";
import { candidateMarker, candidatePrefix, nextCandidate } from "../../../src/domain/release-candidate.js";

describe("candidatePrefix", () => {
  it.each([
    ["v1.3.0", "v1.3.0-rc"],
    ["1.3.0", "1.3.0-rc"],
    ["v1.3.0-rc2", "v1.3.0-rc"],
    ["v1.3.0+build.5", "v1.3.0-rc"],
  ])("%s → %s", (version, prefix) => {
    expect(candidatePrefix(version)).toBe(prefix);
  });
});

describe("nextCandidate", () => {
  const tag = (name: string, id: string) => ({ name, message: `Release candidate\n\n${candidateMarker(id)}` });

  it("starts at rc1", () => {
    expect(nextCandidate("v1.3.0", "d1", [])).toEqual({ kind: "create", name: "v1.3.0-rc1" });
  });

  it("takes the number after the highest, gaps and other versions' tags left alone", () => {
    const tags = [tag("v1.3.0-rc1", "d1"), tag("v1.3.0-rc3", "d2"), tag("v1.4.0-rc9", "d3"), tag("v1.3.0-rc1x", "d4")];
    expect(nextCandidate("v1.3.0", "d5", tags)).toEqual({ kind: "create", name: "v1.3.0-rc4" });
  });

  it("finds the tag its own deployment made instead of making another", () => {
    const tags = [tag("v1.3.0-rc1", "d1"), tag("v1.3.0-rc2", "d2")];
    expect(nextCandidate("v1.3.0", "d1", tags)).toEqual({ kind: "exists", name: "v1.3.0-rc1" });
    expect(nextCandidate("v1.3.0", "d2", tags)).toEqual({ kind: "exists", name: "v1.3.0-rc2" });
  });

  it("does not take a mention of the id inside a longer line for its own tag", () => {
    const tags = [{ name: "v1.3.0-rc1", message: `Release\n\n${candidateMarker("d10")}` }];
    expect(nextCandidate("v1.3.0", "d1", tags)).toEqual({ kind: "create", name: "v1.3.0-rc2" });
  });
});
