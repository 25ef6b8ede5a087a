import { CommandTarget } from "../targets/command-target.js";
import type { Target } from "../targets/target.js";
import type { LoadedManifest } from "./load.js";
import type { EnvironmentConfig, ServiceManifest } from "./schema.js";

export interface LoadedService {
  readonly file: string;
  readonly workdir: string;
  readonly manifest: ServiceManifest;
  readonly target: Target;
}

function targetFor(loaded: LoadedManifest): Target {
  const target = loaded.manifest.target;
  switch (target.type) {
    case "command":
      return new CommandTarget({ actions: target.actions, workdir: loaded.workdir, env: target.env ?? {} });
    default: {
      const unreachable: never = target.type;
      return unreachable;
    }
  }
}

/** The services Slipway knows, read once from the manifests at start-up. */
export class Catalog {
  private readonly services: ReadonlyMap<string, LoadedService>;

  constructor(manifests: ReadonlyMap<string, LoadedManifest>) {
    this.services = new Map(
      [...manifests].map(([name, loaded]) => [
        name,
        { file: loaded.file, workdir: loaded.workdir, manifest: loaded.manifest, target: targetFor(loaded) },
      ]),
    );
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

  serviceNames(): string[] {
    return [...this.services.keys()].sort();
  }

  /** The only service, when the manifests hold exactly one (so commands may leave it out). */
  soleServiceName(): string | undefined {
    return this.services.size === 1 ? [...this.services.keys()][0] : undefined;
  }

  /** Every environment any service deploys to, in the order first seen. */
  environmentNames(): string[] {
    const names = new Set<string>();
    for (const service of this.services.values()) {
      for (const name of Object.keys(service.manifest.environments)) names.add(name);
    }
    return [...names];
  }
}
