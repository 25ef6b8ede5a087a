/**
 * A service of the `load` environment whose deploy is `deploy` (a command),
 * then one canary step at `weight`% held `hold` (setTraffic is a no-op,
 * `true`), then 100%: what the many-holds e2e test and the holding bench run.
 */
export function holdingManifest(options: {
  readonly service: string;
  readonly channel: string;
  readonly deploy: readonly string[];
  readonly weight: number;
  readonly hold: string;
}): string {
  return `service: ${options.service}
channels:
  deploy: ${options.channel}
target:
  type: command
  actions:
    deploy: ${JSON.stringify(options.deploy)}
    setTraffic: ["true"]
environments:
  load:
    strategy: canary
    canary:
      steps:
        - { weight: ${options.weight}, hold: ${options.hold} }
    stages:
      - { name: deploy, action: deploy }
`;
}
