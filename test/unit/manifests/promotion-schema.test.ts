import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "../../../src/manifests/schema.js";

const HEAD = `service: web
channels: { deploy: C0DEPLOYS }
target:
  type: command
  actions: { deploy: [node, deploy.mjs] }
`;

function issues(text: string): string[] {
  const result = parseManifest(parse(text));
  return result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`);
}

describe("repository, tag stages and the promotion gate in manifests", () => {
  it("accepts a repository, a release candidate stage and a promotion rule", () => {
    const result = parseManifest(
      parse(`${HEAD}repository: { path: ../web, remote: origin }
environments:
  staging:
    stages: [{ name: rc, tag: release-candidate }, { name: deploy, action: deploy }]
  production:
    requires: { environment: staging, soak: 24h }
    stages: [{ name: deploy, action: deploy }]
`),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.manifest.repository).toEqual({ path: "../web", remote: "origin" });
    expect(result.manifest.environments.production?.requires).toEqual({ environment: "staging", soak: 86_400_000 });
    expect(result.manifest.environments.staging?.stages[0]?.tag).toBe("release-candidate");
  });

  it("refuses a tag stage without a repository, saying what to add", () => {
    expect(
      issues(`${HEAD}environments:
  staging:
    stages: [{ name: rc, tag: release-candidate }]
`),
    ).toEqual([
      "environments.staging.stages[0].tag: a tag stage needs the service's git repository: add repository: { path: <local clone>, remote: origin } to the manifest",
    ]);
  });

  it("refuses a stage that is both a tag and a command", () => {
    expect(
      issues(`${HEAD}repository: { path: . }
environments:
  staging:
    stages: [{ name: rc, tag: release-candidate, run: [node, x.mjs] }]
`),
    ).toEqual([
      "environments.staging.stages[0]: a stage has one of 'run' (a command), 'action' (a target action) or 'tag' (a git tag), not 'run' and 'tag'",
    ]);
  });

  it("refuses a promotion rule naming an unknown environment or its own", () => {
    expect(
      issues(`${HEAD}environments:
  staging:
    stages: [{ name: deploy, action: deploy }]
  production:
    requires: { environment: stagin }
    stages: [{ name: deploy, action: deploy }]
  qa:
    requires: { environment: qa }
    stages: [{ name: deploy, action: deploy }]
`),
    ).toEqual([
      "environments.production.requires.environment: unknown environment 'stagin' — did you mean 'staging'? (environments: staging, production, qa); name one this manifest defines",
      "environments.qa.requires.environment: qa cannot require itself; name the environment a version passes first, e.g. staging",
    ]);
  });

  it("refuses a remote that reads as an option", () => {
    expect(
      issues(
        `${HEAD}repository: { path: ., remote: --upload-pack=x }\nenvironments:\n  dev:\n    stages: [{ name: deploy, action: deploy }]\n`,
      ),
    ).toEqual(["repository.remote: a remote name or URL, not an option"]);
  });
});
