import { context, once, pause } from "../lib/example.mjs";

const ctx = context();
const weight = Number(process.env.SLIPWAY_TRAFFIC_WEIGHT || 100);
if (!Number.isFinite(weight) || weight < 0 || weight > 100) {
  console.error(
    `error: SLIPWAY_TRAFFIC_WEIGHT must be a number from 0 to 100, got '${process.env.SLIPWAY_TRAFFIC_WEIGHT}'`,
  );
  process.exit(2);
}
console.log(`routing ${weight}% of ${ctx.service} ${ctx.environment} traffic to ${ctx.version}`);
await once("setTraffic", async () => {
  await pause();
  console.log(`load balancer updated: ${ctx.version} ${weight}%, stable ${100 - weight}%`);
});
