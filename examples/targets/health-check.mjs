import { context, pause } from "../lib/example.mjs";
import { call, checkHealth, fail, routerAdmin } from "../lib/stack.mjs";

const ctx = context();
const admin = routerAdmin();
const instance = Number(process.env.SLIPWAY_INSTANCE || 0);
console.log(
  `checking health of ${ctx.service} ${ctx.version} on ${ctx.environment}${instance ? ` (instance ${instance})` : ""}`,
);

/** Rolling: that instance; otherwise the candidate, else the stable instances running this version, else all stable. */
function targets({ stable, candidate }) {
  if (instance) return stable.filter((m) => m.instance === instance);
  const running = (pool) => pool.filter((m) => m.version === ctx.version);
  for (const members of [running(candidate), running(stable), stable]) if (members.length > 0) return members;
  return [];
}

if (!admin) {
  await pause();
  console.log("GET /healthz 200 (2/2 instances healthy)");
} else {
  const state = await call(admin, "GET", "/state");
  const members = targets(state.pools);
  if (members.length === 0)
    fail(`health check failed: nothing runs ${instance ? `instance ${instance}` : ctx.version}`);
  const sick = await checkHealth(members);
  if (sick.length > 0) {
    const which = sick.map((m) => `${m.version} instance ${m.instance}`).join(", ");
    fail(`health check failed: ${sick.length}/${members.length} unhealthy (${which})`);
  }
  console.log(`${members.length}/${members.length} instances healthy`);
}
