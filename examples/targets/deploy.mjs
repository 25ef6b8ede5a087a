import { context, once, pause } from "../lib/example.mjs";
import {
  call,
  fail,
  replaceInstance,
  routerAdmin,
  startService,
  stopServices,
  strategy,
  versionsOf,
} from "../lib/stack.mjs";

const STRATEGIES = ["all-at-once", "blue-green", "canary", "rolling", "feature-flag"];
const ctx = context();
const admin = routerAdmin();
const how = strategy();
if (!STRATEGIES.includes(how)) fail(`error: unknown SLIPWAY_STRATEGY '${how}' (use one of: ${STRATEGIES.join(", ")})`);
console.log(`deploying ${ctx.service} ${ctx.version} to ${ctx.environment} (deployment ${ctx.deploymentId})`);

async function updateInstance() {
  const instance = Number(process.env.SLIPWAY_INSTANCE || 1);
  if (!Number.isInteger(instance) || instance < 1) fail(`error: SLIPWAY_INSTANCE must be 1 or more, got '${instance}'`);
  console.log(`rolling: instance ${instance} of ${process.env.SLIPWAY_INSTANCES || "?"} → ${ctx.version}`);
  const after = await replaceInstance(admin, instance, ctx.version);
  console.log(`stable pool now runs ${after.pools.stable.map((m) => `#${m.instance} ${m.version}`).join(", ")}`);
  return { strategy: how, instance };
}

async function startCandidate() {
  const state = await call(admin, "GET", "/state");
  const size = how === "canary" ? 1 : Math.max(1, state.pools.stable.length);
  const members = await Promise.all(
    Array.from({ length: size }, (_, i) =>
      startService({ version: ctx.version, slot: "candidate", instance: i + 1, parent: state.pid }),
    ),
  );
  await call(admin, "PUT", "/weight", { weight: 0 });
  let after = await call(admin, "PUT", "/pool/candidate", { members });
  await stopServices(after.retired);
  if (how === "all-at-once" || how === "feature-flag") {
    after = await call(admin, "POST", "/promote");
    await stopServices(after.retired);
    console.log(
      `${size}/${size} instances running ${ctx.version}; ${versionsOf(after.pools.previous)} kept as previous`,
    );
  } else {
    const role = how === "blue-green" ? "green" : "canary";
    console.log(`${ctx.version} is ${role} with 0% of traffic; ${versionsOf(state.pools.stable)} stays stable`);
  }
  return { strategy: how };
}

await once("deploy", async () => {
  if (admin) return how === "rolling" ? updateInstance() : startCandidate();
  console.log(`pulling image ${ctx.service}:${ctx.version}`);
  await pause();
  console.log(`2/2 instances running ${ctx.version}`);
});
