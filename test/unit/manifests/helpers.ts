import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { parseManifest, type ServiceManifest } from "../../../src/manifests/schema.js";

/** A throwaway `<tmp>/services` directory with manifest files written into it. */
export interface ManifestDir {
  root: string;
  dir: string;
  write(name: string, text: string): Promise<string>;
  remove(): Promise<void>;
}

export async function makeManifestDir(): Promise<ManifestDir> {
  const root = await mkdtemp(path.join(tmpdir(), "slipway-manifests-"));
  const dir = path.join(root, "services");
  await mkdir(dir);
  return {
    root,
    dir,
    async write(name, text) {
      const file = path.join(dir, name);
      await writeFile(file, text);
      return file;
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** A valid manifest; `production` has three stages so tests can break stages[2]. */
export function webManifest(overrides: { service?: string; productionStages?: string } = {}): string {
  const stages =
    overrides.productionStages ??
    `
      - name: backup
        action: backup
      - name: deploy
        action: deploy
      - name: smoke-tests
        run: [node, smoke.mjs]`;
  return `service: ${overrides.service ?? "web"}
description: Web front end
channels:
  deploy: C0DEPLOYS
  incidents: C0INCIDENT
target:
  type: command
  env:
    REGION: eu-west-1
  actions:
    deploy: [node, deploy.mjs]
    backup: [node, backup.mjs]
    setTraffic: [node, traffic.mjs]
environments:
  development:
    stages:
      - name: unit-tests
        run: [node, test.mjs, unit]
        timeoutSeconds: 60
      - name: deploy
        action: deploy
  production:
    strategy: blue-green
    stages:${stages}
`;
}

/** The manifest a YAML text parses to; throws with every issue when it is invalid. */
export function parsed(text: string): ServiceManifest {
  const result = parseManifest(parse(text));
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return result.manifest;
}

/** Every issue of a YAML manifest as `path: message`; none when it is valid. */
export function issues(text: string): string[] {
  const result = parseManifest(parse(text));
  if (result.ok) return [];
  return result.issues.map((issue) => `${issue.path}: ${issue.message}`);
}
