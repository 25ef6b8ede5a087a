import { context, pause } from "../lib/example.mjs";

const ctx = context();
console.log(`building ${ctx.service} ${ctx.version}`);
await pause();
console.log(`artifact ${ctx.service}-${ctx.version}.tgz (2.4 MB)`);
