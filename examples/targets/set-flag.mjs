import { context, once, pause } from "../lib/example.mjs";

const ctx = context();
const flag = process.env.SLIPWAY_FLAG || `${ctx.service}-${ctx.version}`;
const enabled = (process.env.SLIPWAY_FLAG_ENABLED ?? "true") !== "false";
console.log(`${enabled ? "enabling" : "disabling"} feature flag ${flag} on ${ctx.environment}`);
await once("setFlag", async () => {
  await pause();
  console.log(`flag ${flag} is now ${enabled ? "on" : "off"}`);
});
