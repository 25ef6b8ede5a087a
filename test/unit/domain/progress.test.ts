import { describe, expect, it } from "vitest";
import { formatDuration, progressBar } from "../../../src/domain/progress.js";

describe("progressBar", () => {
  it.each([
    [0, "░░░░░░░░░░ 0%"],
    [80, "████████░░ 80%"],
    [100, "██████████ 100%"],
    [33.4, "███░░░░░░░ 33%"],
    [66.6, "███████░░░ 67%"],
    [5, "█░░░░░░░░░ 5%"],
    [4, "░░░░░░░░░░ 4%"],
    [99.6, "██████████ 100%"],
    [-20, "░░░░░░░░░░ 0%"],
    [250, "██████████ 100%"],
    [Number.NaN, "░░░░░░░░░░ 0%"],
    [Number.POSITIVE_INFINITY, "██████████ 100%"],
  ])("%d%% → %s", (percent, bar) => {
    expect(progressBar(percent)).toBe(bar);
  });

  it("honours the width", () => {
    expect(progressBar(50, 4)).toBe("██░░ 50%");
    expect(progressBar(50, 20)).toBe(`${"█".repeat(10)}${"░".repeat(10)} 50%`);
    expect(progressBar(100, 0)).toBe("█ 100%");
    expect(progressBar(0, 2.6)).toBe("░░░ 0%");
  });

  it("always draws exactly width cells", () => {
    for (let p = 0; p <= 100; p += 1) {
      const cells = progressBar(p, 7).split(" ")[0] ?? "";
      expect(Array.from(cells)).toHaveLength(7);
    }
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [-5, "0s"],
    [Number.NaN, "0s"],
    [850, "850ms"],
    [1000, "1s"],
    [42_000, "42s"],
    [42_999, "42s"],
    [59_999, "59s"],
    [60_000, "1m 00s"],
    [185_000, "3m 05s"],
    [3_599_000, "59m 59s"],
    [3_600_000, "1h 00m"],
    [3_720_000, "1h 02m"],
    [86_399_000, "23h 59m"],
    [86_400_000, "1d 00h"],
    [183_600_000, "2d 03h"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
