// A steady load generator for the example stack.
//
//   node examples/load/load.mjs --url http://127.0.0.1:N/ [--rps 50] [--duration 30s] [--count N]
//                               [--timeout 5s] [--report <file>] [--parent <pid>]
//
// Sends GET requests at a fixed rate (one connection each, no retries) until
// --duration has passed or --count requests were sent (default rps × duration),
// then waits for the answers. Prints {"started":true,…} at the start and the
// report as one JSON line at the end, and writes it to --report. SIGTERM, SIGINT
// or the --parent process going away end it early, with a report.
//
// Report: {url, rps, sent, ok, failed, byStatus, byVersion, failures, latencyMs: {p50, p95, max}, durationMs}.
// A failure is any answer other than 2xx, or no answer; byVersion counts the
// `version` field of JSON bodies.
import { writeFileSync } from "node:fs";
import http from "node:http";
import { parseArgs } from "node:util";
import { stopWith } from "../lib/process.mjs";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    rps: { type: "string", default: "50" },
    duration: { type: "string", default: "30s" },
    count: { type: "string" },
    timeout: { type: "string", default: "5s" },
    report: { type: "string" },
    parent: { type: "string" },
  },
});

function ms(text) {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text ?? "");
  if (!match) throw new Error(`'${text}' is not a duration (e.g. 500ms, 30s, 2m)`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000 }[match[2] ?? "s"];
}

const rps = Number(args.rps);
if (!args.url || !(rps > 0 && rps <= 1000)) {
  console.error("usage: load.mjs --url <url> [--rps 1–1000] [--duration 30s] [--count N] [--report <file>]");
  process.exit(2);
}
const durationMs = ms(args.duration);
const timeoutMs = ms(args.timeout);
const limit = Number(args.count ?? Math.ceil((rps * durationMs) / 1000));
const agent = new http.Agent({ keepAlive: false });

const report = { url: args.url, rps, sent: 0, ok: 0, failed: 0, byStatus: {}, byVersion: {}, failures: [] };
const latencies = [];
const inFlight = new Set();
let stopped = false;

function record(status, version, latency, problem) {
  report.byStatus[status] = (report.byStatus[status] ?? 0) + 1;
  if (version) report.byVersion[version] = (report.byVersion[version] ?? 0) + 1;
  if (latency !== undefined) latencies.push(latency);
  if (problem) {
    report.failed += 1;
    if (report.failures.length < 20) report.failures.push(problem);
  } else report.ok += 1;
}

function fire() {
  const started = performance.now();
  report.sent += 1;
  const done = new Promise((resolve) => {
    const req = http.get(args.url, { agent, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("error", (error) => {
        record("error", undefined, undefined, error.message);
        resolve();
      });
      res.on("end", () => {
        let version;
        try {
          version = JSON.parse(Buffer.concat(chunks).toString()).version;
        } catch {}
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        record(res.statusCode, version, performance.now() - started, ok ? undefined : `HTTP ${res.statusCode}`);
        resolve();
      });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (error) => {
      record("error", undefined, undefined, error.code ?? error.message);
      resolve();
    });
  });
  inFlight.add(done);
  done.then(() => inFlight.delete(done));
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 10) / 10;
}

const start = performance.now();
stopWith(Number(args.parent ?? process.ppid), () => {
  stopped = true;
});
console.log(JSON.stringify({ started: true, url: args.url, rps, limit, pid: process.pid }));
while (!stopped && report.sent < limit && performance.now() - start < durationMs) {
  fire();
  const next = start + (report.sent * 1000) / rps;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
}
await Promise.all(inFlight);
const sorted = latencies.sort((a, b) => a - b);
report.latencyMs = { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: percentile(sorted, 100) };
report.durationMs = Math.round(performance.now() - start);
if (args.report) writeFileSync(args.report, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report));
process.exit(0);
