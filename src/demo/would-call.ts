/*
 * The no-op that stands in for every target action and `run` stage in a
 * dry run (`slipway demo --manifests <dir> --dry-run`): it says what would
 * have been called, with what the step asks of it, and succeeds. Slipway
 * logs its output line and shows it in the stage's thread reply.
 *
 *   node would-call.js action <name>      a target action (deploy, setTraffic…)
 *   node would-call.js run <argv…>        a stage's own command
 */

const ASKS = [
  "SLIPWAY_TRAFFIC_WEIGHT",
  "SLIPWAY_PROMOTE",
  "SLIPWAY_INSTANCE",
  "SLIPWAY_INSTANCES",
  "SLIPWAY_FLAG",
  "SLIPWAY_FLAG_PERCENT",
] as const;

const [kind, ...rest] = process.argv.slice(2);
const env = process.env;
const asks = ASKS.filter((name) => env[name] !== undefined).map((name) => `${name}=${env[name]}`);
const what = kind === "action" ? `target action ${rest[0] ?? "?"}` : `command ${JSON.stringify(rest)}`;
process.stdout.write(
  `dry run: would call ${what} for ${env.SLIPWAY_SERVICE} ${env.SLIPWAY_ENVIRONMENT} ${env.SLIPWAY_VERSION}` +
    ` (stage ${env.SLIPWAY_STAGE}${asks.length > 0 ? `, ${asks.join(" ")}` : ""})\n`,
);
