/*
 * Helpers that make user input safe to quote back in a message.
 *
 * Parser messages echo what the user typed ("unknown environment 'prdo'").
 * Whatever that token holds, the quoted form is short, on one line, has no
 * invisible or control characters, and cannot form a Slack mention or link
 * (`<!channel>`, `<@U123>`, `<https://…|…>`), because angle brackets are
 * replaced by look-alike guillemets. Renderers still escape text for mrkdwn;
 * this is a second line of defence, not a replacement for that.
 */

/** Controls (C0, C1, DEL), line and paragraph separators, and invisible format characters (zero-width, bidi overrides, BOM, tags). */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const INVISIBLE_RUNS = new RegExp(`${INVISIBLE.source}+`, "gu");

/** Shown in place of each run of invisible or control characters. */
export const REPLACEMENT_CHAR = "\ufffd";

export function isInvisible(char: string): boolean {
  return INVISIBLE.test(char);
}

/** Removes control and invisible format characters; keeps everything else. */
export function stripInvisible(text: string): string {
  return text.replace(INVISIBLE_RUNS, "");
}

/**
 * Cuts `text` to at most `max` code points, ending in "…" when cut. Works on
 * code points so a surrogate pair is never split.
 */
export function truncate(text: string, max: number): string {
  const points = Array.from(text);
  if (points.length <= max) return text;
  return `${points.slice(0, Math.max(0, max - 1)).join("")}…`;
}

/**
 * A user token made safe to echo, wrapped in single quotes: runs of control
 * or invisible characters (newlines and tabs included) become "�" so the user
 * sees something was there, other whitespace runs become one space, `<` and `>` become `‹` and `›`, and the
 * result is at most `max` code points between the quotes.
 *
 * @param max longest quoted content in code points; default 40
 */
export function quoteToken(text: string, max = 40): string {
  const cleaned = text
    .replace(INVISIBLE_RUNS, REPLACEMENT_CHAR)
    .replace(/\s+/gu, " ")
    .replace(/</g, "‹")
    .replace(/>/g, "›");
  return `'${truncate(cleaned, max)}'`;
}

const NAMED_CHARS: Readonly<Record<string, string>> = {
  " ": "a space",
  ";": "a semicolon (;)",
  $: "a dollar sign ($)",
  "`": "a backtick",
  "'": "a single quote",
  '"': "a double quote",
  "/": "a slash (/)",
  "\\": "a backslash",
  "|": "a pipe (|)",
  "&": "an ampersand (&)",
  "<": "a less-than sign (U+003C)",
  ">": "a greater-than sign (U+003E)",
  "*": "an asterisk (*)",
  "(": "a parenthesis",
  ")": "a parenthesis",
  "{": "a brace",
  "}": "a brace",
  "~": "a tilde (~)",
  "=": "an equals sign (=)",
  ",": "a comma (,)",
  _: "an underscore (_)",
};

function codePointLabel(char: string): string {
  const point = char.codePointAt(0) ?? 0;
  return `U+${point.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Names one character for a message, e.g. "a semicolon (;)" or "an invisible character (U+200B)". */
export function describeChar(char: string): string {
  const named = NAMED_CHARS[char];
  if (named !== undefined) return named;
  if (isInvisible(char) || /\s/u.test(char)) return `an invisible or control character (${codePointLabel(char)})`;
  if (/^[\x21-\x7e]$/.test(char)) return `'${char}'`;
  return `'${char}' (${codePointLabel(char)}, not a plain ASCII character)`;
}

/** Decodes the three HTML entities Slack uses in command text: `&amp;`, `&lt;`, `&gt;`. */
export function decodeSlackEntities(text: string): string {
  return text.replace(/&(amp|lt|gt);/g, (_match, name: string) => {
    switch (name) {
      case "lt":
        return "<";
      case "gt":
        return ">";
      default:
        return "&";
    }
  });
}

/**
 * Free text a person typed (a reason), made safe to place inside Slipway's
 * own Slack messages: the characters Slack treats as markup become
 * look-alikes, so nobody's words can mention a channel or forge a link.
 */
export function plainWords(text: string): string {
  return stripInvisible(text).replace(/</g, "‹").replace(/>/g, "›").replace(/&/g, "＆").trim();
}
