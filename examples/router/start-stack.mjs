// Starts the example stack: the router and an initial stable version behind it.
//
//   node examples/router/start-stack.mjs [--version v1.1.0] [--instances 3] [--port 0] [--state <dir>]
//
// Prints a line per started process, then {"ready":true,"admin":…,"url":…,"routerPid":…,"stable":[…]} when
// everything answers, then keeps running: SIGTERM, Ctrl-C or its parent going
// away stops the router, and the service processes stop with the router.
// Point the target scripts at it with SLIPWAY_EXAMPLE_ROUTER=<admin>.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { stateDir } from "../lib/example.mjs";
import { stopWith, waitForReady } from "../lib/process.mjs";
import { call, startService } from "../lib/stack.mjs";

const { values: args } = parseArgs({
  options: {
    version: { type: "string", default: "v1.1.0" },
    instances: { type: "string", default: "3" },
    port: { type: "string", default: "0" },
    state: { type: "string" },
  },
});
const instances = Number(args.instances);
if (!Number.isInteger(instances) || instances < 1 || instances > 10) {
  console.error("error: --instances must be a whole number from 1 to 10");
  process.exit(2);
}
const state = args.state ?? stateDir();
mkdirSync(state, { recursive: true });

const ROUTER = fileURLToPath(new URL("router.mjs", import.meta.url));
const router = spawn(process.execPath, [ROUTER, "--port", args.port, "--state", state, "--parent", `${process.pid}`], {
  stdio: ["ignore", "pipe", "inherit"],
});
router.on("exit", (code, signal) => {
  console.error(`router stopped (${signal ?? code})`);
  process.exit(code ?? 0);
});
stopWith(process.ppid, () => router.kill("SIGTERM"));

const { admin, port } = await waitForReady(router, "router");
const stable = await Promise.all(
  Array.from({ length: instances }, (_, i) =>
    startService({ version: args.version, slot: "stable", instance: i + 1, parent: router.pid }),
  ),
);
await call(admin, "PUT", "/pool/stable", { members: stable });
const url = `http://127.0.0.1:${port}/`;
console.log(JSON.stringify({ ready: true, admin, url, routerPid: router.pid, stable }));
console.error(`${args.version} × ${instances} behind ${url}; SLIPWAY_EXAMPLE_ROUTER=${admin}; Ctrl-C stops everything`);
