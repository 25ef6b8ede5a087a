/*
 * The Prometheus text exposition format (version 0.0.4), as served on
 * `/metrics`: one sample per line, `# HELP` and `# TYPE` lines, other `#`
 * lines ignored.
 *
 *   # HELP http_requests_total Requests served.
 *   # TYPE http_requests_total counter
 *   http_requests_total{method="GET",status="200"} 1027 1395066363000
 *
 * The parser is lenient by line: a line it cannot read is skipped and
 * reported with its number, so one bad line from an application does not
 * hide the rest of its metrics.
 */

export const METRIC_TYPES = ["counter", "gauge", "histogram", "summary", "untyped"] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** May be NaN or ±Infinity. */
  readonly value: number;
  /** Epoch milliseconds, when the line has one. */
  readonly timestampMs?: number;
}

export interface ExpositionProblem {
  /** 1-based. */
  readonly line: number;
  readonly message: string;
}

export interface Exposition {
  readonly samples: readonly Sample[];
  /** Declared types by metric family name. */
  readonly types: ReadonlyMap<string, MetricType>;
  /** Help text by metric family name, escapes resolved. */
  readonly help: ReadonlyMap<string, string>;
  readonly problems: readonly ExpositionProblem[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

class LineError extends Error {}

/** Reads one line left to right. */
class Cursor {
  position = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.position >= this.text.length;
  }

  peek(): string {
    return this.text[this.position] ?? "";
  }

  skipBlanks(): void {
    while (this.peek() === " " || this.peek() === "\t") this.position += 1;
  }

  match(pattern: RegExp): string | undefined {
    const found = pattern.exec(this.text.slice(this.position));
    if (found === null) return undefined;
    this.position += found[0].length;
    return found[0];
  }

  expect(char: string, what: string): void {
    if (this.peek() !== char) {
      throw new LineError(`expected ${what} at column ${this.position + 1}, found ${this.describeHere()}`);
    }
    this.position += 1;
  }

  token(): string {
    const start = this.position;
    while (!this.done && this.peek() !== " " && this.peek() !== "\t") this.position += 1;
    return this.text.slice(start, this.position);
  }

  describeHere(): string {
    return this.done ? "the end of the line" : `'${this.peek()}'`;
  }
}

/** A label value between double quotes, with `\\`, `\"` and `\n` escapes. */
function readQuoted(cursor: Cursor): string {
  cursor.expect('"', "'\"' opening a label value");
  let value = "";
  for (;;) {
    if (cursor.done) throw new LineError("label value is missing its closing '\"'");
    const char = cursor.peek();
    cursor.position += 1;
    if (char === '"') return value;
    if (char !== "\\") {
      value += char;
      continue;
    }
    const escaped = cursor.peek();
    cursor.position += 1;
    if (escaped === "n") value += "\n";
    else if (escaped === "\\" || escaped === '"') value += escaped;
    else if (escaped === "") throw new LineError("label value ends with a lone '\\'");
    else value += `\\${escaped}`;
  }
}

function readLabels(cursor: Cursor): Record<string, string> {
  const entries: [string, string][] = [];
  cursor.expect("{", "'{'");
  for (;;) {
    cursor.skipBlanks();
    if (cursor.peek() === "}") {
      cursor.position += 1;
      break;
    }
    const name = cursor.match(LABEL_NAME);
    if (name === undefined) throw new LineError(`expected a label name at column ${cursor.position + 1}`);
    if (entries.some(([seen]) => seen === name)) throw new LineError(`label '${name}' appears twice`);
    cursor.skipBlanks();
    cursor.expect("=", `'=' after label '${name}'`);
    cursor.skipBlanks();
    entries.push([name, readQuoted(cursor)]);
    cursor.skipBlanks();
    if (cursor.peek() === ",") {
      cursor.position += 1;
      continue;
    }
    cursor.expect("}", "',' or '}' after a label");
    break;
  }
  return Object.fromEntries(entries);
}

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A sample value as Go's ParseFloat reads it: decimals, exponents, `NaN`, `+Inf`, `-Inf`. */
export function parseSampleValue(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === "nan") return Number.NaN;
  if (lower === "+inf" || lower === "inf" || lower === "+infinity" || lower === "infinity") {
    return Number.POSITIVE_INFINITY;
  }
  if (lower === "-inf" || lower === "-infinity") return Number.NEGATIVE_INFINITY;
  if (!FLOAT.test(text)) return undefined;
  return Number(text);
}

function readSample(line: string): Sample {
  const cursor = new Cursor(line);
  const name = cursor.match(METRIC_NAME);
  if (name === undefined) throw new LineError(`expected a metric name, found ${cursor.describeHere()}`);
  cursor.skipBlanks();
  const labels = cursor.peek() === "{" ? readLabels(cursor) : {};
  cursor.skipBlanks();
  const valueText = cursor.token();
  if (valueText === "") throw new LineError(`metric ${name} has no value`);
  const value = parseSampleValue(valueText);
  if (value === undefined) throw new LineError(`'${valueText}' is not a number`);
  cursor.skipBlanks();
  if (cursor.done) return { name, labels, value };
  const timestampText = cursor.token();
  if (!/^-?\d+$/.test(timestampText)) {
    throw new LineError(`'${timestampText}' is not a timestamp (whole milliseconds since the epoch)`);
  }
  cursor.skipBlanks();
  if (!cursor.done) throw new LineError(`unexpected text after the timestamp: ${cursor.describeHere()}`);
  return { name, labels, value, timestampMs: Number(timestampText) };
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, escaped: string) => (escaped === "n" ? "\n" : "\\"));
}

function isMetricType(value: string): value is MetricType {
  return (METRIC_TYPES as readonly string[]).includes(value);
}

/** Parses exposition text; unreadable lines are skipped and listed in `problems`. */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, MetricType>();
  const help = new Map<string, string>();
  const problems: ExpositionProblem[] = [];
  const lines = text.split("\n");
  lines.forEach((raw, index) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const trimmed = line.trim();
    if (trimmed === "") return;
    try {
      if (trimmed.startsWith("#")) {
        const comment = /^#[ \t]+(HELP|TYPE)[ \t]+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:[ \t]+(.*))?$/.exec(trimmed);
        if (comment === null) return;
        const [, keyword, name = "", rest = ""] = comment;
        if (keyword === "HELP") help.set(name, unescapeHelp(rest));
        else {
          const type = rest.trim().toLowerCase();
          if (!isMetricType(type)) {
            throw new LineError(`unknown type '${rest.trim()}' for ${name} (one of: ${METRIC_TYPES.join(", ")})`);
          }
          types.set(name, type);
        }
        return;
      }
      samples.push(readSample(trimmed));
    } catch (thrown) {
      if (!(thrown instanceof LineError)) throw thrown;
      problems.push({ line: index + 1, message: thrown.message });
    }
  });
  return { samples, types, help, problems };
}
