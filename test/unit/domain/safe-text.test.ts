import { describe, expect, it } from "vitest";
import { closestMatch, editDistance } from "../../../src/domain/near-miss.js";
import {
  decodeSlackEntities,
  describeChar,
  quoteToken,
  stripInvisible,
  truncate,
} from "../../../src/domain/safe-text.js";

describe("quoteToken", () => {
  it.each([
    ["prod", "'prod'"],
    ["a\nb", "'a\ufffdb'"],
    ["a\u0000\u0001\u001bb", "'a\ufffdb'"],
    ["\u202egnp.exe", "'\ufffdgnp.exe'"],
    ["zero\u200bwidth", "'zero\ufffdwidth'"],
    ["<!channel>", "'\u2039!channel\u203a'"],
    ["<@U123|bob>", "'\u2039@U123|bob\u203a'"],
    ["a\u3000\u00a0b", "'a b'"],
    ["x".repeat(40), `'${"x".repeat(40)}'`],
    ["x".repeat(41), `'${"x".repeat(39)}…'`],
    ["\u{1f680}".repeat(50), `'${"\u{1f680}".repeat(39)}…'`],
  ])("%j → %s", (text, quoted) => {
    expect(quoteToken(text)).toBe(quoted);
  });

  it("takes a different limit", () => {
    expect(quoteToken("abcdef", 4)).toBe("'abc…'");
  });
});

describe("truncate and stripInvisible", () => {
  it("never splits a surrogate pair", () => {
    expect(truncate("\u{1f680}\u{1f680}\u{1f680}", 2)).toBe("\u{1f680}…");
    expect(truncate("abc", 3)).toBe("abc");
  });

  it("removes controls and invisible format characters only", () => {
    expect(stripInvisible("a\u0007b\u200dc\u2066d\ufeffe é")).toBe("abcde é");
  });
});

describe("describeChar", () => {
  it.each([
    [" ", "a space"],
    [";", "a semicolon (;)"],
    ["`", "a backtick"],
    ["<", "a less-than sign (U+003C)"],
    ["#", "'#'"],
    ["\n", "an invisible or control character (U+000A)"],
    ["\u00a0", "an invisible or control character (U+00A0)"],
    ["é", "'é' (U+00E9, not a plain ASCII character)"],
    ["\u{1f680}", "'\u{1f680}' (U+1F680, not a plain ASCII character)"],
  ])("%j → %s", (char, words) => {
    expect(describeChar(char)).toBe(words);
  });
});

describe("decodeSlackEntities", () => {
  it("decodes the three entities once, ampersand last", () => {
    expect(decodeSlackEntities("a &lt;b&gt; &amp; c")).toBe("a <b> & c");
    expect(decodeSlackEntities("&amp;lt;")).toBe("&lt;");
    expect(decodeSlackEntities("&quot; &#39;")).toBe("&quot; &#39;");
  });
});

describe("closestMatch", () => {
  const envs = ["development", "staging", "production"];

  it.each([
    ["prod", "production"],
    ["PROD", "production"],
    ["prdo", "production"],
    ["prodd", "production"],
    ["productoin", "production"],
    ["stagign", "staging"],
    ["stage", "staging"],
    ["dev", "development"],
    ["develpment", "development"],
  ])("%s → %s", (typed, meant) => {
    expect(closestMatch(typed, envs)).toBe(meant);
  });

  it.each(["qa", "pr", "live", "x".repeat(100), ""])("%j has no near miss", (typed) => {
    expect(closestMatch(typed, envs)).toBeUndefined();
  });

  it("prefers the name closest in length on a tie and gives up on a real tie", () => {
    expect(closestMatch("stauts", ["stats", "status"])).toBe("status");
    expect(closestMatch("ab", ["ax", "ay"])).toBeUndefined();
    expect(closestMatch("sta", ["staging", "stats"])).toBeUndefined();
  });

  it("counts a swap of neighbours as one edit", () => {
    expect(editDistance("abcd", "abdc")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });
});
