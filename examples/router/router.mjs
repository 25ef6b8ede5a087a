// A traffic router in front of the example service's processes.
//
//   node examples/router/router.mjs [--port 0] [--state <dir>] [--parent <pid>]
//
// Prints {"ready":true,"port":N,"admin":"http://127.0.0.1:N/_admin"} and stops
// on SIGTERM/SIGINT or when --parent (default: the process that started it) is
// gone. With --state it keeps a copy of its state in <dir>/router.json.
//
// Every request outside /_admin goes to a member of the `stable` or the
// `candidate` pool: `weight` percent of them to candidate (spread evenly, not
// at random), round-robin within a pool. A backend that cannot be reached
// answers 502. Enabled flags reach backends in the x-feature-flags header for
// `percent` percent of requests.
//
//   GET  /_admin/state              pools {stable, candidate, previous}, weight, flags, counters, total, pid
//   PUT  /_admin/pool/:pool         {members: [{version, port, pid, instance}]}
//   PUT  /_admin/weight             {weight: 0–100}
//   POST /_admin/promote            candidate becomes stable, stable becomes previous, weight 0
//   POST /_admin/restore-previous   previous becomes stable again, weight 0
//   PUT  /_admin/flag/:name         {enabled, percent}
//   POST /_admin/counters/reset
//   GET  /_admin/metrics            every member's /metrics as one exposition (for a Prometheus server)
//   GET  /_admin/metrics/:version   the same for the members running that version; 404 when none does
//
// Changes answer the new state plus `retired`: members no longer in any pool,
// for the caller to stop. counters[version][status] counts proxied answers.
// Merged metrics keep one HELP and TYPE per family; each sample gains
// backend="127.0.0.1:<port>" and, when it has none, version="<the member's>".
import { writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { stopWith } from "../lib/process.mjs";

const { values: args } = parseArgs({
  options: { port: { type: "string", default: "0" }, state: { type: "string" }, parent: { type: "string" } },
});

const POOLS = ["stable", "candidate", "previous"];
const state = { pools: { stable: [], candidate: [], previous: [] }, weight: 0, flags: {}, counters: {}, total: 0 };
const turn = { stable: 0, candidate: 0 };
const credit = { weight: 0, flags: {} };
const agent = new http.Agent({ keepAlive: false });
let admin = "";

/** Adds `share` to an accumulator and says whether this request takes it: spreads share% evenly. */
function takes(holder, key, share) {
  holder[key] = (holder[key] ?? 0) + share;
  if (holder[key] < 100) return false;
  holder[key] -= 100;
  return true;
}

function choose() {
  let pool = takes(credit, "weight", state.weight) ? "candidate" : "stable";
  if (state.pools[pool].length === 0) pool = pool === "stable" ? "candidate" : "stable";
  const members = state.pools[pool];
  if (members.length === 0) return undefined;
  turn[pool] = (turn[pool] + 1) % members.length;
  return { pool, member: members[turn[pool]] };
}

function count(version, status) {
  state.counters[version] ??= {};
  state.counters[version][status] = (state.counters[version][status] ?? 0) + 1;
  state.total += 1;
}

function send(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" }).end(`${JSON.stringify(body)}\n`);
}

function proxy(req, res) {
  const chosen = choose();
  if (!chosen) {
    count("none", 503);
    return send(res, 503, { error: "no backends in any pool" });
  }
  const { pool, member } = chosen;
  const flags = Object.entries(state.flags)
    .filter(([name, flag]) => flag.enabled && takes(credit.flags, name, flag.percent))
    .map(([name]) => name);
  const { connection, "keep-alive": _, ...headers } = req.headers;
  const upstream = http.request(
    { host: "127.0.0.1", port: member.port, method: req.method, path: req.url, agent },
    (answer) => {
      count(member.version, answer.statusCode);
      const { connection, "keep-alive": _, ...back } = answer.headers;
      res.writeHead(answer.statusCode, { ...back, "x-slipway-version": member.version, "x-slipway-pool": pool });
      answer.pipe(res);
    },
  );
  for (const [name, value] of Object.entries({ ...headers, "x-feature-flags": flags.join(",") })) {
    upstream.setHeader(name, value);
  }
  upstream.on("error", (error) => {
    count(member.version, 502);
    if (res.headersSent) return void res.destroy();
    send(res, 502, { error: `${member.version} on port ${member.port}: ${error.code ?? error.message}` });
  });
  req.pipe(upstream);
}

function snapshot() {
  return { pid: process.pid, admin, ...state };
}

function save() {
  if (args.state) writeFileSync(join(args.state, "router.json"), `${JSON.stringify(snapshot(), null, 2)}\n`);
}

const members = () => POOLS.flatMap((pool) => state.pools[pool]);

function validMembers(list) {
  return (
    Array.isArray(list) &&
    list.every((m) => typeof m?.version === "string" && Number.isInteger(m.port) && m.port > 0 && m.port < 65536)
  );
}

/** Runs a change and answers the new state with the members it left in no pool. */
function change(res, apply) {
  const before = members();
  const problem = apply();
  if (problem) return send(res, problem[0], { error: problem[1] });
  const id = (m) => `${m.pid}:${m.port}`;
  const after = new Set(members().map(id));
  save();
  send(res, 200, { ...snapshot(), retired: before.filter((m) => !after.has(id(m))) });
}

const routes = {
  "GET state": (res) => send(res, 200, snapshot()),
  "PUT pool": (res, body, pool) =>
    change(res, () => {
      if (!POOLS.includes(pool)) return [404, `no pool '${pool}' (use ${POOLS.join(", ")})`];
      if (!validMembers(body.members)) return [400, "members must be a list of {version, port, pid, instance}"];
      state.pools[pool] = body.members;
    }),
  "PUT weight": (res, body) =>
    change(res, () => {
      const weight = body.weight;
      if (typeof weight !== "number" || weight < 0 || weight > 100) return [400, "weight must be a number 0–100"];
      state.weight = weight;
      credit.weight = 0;
    }),
  "POST promote": (res) =>
    change(res, () => {
      if (state.pools.candidate.length === 0) return [409, "no candidate to promote"];
      state.pools = { stable: state.pools.candidate, candidate: [], previous: state.pools.stable };
      state.weight = 0;
    }),
  "POST restore-previous": (res) =>
    change(res, () => {
      if (state.pools.previous.length === 0) return [409, "no previous version to restore"];
      state.pools = { ...state.pools, stable: state.pools.previous, previous: [] };
      state.weight = 0;
    }),
  "PUT flag": (res, body, name) =>
    change(res, () => {
      const percent = body.percent ?? 100;
      if (!name || typeof percent !== "number" || percent < 0 || percent > 100) {
        return [400, "PUT /_admin/flag/<name> with {enabled, percent 0–100}"];
      }
      state.flags[name] = { enabled: body.enabled !== false, percent };
      credit.flags[name] = 0;
    }),
  "GET metrics": (res, _body, version) => void serveMetrics(res, version),
  "POST counters": (res) =>
    change(res, () => {
      state.counters = {};
      state.total = 0;
    }),
};

/** The member's /metrics text, or undefined when it does not answer (it may be stopping). */
async function scrapeMember(member) {
  try {
    const res = await fetch(`http://127.0.0.1:${member.port}/metrics`, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    return res.ok ? text : undefined;
  } catch {
    return undefined;
  }
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[^"}]|"(?:[^"\\]|\\.)*")*)\})?\s+(\S.*)$/;
const escapeLabel = (value) => String(value).replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));

/** Adds the member's labels to a sample's label list (`version` only when the sample has none). */
function labelled(inner, member) {
  const own = (inner ?? "").trim().replace(/,$/, "");
  const labels = own === "" ? [] : [own];
  if (!/(^|,)\s*version\s*=/.test(own)) labels.push(`version="${escapeLabel(member.version)}"`);
  labels.push(`backend="127.0.0.1:${member.port}"`);
  return labels.join(",");
}

/** Merges expositions family by family, so each HELP and TYPE appears once and a family's samples stay together. */
function mergeExpositions(scraped) {
  const families = new Map();
  const family = (name) => {
    if (!families.has(name)) families.set(name, { name, help: undefined, type: undefined, samples: [] });
    return families.get(name);
  };
  for (const { member, text } of scraped) {
    let current;
    for (const line of text.split("\n")) {
      const meta = /^#\s+(HELP|TYPE)\s+(\S+)/.exec(line);
      if (meta) {
        current = family(meta[2]);
        current[meta[1].toLowerCase()] ??= line;
        continue;
      }
      const sample = SAMPLE.exec(line);
      if (!sample) continue;
      const [, name, inner, rest] = sample;
      if (!current || !name.startsWith(current.name)) current = family(name);
      current.samples.push(`${name}{${labelled(inner, member)}} ${rest}`);
    }
  }
  const lines = [...families.values()].flatMap((f) => [f.help, f.type, ...f.samples].filter(Boolean));
  return `${lines.join("\n")}\n`;
}

async function serveMetrics(res, version) {
  const seen = new Set();
  const chosen = members().filter((m) => {
    const id = `${m.pid}:${m.port}`;
    if (seen.has(id) || (version !== undefined && m.version !== version)) return false;
    seen.add(id);
    return true;
  });
  if (version !== undefined && chosen.length === 0) return send(res, 404, { error: `no member runs ${version}` });
  const texts = await Promise.all(chosen.map(scrapeMember));
  const scraped = chosen.flatMap((member, i) => (texts[i] === undefined ? [] : [{ member, text: texts[i] }]));
  res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(mergeExpositions(scraped));
}

function handleAdmin(req, res) {
  const [, , what, arg] = req.url.split("?")[0].split("/");
  const route = routes[`${req.method} ${what}`];
  if (!route) return send(res, 404, { error: `no admin route ${req.method} ${req.url}` });
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    let body = {};
    try {
      const text = Buffer.concat(chunks).toString();
      if (text.trim()) body = JSON.parse(text);
    } catch {
      return send(res, 400, { error: "body must be JSON" });
    }
    route(res, body ?? {}, arg && decodeURIComponent(arg));
  });
}

const server = http.createServer((req, res) => {
  if (req.url === "/_admin" || req.url.startsWith("/_admin/")) handleAdmin(req, res);
  else proxy(req, res);
});

process.stdout.on("error", () => {});
server.listen(Number(args.port), "127.0.0.1", () => {
  const port = server.address().port;
  admin = `http://127.0.0.1:${port}/_admin`;
  save();
  console.log(JSON.stringify({ ready: true, port, admin }));
});
stopWith(Number(args.parent ?? process.ppid), () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 1000).unref();
});
