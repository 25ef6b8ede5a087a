import { context, once, pause } from "../lib/example.mjs";
import { call, routerAdmin, stopServices, versionsOf } from "../lib/stack.mjs";

// Blue-green: once blue is no longer kept as the way back, its instances are stopped and leave the router.
const ctx = context();
const admin = routerAdmin();
const blue = process.env.SLIPWAY_PREVIOUS_VERSION || "the previous version";
console.log(`archiving blue (${blue}) of ${ctx.service} ${ctx.environment}; green ${ctx.version} serves all traffic`);

await once("archive", async () => {
  if (!admin) {
    await pause();
    console.log(`blue ${blue} archived`);
    return { archived: blue };
  }
  const { pools } = await call(admin, "GET", "/state");
  if (pools.previous.length === 0) {
    console.log("no blue instances are kept; nothing to archive");
    return { archived: null };
  }
  const after = await call(admin, "PUT", "/pool/previous", { members: [] });
  await stopServices(after.retired);
  console.log(`blue ${versionsOf(pools.previous)} archived: ${after.retired.length} instances stopped`);
  return { archived: versionsOf(pools.previous) };
});
