import { context, pause } from "../lib/example.mjs";

const ctx = context();
console.log(`load testing ${ctx.service} ${ctx.version} on ${ctx.environment} at 200 req/s for 30 s`);
await pause();
console.log("p50 42 ms, p95 145 ms (target < 200 ms), errors 0.01%");
console.log("performance within targets");
