import { context, pause } from "../lib/example.mjs";

const ctx = context();
console.log(`checking health of ${ctx.service} ${ctx.version} on ${ctx.environment}`);
await pause();
console.log("GET /healthz 200 (2/2 instances healthy)");
