import type { Catalog } from "../manifests/catalog.js";

/** Which services and environments a listing covers: all, one service, one environment, or one of each. */
export interface EnvironmentScope {
  readonly service?: string;
  readonly environment?: string;
}

/** Each service and environment in `scope`, in the manifests' order. */
export function environmentsIn(
  catalog: Pick<Catalog, "serviceNames" | "service">,
  scope: EnvironmentScope = {},
): { readonly service: string; readonly environment: string }[] {
  return catalog
    .serviceNames()
    .filter((s) => scope.service === undefined || s === scope.service)
    .flatMap((service) =>
      Object.keys(catalog.service(service)?.manifest.environments ?? {})
        .filter((e) => scope.environment === undefined || e === scope.environment)
        .map((environment) => ({ service, environment })),
    );
}
