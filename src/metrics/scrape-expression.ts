/*
 * The scrape source's expressions for custom metrics: what to compute from
 * two readings of a version's exposition endpoint, where Prometheus would
 * take a PromQL query. Samples count for a version as the scrape source's
 * own measures do (its version label, or none).
 *
 *   rate(name)                requests per second: the counter's increase / seconds
 *   increase(name)            the counter's increase between the readings
 *   ratio(part, whole)        increase(part) / increase(whole), e.g. conversions / visits
 *   quantile(0.99, name)      histogram_quantile over the increase of name_bucket
 *   value(name)               the gauge's latest value, summed over its series
 *
 * `name` is a metric name; `name{label="value",…}` keeps only the samples
 * whose labels match.
 */

export type ScrapeExpression =
  | { readonly fn: "rate" | "increase" | "value"; readonly metric: MetricSelector }
  | { readonly fn: "ratio"; readonly part: MetricSelector; readonly whole: MetricSelector }
  | { readonly fn: "quantile"; readonly q: number; readonly metric: MetricSelector };

export interface MetricSelector {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

export type ParsedExpression = { ok: true; expression: ScrapeExpression } | { ok: false; message: string };

const FORMS = "rate(name), increase(name), ratio(part, whole), quantile(0.99, name) or value(name)";
const NAME = /^[A-Za-z_:][A-Za-z0-9_:]*$/;
const LABEL = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"\\]*)"\s*$/;

function selector(text: string): MetricSelector | string {
  const trimmed = text.trim();
  const brace = trimmed.indexOf("{");
  const name = brace === -1 ? trimmed : trimmed.slice(0, brace).trim();
  if (!NAME.test(name)) return `'${name}' is not a metric name (letters, digits, _ and :)`;
  if (brace === -1) return { name, labels: {} };
  if (!trimmed.endsWith("}")) return `'${trimmed}' does not close its labels with }`;
  const labels: Record<string, string> = {};
  const inside = trimmed.slice(brace + 1, -1).trim();
  for (const part of inside === "" ? [] : inside.split(",")) {
    const match = LABEL.exec(part);
    if (!match?.[1]) return `'${part.trim()}' is not a label matcher such as status="200"`;
    labels[match[1]] = match[2] ?? "";
  }
  return { name, labels };
}

/** Splits `a, b` at its top-level comma (commas inside braces belong to labels). */
function splitArguments(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (char === "{") depth += 1;
    else if (char === "}") depth -= 1;
    else if (char === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** Parses an expression, or says what is wrong with it and what may be written. */
export function parseScrapeExpression(text: string): ParsedExpression {
  const match = /^\s*([a-z]+)\s*\((.*)\)\s*$/s.exec(text);
  if (!match?.[1]) return { ok: false, message: `'${text}' is not an expression; write ${FORMS}` };
  const fn = match[1];
  const args = splitArguments(match[2] ?? "");
  const one = (build: (metric: MetricSelector) => ScrapeExpression): ParsedExpression => {
    if (args.length !== 1) return { ok: false, message: `${fn}() takes one metric, e.g. ${fn}(http_requests_total)` };
    const metric = selector(args[0] ?? "");
    return typeof metric === "string" ? { ok: false, message: metric } : { ok: true, expression: build(metric) };
  };
  switch (fn) {
    case "rate":
    case "increase":
    case "value":
      return one((metric) => ({ fn, metric }));
    case "ratio": {
      if (args.length !== 2) {
        return { ok: false, message: "ratio() takes two metrics, e.g. ratio(conversions_total, visits_total)" };
      }
      const part = selector(args[0] ?? "");
      if (typeof part === "string") return { ok: false, message: part };
      const whole = selector(args[1] ?? "");
      if (typeof whole === "string") return { ok: false, message: whole };
      return { ok: true, expression: { fn, part, whole } };
    }
    case "quantile": {
      const q = Number((args[0] ?? "").trim());
      if (args.length !== 2 || !(q >= 0 && q <= 1) || (args[0] ?? "").trim() === "") {
        return {
          ok: false,
          message:
            "quantile() takes a quantile from 0 to 1 and a histogram, e.g. quantile(0.99, http_request_duration_seconds)",
        };
      }
      const metric = selector(args[1] ?? "");
      return typeof metric === "string" ? { ok: false, message: metric } : { ok: true, expression: { fn, q, metric } };
    }
    default:
      return { ok: false, message: `unknown function ${fn}(); write ${FORMS}` };
  }
}
