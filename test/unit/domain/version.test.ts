import { describe, expect, it } from "vitest";
import {
  compareVersions,
  InvalidVersionError,
  isValidVersion,
  parseVersion,
  type Version,
} from "../../../src/domain/version.js";

function parsed(text: string): Version {
  const result = parseVersion(text);
  if (!result.ok) throw new Error(result.message);
  return result.version;
}

describe("parseVersion", () => {
  it.each([
    ["v1.2.0", 1, 2, 0, [], []],
    ["1.2.0", 1, 2, 0, [], []],
    ["0.0.0", 0, 0, 0, [], []],
    ["1.2.0-rc1", 1, 2, 0, ["rc1"], []],
    ["v2.0.0-beta.3", 2, 0, 0, ["beta", "3"], []],
    ["1.0.0-alpha-1.0", 1, 0, 0, ["alpha-1", "0"], []],
    ["1.0.0+build.7", 1, 0, 0, [], ["build", "7"]],
    ["v10.20.30-rc.1+sha.5114f85", 10, 20, 30, ["rc", "1"], ["sha", "5114f85"]],
    ["1.0.0+001", 1, 0, 0, [], ["001"]],
  ])("accepts %s", (text, major, minor, patch, prerelease, build) => {
    expect(parseVersion(text)).toEqual({ ok: true, version: { text, major, minor, patch, prerelease, build } });
  });

  it("accepts exactly 64 characters and refuses 65", () => {
    const at64 = `1.0.0-${"a".repeat(58)}`;
    expect(at64).toHaveLength(64);
    expect(isValidVersion(at64)).toBe(true);
    const result = parseVersion(`${at64}a`);
    expect(result).toEqual({
      ok: false,
      message: `version '1.0.0-${"a".repeat(33)}…' is 65 characters long; at most 64 are allowed, e.g. v1.2.0, 1.2.0-rc1 or v2.0.0-beta.3`,
    });
  });

  it.each([
    ["", "a version is required, e.g. v1.2.0, 1.2.0-rc1 or v2.0.0-beta.3"],
    [
      "1.2",
      "version '1.2' is not in the form MAJOR.MINOR.PATCH with an optional 'v' in front, e.g. v1.2.0, 1.2.0-rc1 or v2.0.0-beta.3",
    ],
    ["1.2.3.4", "version '1.2.3.4' is not in the form MAJOR.MINOR.PATCH"],
    ["V1.2.0", "version 'V1.2.0' is not in the form MAJOR.MINOR.PATCH"],
    ["vv1.2.0", "version 'vv1.2.0' is not in the form MAJOR.MINOR.PATCH"],
    ["release-1.2.0", "version 'release-1.2.0' is not in the form MAJOR.MINOR.PATCH"],
    ["1.2.0+a+b", "version '1.2.0+a+b' is not in the form MAJOR.MINOR.PATCH"],
    ["-1.2.0", "version '-1.2.0' is not in the form MAJOR.MINOR.PATCH"],
    ["01.2.0", "version '01.2.0' has a leading zero in its major number '01'; write numbers without leading zeros"],
    ["1.02.0", "has a leading zero in its minor number '02'"],
    ["1.2.00", "has a leading zero in its patch number '00'"],
    ["1.2.0-01", "has a leading zero in its pre-release number '01'"],
    ["1.2.0-", "version '1.2.0-' has an empty pre-release part; after '-' write dot-separated words or numbers"],
    ["1.2.0-rc..1", "has an empty pre-release part"],
    ["1.2.0+", "has an empty build part; after '+' write dot-separated words or numbers"],
    ["99999999999999999.0.0", "has a major number that is too large"],
    ["v1.2.0 ", "version 'v1.2.0 ' contains a space, which is not allowed; use only letters, digits, '.', '-' and '+'"],
    [" v1.2.0", "contains a space"],
    ["1.2.0;rm -rf /", "version '1.2.0;rm -rf /' contains a semicolon (;)"],
    ["$(id)", "contains a dollar sign ($)"],
    ["`id`", "contains a backtick"],
    ["'1.2.0'", "contains a single quote"],
    ['"1.2.0"', "contains a double quote"],
    ["1.2.0/x", "contains a slash (/)"],
    ["1.2.0\\x", "contains a backslash"],
    ["1.2.0|x", "contains a pipe (|)"],
    ["1.2.0&x", "contains an ampersand (&)"],
    ["1.2.0*", "contains an asterisk (*)"],
    ["1.2.0_1", "contains an underscore (_)"],
    ["1.2.0\n", "version '1.2.0\ufffd' contains an invisible or control character (U+000A)"],
    ["1.2.0\t", "contains an invisible or control character (U+0009)"],
    ["1.2.0\u200b", "contains an invisible or control character (U+200B)"],
    ["1.2.0\u00a0", "contains an invisible or control character (U+00A0)"],
    ["\uff11.2.0", "contains '\uff11' (U+FF11, not a plain ASCII character)"],
    ["v1.2.0-\u0440c1", "contains '\u0440' (U+0440, not a plain ASCII character)"],
    ["1\u20242.0", "contains '\u2024' (U+2024, not a plain ASCII character)"],
    ["1.2.0-\u{1f680}", "contains '\u{1f680}' (U+1F680, not a plain ASCII character)"],
    ["<!channel>", "version '\u2039!channel\u203a' contains a less-than sign (U+003C)"],
  ])("refuses %j", (text, message) => {
    const result = parseVersion(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain(message);
    expect(result.message).toMatch(/e\.g\. v1\.2\.0, 1\.2\.0-rc1/);
  });
});

describe("compareVersions", () => {
  const ascending = [
    "1.0.0-1",
    "1.0.0-2",
    "1.0.0-10",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.1.0",
    "1.10.0",
    "2.0.0",
    "10.0.0",
  ];

  it("orders by semver precedence", () => {
    for (let i = 0; i < ascending.length; i += 1) {
      for (let j = 0; j < ascending.length; j += 1) {
        const a = ascending[i] ?? "";
        const b = ascending[j] ?? "";
        expect(compareVersions(a, b), `${a} vs ${b}`).toBe(Math.sign(i - j));
      }
    }
  });

  it("sorts a shuffled list", () => {
    const shuffled = [...ascending].reverse().map(parsed);
    expect(shuffled.sort(compareVersions).map((v) => v.text)).toEqual(ascending);
  });

  it("ignores the v prefix and build metadata", () => {
    expect(compareVersions("v1.2.0", "1.2.0")).toBe(0);
    expect(compareVersions("1.2.0+build.1", "1.2.0+build.2")).toBe(0);
    expect(compareVersions(parsed("v1.2.0-rc1"), "1.2.0")).toBe(-1);
  });

  it("throws InvalidVersionError for a string that is not a version", () => {
    expect(() => compareVersions("1.2", "1.2.0")).toThrow(InvalidVersionError);
    try {
      compareVersions("1.2.0", "latest");
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidVersionError);
      expect((error as InvalidVersionError).code).toBe("invalid_version");
      expect((error as InvalidVersionError).message).toContain("version 'latest' is not in the form MAJOR.MINOR.PATCH");
    }
  });
});
