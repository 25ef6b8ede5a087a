/** The example target's actions (examples/targets/), each a script run with node. */
const SCRIPTS = {
  deploy: "deploy.mjs",
  setTraffic: "set-traffic.mjs",
  healthCheck: "health-check.mjs",
  backup: "backup.mjs",
  verifyRollback: "verify-rollback.mjs",
  rollback: "rollback.mjs",
  setFlag: "set-flag.mjs",
  archive: "archive.mjs",
  restore: "restore.mjs",
} as const;

export type ExampleAction = keyof typeof SCRIPTS;

/**
 * A manifest's `target:` section (YAML, ending in a newline) running the
 * example target's scripts from `root`, the project's directory, with the
 * actions named.
 */
export function exampleTargetYaml(
  root: string,
  actions: readonly ExampleAction[],
  options: { readonly timeoutSeconds?: number } = {},
): string {
  const lines = actions.map((action) => `    ${action}: [node, examples/targets/${SCRIPTS[action]}]`);
  return `target:
  type: command
  workdir: ${JSON.stringify(root)}
  timeoutSeconds: ${options.timeoutSeconds ?? 60}
  actions:
${lines.join("\n")}
`;
}
