#!/usr/bin/env node
import { ConfigError, loadConfig, ROLES, type Role } from "./config.js";
import { coerceError } from "./errors.js";
import { createLogger } from "./logger.js";
import { validateCommand } from "./manifests/validate.js";
import { startSlipway } from "./runtime.js";

const USAGE = `Usage: slipway [command]

Commands:
  all                 run the Slack app and the workers (default; or SLIPWAY_ROLE)
  app                 run only the Slack app (takes commands, queues work)
  worker              run only the workers (pipelines and Slack notifications)
  validate [dir]      check the service manifests (default: SLIPWAY_MANIFESTS or manifests/services)
  demo [options]      run Slipway locally against a Slack stand-in (slipway demo --help)
  help                show this text

Configuration comes from the environment; see .env.example.`;

/** How long running stages get to finish after SIGTERM before they are stopped. */
const SHUTDOWN_DEADLINE_MS = 25_000;

async function run(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case "validate":
      return validateCommand(rest[0] ?? process.env.SLIPWAY_MANIFESTS ?? "manifests/services");
    case "demo": {
      const { runDemo } = await import("./demo.js");
      return runDemo(rest);
    }
    case undefined:
    case "all":
    case "app":
    case "worker":
      return serve(command);
    default:
      process.stderr.write(`slipway: unknown command '${command}'\n\n${USAGE}\n`);
      return 2;
  }
}

async function serve(roleArg: Role | undefined): Promise<number> {
  const config = loadConfig();
  const role = roleArg ?? config.role;
  if (!ROLES.includes(role)) throw new Error(`unknown role ${role}`);
  const log = createLogger(config.logLevel);
  // Listened for before starting: a signal while it starts stops it once it has, instead of killing it halfway.
  let stopping = false;
  let stop: () => void = () => undefined;
  const stopAsked = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(130);
    }
    stopping = true;
    log.info({ signal, deadlineMs: SHUTDOWN_DEADLINE_MS }, "shutting down");
    stop();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const slipway = await startSlipway(config, role, log);
  await stopAsked;
  try {
    await slipway.close(SHUTDOWN_DEADLINE_MS);
  } catch (error) {
    log.error({ err: error }, "shutdown failed");
  }
  log.info("stopped");
  return 0;
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (thrown: unknown) => {
    const error = coerceError(thrown);
    process.stderr.write(error instanceof ConfigError ? `${error.message}\n` : `slipway: ${error.message}\n`);
    process.exitCode = 1;
  },
);
