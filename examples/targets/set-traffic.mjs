import { context, once, pause } from "../lib/example.mjs";
import { call, fail, routerAdmin, stopServices, strategy, versionsOf } from "../lib/stack.mjs";

const ctx = context();
const admin = routerAdmin();
const weight = Number(process.env.SLIPWAY_TRAFFIC_WEIGHT || 100);
const promote = process.env.SLIPWAY_PROMOTE === "1";
if (!Number.isFinite(weight) || weight < 0 || weight > 100) {
  console.error(
    `error: SLIPWAY_TRAFFIC_WEIGHT must be a number from 0 to 100, got '${process.env.SLIPWAY_TRAFFIC_WEIGHT}'`,
  );
  process.exit(2);
}
console.log(
  `routing ${weight}% of ${ctx.service} ${ctx.environment} traffic to ${ctx.version}${promote ? " and promoting it" : ""}`,
);

async function route() {
  if (strategy() === "rolling") {
    console.log("rolling: traffic follows the instances; nothing to change");
    return { weight };
  }
  const state = await call(admin, "GET", "/state");
  const { stable, candidate } = state.pools;
  if (!candidate.some((m) => m.version === ctx.version)) {
    if (promote && candidate.length === 0 && stable.some((m) => m.version === ctx.version)) {
      console.log(`${ctx.version} is already stable; nothing to change`);
      return { weight, promoted: true };
    }
    fail(`error: no candidate runs ${ctx.version} (candidate: ${versionsOf(candidate)}); deploy it first`);
  }
  await call(admin, "PUT", "/weight", { weight });
  if (!promote) {
    console.log(`router updated: ${ctx.version} ${weight}%, ${versionsOf(stable)} ${100 - weight}%`);
    return { weight };
  }
  const after = await call(admin, "POST", "/promote");
  await stopServices(after.retired);
  console.log(`promoted: ${ctx.version} is stable with 100%; ${versionsOf(after.pools.previous)} kept as previous`);
  return { weight, promoted: true };
}

await once("setTraffic", async () => {
  if (admin) return route();
  await pause();
  console.log(`load balancer updated: ${ctx.version} ${weight}%, stable ${100 - weight}%`);
});
