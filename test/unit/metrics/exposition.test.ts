import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { parseExposition, parseSampleValue } from "../../../src/metrics/exposition.js";

const GO_SERVICE = `# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 2.3833e-05
go_gc_duration_seconds{quantile="1"} 0.000177291
go_gc_duration_seconds_sum 0.001929874
go_gc_duration_seconds_count 21
# HELP http_requests_total Requests served, by status.
# TYPE http_requests_total counter
http_requests_total{method="GET",status="200",version="v1.3.0"} 1027 1395066363000
http_requests_total{method="POST",status="500",version="v1.3.0"} 3 1395066363000
# A plain comment that is not HELP or TYPE.
# HELP http_request_duration_seconds Response times.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05",version="v1.3.0"} 24054
http_request_duration_seconds_bucket{le="0.1",version="v1.3.0"} 33444
http_request_duration_seconds_bucket{le="+Inf",version="v1.3.0"} 144320
http_request_duration_seconds_sum{version="v1.3.0"} 53423
http_request_duration_seconds_count{version="v1.3.0"} 144320
# HELP process_max_memory_bytes Maximum amount of virtual memory available in bytes.
# TYPE process_max_memory_bytes gauge
process_max_memory_bytes -1
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 1.2595200e+07
`;

describe("parseExposition", () => {
  it("reads samples, labels, values in every notation and optional timestamps", () => {
    const parsed = parseExposition(GO_SERVICE);
    expect(parsed.problems).toEqual([]);
    expect(parsed.samples).toHaveLength(13);
    expect(parsed.samples[0]).toEqual({ name: "go_gc_duration_seconds", labels: { quantile: "0" }, value: 2.3833e-5 });
    expect(parsed.samples.find((s) => s.name === "http_requests_total")).toEqual({
      name: "http_requests_total",
      labels: { method: "GET", status: "200", version: "v1.3.0" },
      value: 1027,
      timestampMs: 1395066363000,
    });
    const inf = parsed.samples.find((s) => s.labels.le === "+Inf");
    expect(inf?.value).toBe(144320);
    expect(parsed.samples.find((s) => s.name === "process_max_memory_bytes")?.value).toBe(-1);
    expect(parsed.samples.find((s) => s.name === "process_resident_memory_bytes")?.value).toBe(12_595_200);
  });

  it("keeps HELP and TYPE by family", () => {
    const parsed = parseExposition(GO_SERVICE);
    expect(parsed.types.get("http_requests_total")).toBe("counter");
    expect(parsed.types.get("http_request_duration_seconds")).toBe("histogram");
    expect(parsed.types.get("go_gc_duration_seconds")).toBe("summary");
    expect(parsed.help.get("http_requests_total")).toBe("Requests served, by status.");
  });

  it("unescapes label values and help text", () => {
    const text = [
      "# HELP odd_total A help with a \\\\ backslash and a\\nnew line.",
      'odd_total{path="C:\\\\temp",quote="say \\"hi\\"",lines="a\\nb"} 1',
    ].join("\n");
    const parsed = parseExposition(text);
    expect(parsed.problems).toEqual([]);
    expect(parsed.help.get("odd_total")).toBe("A help with a \\ backslash and a\nnew line.");
    expect(parsed.samples[0]?.labels).toEqual({ path: "C:\\temp", quote: 'say "hi"', lines: "a\nb" });
  });

  it("reads +Inf, -Inf and NaN values, label commas and braces inside values, spacing and CRLF", () => {
    const text = 'a{x="1",} +Inf\r\nb -Inf\r\nc NaN\r\nd{ x = "}{,=" , y="2" }\t42 \r\ne{} 7\r\n  f 1e3 -5\r\n';
    const parsed = parseExposition(text);
    expect(parsed.problems).toEqual([]);
    const byName = new Map(parsed.samples.map((s) => [s.name, s]));
    expect(byName.get("a")).toEqual({ name: "a", labels: { x: "1" }, value: Number.POSITIVE_INFINITY });
    expect(byName.get("b")?.value).toBe(Number.NEGATIVE_INFINITY);
    expect(byName.get("c")?.value).toBeNaN();
    expect(byName.get("d")?.labels).toEqual({ x: "}{,=", y: "2" });
    expect(byName.get("d")?.value).toBe(42);
    expect(byName.get("e")?.labels).toEqual({});
    expect(byName.get("f")).toEqual({ name: "f", labels: {}, value: 1000, timestampMs: -5 });
  });

  it("skips unreadable lines, reports them with their number and keeps the rest", () => {
    const text = [
      "good_one 1",
      "9starts_with_digit 1",
      'unclosed{a="1" 2',
      "no_value",
      "bad_value abc",
      'twice{a="1",a="2"} 3',
      "bad_timestamp 1 12.5",
      "trailing 1 2 3",
      "# TYPE weird_total sometype",
      "good_two 2",
    ].join("\n");
    const parsed = parseExposition(text);
    expect(parsed.samples.map((s) => s.name)).toEqual(["good_one", "good_two"]);
    expect(parsed.problems.map((p) => p.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(parsed.problems[3]?.message).toBe("'abc' is not a number");
    expect(parsed.problems[4]?.message).toBe("label 'a' appears twice");
    expect(parsed.problems[7]?.message).toMatch(/unknown type 'sometype'/);
  });

  it("does not let a label named __proto__ touch the prototype", () => {
    const parsed = parseExposition('x{__proto__="evil"} 1');
    const labels = parsed.samples[0]?.labels ?? {};
    expect(Object.hasOwn(labels, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
  });

  it("reads what prom-client serves", async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ version: "v2.0.0-rc.1" });
    const requests = new Counter({
      name: "http_requests_total",
      help: "Requests",
      labelNames: ["status"],
      registers: [registry],
    });
    const duration = new Histogram({
      name: "http_request_duration_seconds",
      help: "Response times",
      buckets: [0.1, 0.5, 1],
      registers: [registry],
    });
    const gauge = new Gauge({
      name: "odd_gauge",
      help: 'A "quoted" \\ help',
      labelNames: ["path"],
      registers: [registry],
    });
    requests.inc({ status: "200" }, 97);
    requests.inc({ status: "503" }, 3);
    for (const seconds of [0.05, 0.2, 0.3, 0.7, 2]) duration.observe(seconds);
    gauge.set({ path: 'C:\\dir "x"\nnext' }, Number.NaN);

    const parsed = parseExposition(await registry.metrics());
    expect(parsed.problems).toEqual([]);
    expect(parsed.types.get("http_request_duration_seconds")).toBe("histogram");
    const status503 = parsed.samples.find((s) => s.name === "http_requests_total" && s.labels.status === "503");
    expect(status503).toMatchObject({ value: 3, labels: { version: "v2.0.0-rc.1" } });
    const buckets = parsed.samples
      .filter((s) => s.name === "http_request_duration_seconds_bucket")
      .map((s) => [s.labels.le, s.value]);
    expect(buckets).toEqual([
      ["0.1", 1],
      ["0.5", 3],
      ["1", 4],
      ["+Inf", 5],
    ]);
    const odd = parsed.samples.find((s) => s.name === "odd_gauge");
    expect(odd?.labels.path).toBe('C:\\dir "x"\nnext');
    expect(odd?.value).toBeNaN();
  });
});

describe("parseSampleValue", () => {
  it.each([
    ["1", 1],
    ["-1.5", -1.5],
    ["1e-3", 0.001],
    ["2.5E+2", 250],
    [".5", 0.5],
    ["+Inf", Number.POSITIVE_INFINITY],
    ["inf", Number.POSITIVE_INFINITY],
    ["-Inf", Number.NEGATIVE_INFINITY],
  ])("%s → %d", (text, value) => {
    expect(parseSampleValue(text)).toBe(value);
  });

  it("reads NaN and refuses what is not a number", () => {
    expect(parseSampleValue("NaN")).toBeNaN();
    expect(parseSampleValue("")).toBeUndefined();
    expect(parseSampleValue("0x10")).toBeUndefined();
    expect(parseSampleValue("1,5")).toBeUndefined();
    expect(parseSampleValue("Infinityx")).toBeUndefined();
  });
});
