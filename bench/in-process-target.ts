import { Catalog, type LoadedService } from "../src/manifests/catalog.js";
import type { LoadedManifest } from "../src/manifests/load.js";
import type { ActionResult, Target } from "../src/targets/target.js";

const DONE: ActionResult = { ok: true, exitCode: 0, outputTail: "", durationMs: 0, timedOut: false, aborted: false };

/** A target whose every action succeeds at once, in process: what is left to measure is the engine. */
export const noopTarget: Target = {
  supports: () => true,
  invoke: () => Promise.resolve(DONE),
};

/**
 * The catalog built from the manifests as usual, but with every service's
 * target replaced by `target`. Catalog has no way to be given a target, so
 * this overrides the two lookups the engine uses.
 */
export class InProcessTargetCatalog extends Catalog {
  private readonly withTarget = new Map<string, LoadedService>();

  constructor(
    manifests: ReadonlyMap<string, LoadedManifest>,
    private readonly target: Target,
  ) {
    super(manifests);
  }

  override service(name: string): LoadedService | undefined {
    const cached = this.withTarget.get(name);
    if (cached) return cached;
    const loaded = super.service(name);
    if (!loaded) return undefined;
    const replaced: LoadedService = { ...loaded, target: this.target };
    this.withTarget.set(name, replaced);
    return replaced;
  }

  override require(name: string): LoadedService {
    return this.service(name) ?? super.require(name);
  }
}
