// The example service: one process per version and slot.
//
//   node examples/service/server.mjs --version v1.2.0 [--port 0] [--slot stable] [--instance 1] [--parent <pid>]
//
// Prints {"ready":true,"port":N,"pid":P} once listening (port 0 picks a free
// port) and stops on SIGTERM/SIGINT or when the --parent process (default: the
// one that started it) is gone.
//
//   GET /         200 {"version","slot","instance","flags"} after 10–20 ms
//   GET /healthz  200 ok
//   GET /metrics  Prometheus text: http_requests_total{version,status} and
//                 http_request_duration_seconds{version} (requests to / only),
//                 process_cpu_seconds_total, process_resident_memory_bytes,
//                 process_max_memory_bytes (a fixed 256 MiB budget), and the
//                 business side: checkout_visits_total{version} (each GET / answered),
//                 checkout_conversions_total{version} (3 visits in 10)
//                 and active_users{version} (distinct visitors in the last 10 s,
//                 from the x-user header, else one per request)
//
// What the version string contains decides how it misbehaves:
//   bad        20% of GET / answer 500
//   slow       GET / takes 3× as long (30–60 ms)
//   unhealthy  GET /healthz answers 503
//   leak       resident memory grows by 20 MiB a second (up to 320 MiB): past 90%
//              of its budget some 10 seconds after it starts
//   cpu        reports 90% of one core busy on top of its own use (simulated)
//   noconvert  1 visit in 20 converts instead of 3 in 10
//   spike      reports one and a half cores busy for the first 4 s of every 20 s: a
//              short CPU spike that passes, again and again (simulated)
//   anything else behaves.
import { createServer } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { stopWith } from "../lib/process.mjs";

const { values: args } = parseArgs({
  options: {
    version: { type: "string" },
    port: { type: "string", default: "0" },
    slot: { type: "string", default: "stable" },
    instance: { type: "string", default: "1" },
    parent: { type: "string" },
  },
});
const version = args.version;
if (!version) {
  console.error("usage: server.mjs --version <version> [--port 0] [--slot stable] [--instance 1] [--parent <pid>]");
  process.exit(2);
}
const has = (word) => version.includes(word);
const MAX_MEMORY = 256 * 1024 * 1024;
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const requests = new Map();
const business = { visits: 0, conversions: 0 };
/** Visitor → when last seen (ms), for active_users. */
const visitors = new Map();
const histogram = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };

function observe(status, seconds) {
  requests.set(status, (requests.get(status) ?? 0) + 1);
  BUCKETS.forEach((bound, i) => {
    if (seconds <= bound) histogram.buckets[i] += 1;
  });
  histogram.sum += seconds;
  histogram.count += 1;
}

function metrics() {
  const v = `version="${version}"`;
  const cpu = process.cpuUsage();
  return [
    "# HELP http_requests_total Requests to / by version and status.",
    "# TYPE http_requests_total counter",
    ...[...requests].map(([status, n]) => `http_requests_total{${v},status="${status}"} ${n}`),
    "# HELP http_request_duration_seconds Time to answer GET /.",
    "# TYPE http_request_duration_seconds histogram",
    ...BUCKETS.map((bound, i) => `http_request_duration_seconds_bucket{${v},le="${bound}"} ${histogram.buckets[i]}`),
    `http_request_duration_seconds_bucket{${v},le="+Inf"} ${histogram.count}`,
    `http_request_duration_seconds_sum{${v}} ${histogram.sum}`,
    `http_request_duration_seconds_count{${v}} ${histogram.count}`,
    "# HELP process_cpu_seconds_total User and system CPU time spent.",
    "# TYPE process_cpu_seconds_total counter",
    `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6 + simulatedCpuSeconds()}`,
    "# HELP process_resident_memory_bytes Resident memory size.",
    "# TYPE process_resident_memory_bytes gauge",
    `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
    "# HELP process_max_memory_bytes Memory budget of this service.",
    "# TYPE process_max_memory_bytes gauge",
    `process_max_memory_bytes ${MAX_MEMORY}`,
    "# HELP checkout_visits_total Visits to the shop.",
    "# TYPE checkout_visits_total counter",
    `checkout_visits_total{${v}} ${business.visits}`,
    "# HELP checkout_conversions_total Visits that ended in a purchase.",
    "# TYPE checkout_conversions_total counter",
    `checkout_conversions_total{${v}} ${business.conversions}`,
    "# HELP active_users Distinct visitors in the last 10 seconds.",
    "# TYPE active_users gauge",
    `active_users{${v}} ${activeUsers()}`,
    "",
  ].join("\n");
}

function activeUsers() {
  const since = Date.now() - 10_000;
  for (const [who, at] of visitors) if (at < since) visitors.delete(who);
  return visitors.size;
}

function visit(req) {
  business.visits += 1;
  visitors.set(req.headers["x-user"] || `anonymous-${business.visits}`, Date.now());
  // Steady rather than random, so a short window reads the same rate: 3 visits in 10 convert (1 in 20 for noconvert).
  if (has("noconvert") ? business.visits % 20 === 0 : business.visits % 10 < 3) business.conversions += 1;
}

async function home(req, res) {
  const started = performance.now();
  await sleep((10 + Math.random() * 10) * (has("slow") ? 3 : 1));
  const status = has("bad") && Math.random() < 0.2 ? 500 : 200;
  const flags = (req.headers["x-feature-flags"] ?? "").split(",").filter(Boolean);
  const body = { version, slot: args.slot, instance: Number(args.instance), flags };
  if (status !== 200) body.error = "internal error";
  else visit(req);
  res.writeHead(status, { "content-type": "application/json" }).end(`${JSON.stringify(body)}\n`);
  observe(status, (performance.now() - started) / 1000);
}

const server = createServer((req, res) => {
  const path = req.url.split("?")[0];
  if (req.method === "GET" && path === "/") return void home(req, res);
  if (req.method === "GET" && path === "/healthz") {
    const ok = !has("unhealthy");
    return void res.writeHead(ok ? 200 : 503).end(ok ? "ok\n" : "unhealthy\n");
  }
  if (req.method === "GET" && path === "/metrics") {
    return void res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(metrics());
  }
  res.writeHead(404).end("not found\n");
});

if (has("leak")) {
  const kept = [];
  setInterval(() => {
    for (let i = 0; i < 4 && kept.length < 320; i += 1) kept.push(Buffer.alloc(1024 * 1024, kept.length + 1));
  }, 200);
}
/**
 * CPU seconds a `cpu` or `spike` version reports on top of what it really
 * used: as if a thread kept 90% of one core busy all the time (`cpu`), or
 * one and a half cores for the first 4 s of every 20 s (`spike`). Simulated from the
 * clock rather than burnt, so the numbers hold on a machine busy with other
 * work (where a real busy thread gets only its share) and take nothing from it.
 */
const STARTED = performance.now();
function simulatedCpuSeconds() {
  const seconds = (performance.now() - STARTED) / 1000;
  if (has("cpu")) return 0.9 * seconds;
  if (has("spike")) return 1.5 * (4 * Math.floor(seconds / 20) + Math.min(seconds % 20, 4));
  return 0;
}

process.stdout.on("error", () => {});
server.listen(Number(args.port), "127.0.0.1", () => {
  console.log(JSON.stringify({ ready: true, port: server.address().port, pid: process.pid }));
});
stopWith(Number(args.parent ?? process.ppid), () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 2000).unref();
});
