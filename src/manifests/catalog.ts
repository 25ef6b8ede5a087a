import { SlipwayError } from "../errors.js";
import type { RepositoryConfig } from "../git/repository.js";
import type { MetricsConfig } from "../metrics/config.js";
import { createMetricSource } from "../metrics/create-source.js";
import type { MetricSource } from "../metrics/source.js";
import { CommandTarget } from "../targets/command-target.js";
import { HttpTarget } from "../targets/http-target.js";
import type { Target } from "../targets/target.js";
import type { LoadedManifest } from "./load.js";
import type { EnvironmentConfig, PushTriggerConfig, ServiceManifest } from "./schema.js";

/** An environment that pushes deploy, and the secret its webhook is signed with (undefined when not set). */
export interface PushRoute {
  readonly service: string;
  readonly environment: string;
  readonly trigger: PushTriggerConfig;
  readonly secret: string | undefined;
}

export interface LoadedService {
  readonly file: string;
  readonly workdir: string;
  /** Where its versions are resolved, its changes listed and its release candidates tagged, when the manifest says. */
  readonly repository?: RepositoryConfig;
  readonly manifest: ServiceManifest;
  readonly target: Target;
  /** Where its canaries are measured, when the manifest says. */
  readonly metrics?: { readonly config: MetricsConfig; readonly source: MetricSource };
}

function targetFor(loaded: LoadedManifest, secrets: Readonly<Record<string, string | undefined>>): Target {
  const target = loaded.manifest.target;
  switch (target.type) {
    case "command":
      return new CommandTarget({ actions: target.actions, workdir: loaded.workdir, env: target.env ?? {} });
    case "http": {
      const secret = secrets[target.secretEnv];
      if (!secret) {
        throw new SlipwayError(
          "missing_secret",
          `${loaded.file}: target.secretEnv names ${target.secretEnv}, which is not set; set it to the webhook signing secret the target checks`,
        );
      }
      return new HttpTarget({
        url: target.url,
        secret,
        actions: target.actions,
        pollIntervalMs: target.pollIntervalSeconds * 1000,
      });
    }
    default: {
      const unreachable: never = target;
      return unreachable;
    }
  }
}

/** The services Slipway knows, read once from the manifests at start-up. */
export class Catalog {
  private readonly services: ReadonlyMap<string, LoadedService>;
  /** Computed once: every command's parse needs them. */
  private readonly names: { services: readonly string[]; environments: readonly string[] };
  private readonly routes: readonly PushRoute[];

  /** `secrets`: where an http target's signing secret is read from by name (the process environment). */
  constructor(
    manifests: ReadonlyMap<string, LoadedManifest>,
    secrets: Readonly<Record<string, string | undefined>> = {},
  ) {
    this.services = new Map(
      [...manifests].map(([name, loaded]) => [
        name,
        {
          file: loaded.file,
          workdir: loaded.workdir,
          ...(loaded.repository ? { repository: loaded.repository } : {}),
          manifest: loaded.manifest,
          target: targetFor(loaded, secrets),
          ...(loaded.manifest.metrics
            ? { metrics: { config: loaded.manifest.metrics, source: createMetricSource(loaded.manifest.metrics) } }
            : {}),
        },
      ]),
    );
    const environments = new Set<string>();
    for (const service of this.services.values()) {
      for (const name of Object.keys(service.manifest.environments)) environments.add(name);
    }
    this.names = { services: [...this.services.keys()].sort(), environments: [...environments] };
    this.routes = [...this.services.values()].flatMap((service) =>
      Object.entries(service.manifest.environments).flatMap(([environment, config]) =>
        config.push
          ? [
              {
                service: service.manifest.service,
                environment,
                trigger: config.push,
                secret: secrets[config.push.secretEnv] || undefined,
              },
            ]
          : [],
      ),
    );
  }

  /** Every environment that pushes deploy, with its webhook secret. */
  pushRoutes(): readonly PushRoute[] {
    return this.routes;
  }

  service(name: string): LoadedService | undefined {
    return this.services.get(name);
  }

  require(name: string): LoadedService {
    const service = this.services.get(name);
    if (!service) throw new Error(`no manifest defines the service '${name}'`);
    return service;
  }

  environment(service: string, environment: string): EnvironmentConfig | undefined {
    return this.services.get(service)?.manifest.environments[environment];
  }

  serviceNames(): readonly string[] {
    return this.names.services;
  }

  /** The only service, when the manifests hold exactly one (so commands may leave it out). */
  soleServiceName(): string | undefined {
    return this.services.size === 1 ? [...this.services.keys()][0] : undefined;
  }

  /** Every environment any service deploys to, in the order first seen. */
  environmentNames(): readonly string[] {
    return this.names.environments;
  }
}
