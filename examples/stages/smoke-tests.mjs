import { context, pause } from "../lib/example.mjs";

const ctx = context();
console.log(`smoke testing ${ctx.service} ${ctx.version} on ${ctx.environment}`);
await pause();
console.log("GET / 200");
if (ctx.version.includes("bad")) {
  console.error(`smoke test failed: POST /checkout returned 500 on ${ctx.version} (expected 200)`);
  process.exit(1);
}
console.log("POST /checkout 200");
console.log("smoke tests passed (2/2)");
