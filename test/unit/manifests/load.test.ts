import { symlink } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatManifestError } from "../../../src/manifests/format-errors.js";
import { loadManifests } from "../../../src/manifests/load.js";
import { type ManifestDir, makeManifestDir, webManifest } from "./helpers.js";

let dir: ManifestDir;

beforeEach(async () => {
  dir = await makeManifestDir();
});

afterEach(async () => {
  await dir.remove();
});

async function errorLines(): Promise<string[]> {
  const { errors } = await loadManifests(dir.dir);
  return errors.map(formatManifestError);
}

describe("loadManifests", () => {
  it("loads a valid manifest and fills in defaults", async () => {
    const file = await dir.write("web.yaml", webManifest());

    const { services, errors } = await loadManifests(dir.dir);

    expect(errors).toEqual([]);
    const web = services.get("web");
    expect(web).toBeDefined();
    expect(web?.file).toBe(file);
    expect(web?.dir).toBe(dir.dir);
    expect(web?.workdir).toBe(dir.dir);
    const manifest = web?.manifest;
    expect(manifest?.channels).toEqual({ deploy: "C0DEPLOYS", incidents: "C0INCIDENT" });
    expect(manifest?.target.timeoutSeconds).toBe(300);
    const target = manifest?.target;
    expect(target?.type === "command" ? target.actions.deploy : undefined).toEqual(["node", "deploy.mjs"]);
    expect(manifest?.environments.development?.strategy).toBe("all-at-once");
    expect(manifest?.environments.production?.strategy).toBe("blue-green");
    expect(manifest?.environments.production?.stages.map((stage) => stage.name)).toEqual([
      "backup",
      "deploy",
      "smoke-tests",
    ]);
  });

  it("resolves target.workdir from the manifest file's directory", async () => {
    await dir.write("web.yaml", webManifest().replace("type: command", "type: command\n  workdir: .."));

    const { services, errors } = await loadManifests(dir.dir);

    expect(errors).toEqual([]);
    expect(services.get("web")?.workdir).toBe(dir.root);
  });

  it("reports a target.workdir that does not exist", async () => {
    await dir.write("web.yaml", webManifest().replace("type: command", "type: command\n  workdir: ./missing"));

    const { services, errors } = await loadManifests(dir.dir);

    expect(services.size).toBe(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe("target.workdir");
    expect(errors[0]?.message).toContain("does not exist");
  });

  it("reports a wrong type at its nested path", async () => {
    await dir.write(
      "web.yaml",
      webManifest({
        productionStages: `
      - name: backup
        action: backup
      - name: deploy
        action: deploy
      - name: smoke-tests
        run: node smoke.mjs`,
      }),
    );

    expect(await errorLines()).toEqual([
      "services/web.yaml: environments.production.stages[2].run: expected an array of strings, got a string",
    ]);
  });

  it("reports a missing required key as required", async () => {
    await dir.write(
      "web.yaml",
      webManifest().replace(/channels:\n {2}deploy: C0DEPLOYS\n {2}incidents: C0INCIDENT\n/, ""),
    );

    expect(await errorLines()).toEqual(["services/web.yaml: channels: required"]);
  });

  it("reports an unknown key with the keys that are allowed", async () => {
    await dir.write(
      "web.yaml",
      webManifest({
        productionStages: `
      - name: deploy
        action: deploy
        stagse: 2`,
      }),
    );

    expect(await errorLines()).toEqual([
      "services/web.yaml: environments.production.stages[0]: unknown key 'stagse' (allowed: name, run, action, tag, timeoutSeconds, hotfix, report)",
    ]);
  });

  it("suggests the nearest key for a typo", async () => {
    await dir.write("web.yaml", webManifest().replace("strategy: blue-green", "strategy: blue-green\n    stagse: []"));

    expect(await errorLines()).toEqual([
      "services/web.yaml: environments.production: unknown key 'stagse' (allowed: strategy, stages, checklist, approval, permissions, windows, canary, blueGreen, rolling, featureFlag, hotfix, monitoring, push, schedule, requires, review, onFailure, sensitive) — did you mean 'stages'?",
    ]);
  });

  it("lists the allowed values of an enum", async () => {
    await dir.write("web.yaml", webManifest().replace("strategy: blue-green", "strategy: cannary"));

    expect(await errorLines()).toEqual([
      "services/web.yaml: environments.production.strategy: expected one of: all-at-once, blue-green, canary, rolling, feature-flag; got 'cannary' — did you mean 'canary'?",
    ]);
  });

  it("refuses a stage with both run and action", async () => {
    await dir.write(
      "web.yaml",
      webManifest({
        productionStages: `
      - name: deploy
        action: deploy
        run: [node, deploy.mjs]`,
      }),
    );

    expect(await errorLines()).toEqual([
      "services/web.yaml: environments.production.stages[0]: a stage has one of 'run' (a command), 'action' (a target action) or 'tag' (a git tag), not 'run' and 'action'",
    ]);
  });

  it("refuses a stage with neither run nor action", async () => {
    await dir.write(
      "web.yaml",
      webManifest({
        productionStages: `
      - name: deploy`,
      }),
    );

    const lines = await errorLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^services\/web\.yaml: environments\.production\.stages\[0\]: a stage needs 'run' .* or 'action' /,
    );
  });

  it("refuses an action the target does not declare", async () => {
    await dir.write(
      "web.yaml",
      webManifest({
        productionStages: `
      - name: deploy
        action: deploy
      - name: roll-back
        action: rollback`,
      }),
    );

    expect(await errorLines()).toEqual([
      "services/web.yaml: environments.production.stages[1].action: action 'rollback' is not declared in target.actions (declared: deploy, backup, setTraffic); add target.actions.rollback or use another action",
    ]);
  });

  it("refuses duplicate stage names within an environment", async () => {
    await dir.write(
      "web.yaml",
      webManifest({
        productionStages: `
      - name: deploy
        action: deploy
      - name: smoke
        run: [node, smoke.mjs]
      - name: deploy
        action: backup`,
      }),
    );

    expect(await errorLines()).toEqual([
      "services/web.yaml: environments.production.stages[2].name: duplicate stage name 'deploy' (already used by stages[0]); stage names must be unique within an environment",
    ]);
  });

  it("reports cross-field problems together with type errors", async () => {
    await dir.write(
      "web.yaml",
      webManifest({
        productionStages: `
      - name: deploy
        action: deploy
        timeoutSeconds: 1.5
      - name: deploy
        run: [node, ""]`,
      }),
    );

    expect(await errorLines()).toEqual([
      "services/web.yaml: environments.production.stages[0].timeoutSeconds: expected a whole number of seconds, got 1.5",
      "services/web.yaml: environments.production.stages[1].run[1]: must not be empty",
      "services/web.yaml: environments.production.stages[1].name: duplicate stage name 'deploy' (already used by stages[0]); stage names must be unique within an environment",
    ]);
  });

  it("refuses two files declaring the same service and keeps the first", async () => {
    await dir.write("a-web.yaml", webManifest());
    await dir.write("b-web.yml", webManifest());

    const { services, errors } = await loadManifests(dir.dir);

    expect([...services.keys()]).toEqual(["web"]);
    expect(services.get("web")?.file).toBe(path.join(dir.dir, "a-web.yaml"));
    expect(errors.map(formatManifestError)).toEqual([
      "services/b-web.yml: service: service 'web' is already declared in services/a-web.yaml; each service has exactly one manifest",
    ]);
  });

  it("reports a YAML syntax error with its line and column", async () => {
    await dir.write("web.yaml", "service: web\nchannels:\n  deploy: [C0DEPLOYS\ntarget: {}\n");

    const lines = await errorLines();

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^services\/web\.yaml: YAML syntax error at line \d+, column \d+: /);
  });

  it("reports duplicate YAML keys as a syntax error", async () => {
    const manifest = webManifest();
    await dir.write("web.yaml", `${manifest}service: web\n`);
    const duplicateLine = manifest.split("\n").length;

    const lines = await errorLines();

    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`YAML syntax error at line ${duplicateLine}, column 1: Map keys must be unique`);
  });

  it("reports an empty file", async () => {
    await dir.write("web.yaml", "# nothing here yet\n");

    expect(await errorLines()).toEqual([
      "services/web.yaml: the file is empty; a manifest needs service, channels, target and environments",
    ]);
  });

  it("reports a file that is not a mapping", async () => {
    await dir.write("web.yaml", "- service: web\n");

    expect(await errorLines()).toEqual(["services/web.yaml: expected a mapping, got an array"]);
  });

  it("reports a directory with no manifests", async () => {
    await dir.write("README.md", "not a manifest");

    const { services, errors } = await loadManifests(dir.dir);

    expect(services.size).toBe(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.file).toBe("services");
    expect(errors[0]?.message).toContain("no manifests found");
    expect(errors[0]?.message).toContain("SLIPWAY_MANIFESTS");
  });

  it("reports a missing directory and how to fix it", async () => {
    const { services, errors } = await loadManifests(path.join(dir.root, "nowhere"));

    expect(services.size).toBe(0);
    expect(errors.map(formatManifestError)).toEqual([
      expect.stringMatching(/^nowhere: manifest directory .* does not exist; set SLIPWAY_MANIFESTS to /),
    ]);
  });

  it("loads the valid files even when another file is broken", async () => {
    await dir.write("web.yaml", webManifest());
    await dir.write("api.yaml", webManifest({ service: "api" }).replace("deploy: C0DEPLOYS", "deploy: deploys"));

    const { services, errors } = await loadManifests(dir.dir);

    expect([...services.keys()]).toEqual(["web"]);
    expect(errors.map((error) => `${error.file} ${error.path}`)).toEqual(["services/api.yaml channels.deploy"]);
  });

  it("ignores sub-directories and other files, and follows symlinked manifests", async () => {
    const source = await dir.write("web.yaml.source", webManifest());
    await symlink(source, path.join(dir.dir, "web.yaml"));
    await dir.write("notes.txt", "not a manifest");

    const { services, errors } = await loadManifests(dir.dir);

    expect(errors).toEqual([]);
    expect([...services.keys()]).toEqual(["web"]);
  });

  it("accepts the example service shipped in manifests/services", async () => {
    const shipped = fileURLToPath(new URL("../../../manifests/services", import.meta.url));
    const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

    const { services, errors } = await loadManifests(shipped);

    expect(errors).toEqual([]);
    const example = services.get("example");
    expect(example?.workdir).toBe(path.resolve(repoRoot));
    expect(Object.keys(example?.manifest.environments ?? {})).toEqual(["development", "staging", "production"]);
  });
});
