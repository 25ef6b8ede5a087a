import { describe, expect, it } from "vitest";
import {
  DEPLOYMENT_ID_ALPHABET,
  DEPLOYMENT_ID_EXAMPLE,
  deploymentIdFrom,
  isDeploymentId,
  normalizeDeploymentId,
} from "../../../src/domain/ids.js";

const T0 = 1_700_000_000_000;

/** A small seeded generator (mulberry32) so the test is repeatable. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("deploymentIdFrom", () => {
  it("makes d- and eight symbols from the alphabet", () => {
    const id = deploymentIdFrom(seeded(1), T0);
    expect(id).toMatch(/^d-[23456789abcdefghjkmnpqrstuvwxyz]{8}$/);
    expect(isDeploymentId(id)).toBe(true);
  });

  it("uses no look-alike characters", () => {
    expect(DEPLOYMENT_ID_ALPHABET).toHaveLength(31);
    for (const ambiguous of ["0", "o", "1", "l", "i"]) expect(DEPLOYMENT_ID_ALPHABET).not.toContain(ambiguous);
    expect(new Set(DEPLOYMENT_ID_ALPHABET).size).toBe(31);
    expect(DEPLOYMENT_ID_ALPHABET).toBe(DEPLOYMENT_ID_ALPHABET.toLowerCase());
  });

  it("is a pure function of its inputs", () => {
    expect(deploymentIdFrom(seeded(7), T0)).toBe(deploymentIdFrom(seeded(7), T0));
    const bytes = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(deploymentIdFrom(bytes, T0)).toBe(deploymentIdFrom(bytes, T0));
  });

  it("differs at different times even with a repeated random source", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i += 1) ids.add(deploymentIdFrom(() => 0.5, T0 + i));
    expect(ids.size).toBe(1000);
  });

  it("gives no collisions over 20 000 ids from a seeded source at one instant", () => {
    const random = seeded(42);
    const ids = new Set<string>();
    for (let i = 0; i < 20_000; i += 1) ids.add(deploymentIdFrom(random, T0));
    expect(ids.size).toBe(20_000);
  });

  it("spreads symbols over the whole alphabet", () => {
    const random = seeded(3);
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i += 1) {
      for (const ch of deploymentIdFrom(random, T0).slice(2)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    expect(counts.size).toBe(31);
    const expected = (4000 * 8) / 31;
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(expected * 0.8);
      expect(n).toBeLessThan(expected * 1.2);
    }
  });

  it("accepts random bytes and needs at least eight", () => {
    const id = deploymentIdFrom(Uint8Array.from([255, 255, 255, 255, 255, 255, 255, 255, 9]), T0);
    expect(isDeploymentId(id)).toBe(true);
    expect(() => deploymentIdFrom(new Uint8Array(7), T0)).toThrow(
      new RangeError("a deployment id needs at least 8 random bytes, got 7"),
    );
  });

  it("copes with a random function that strays outside [0, 1)", () => {
    for (const value of [1, 1.5, -0.2, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(isDeploymentId(deploymentIdFrom(() => value, T0))).toBe(true);
    }
  });
});

describe("isDeploymentId and normalizeDeploymentId", () => {
  it.each([
    [DEPLOYMENT_ID_EXAMPLE, true],
    ["d-22222222", true],
    ["d-zzzzzzzz", true],
    ["D-7K3M9X2Q", false],
    ["d-7k3m9x2", false],
    ["d-7k3m9x2qq", false],
    ["x-7k3m9x2q", false],
    ["7k3m9x2q", false],
    ["d-7k3m9x2o", false],
    ["d-7k3m9x21", false],
    [" d-7k3m9x2q", false],
    ["d-7k3m9x2q\n", false],
    ["", false],
  ])("isDeploymentId(%j) is %s", (text, expected) => {
    expect(isDeploymentId(text)).toBe(expected);
  });

  it("normalises what people type", () => {
    expect(normalizeDeploymentId("  D-7K3M9X2Q ")).toBe("d-7k3m9x2q");
    expect(normalizeDeploymentId("d-7k3m9x2o")).toBeUndefined();
    expect(normalizeDeploymentId("")).toBeUndefined();
  });
});
