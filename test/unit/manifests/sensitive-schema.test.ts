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

const LOW_TRAFFIC = `{ timezone: Europe/Berlin, lowTraffic: [{ days: [tue, wed, thu], from: "02:00", to: "05:00" }] }`;

describe("sensitive deployments and hotfix fields in manifests", () => {
  it("accepts a sensitive environment with the security role, the incident channel and a low-traffic window", () => {
    const result = parseManifest(
      parse(`service: web
channels: { deploy: C0DEPLOYS, incidents: C0INCIDENT }
roles: { security: { users: [U0SECURE01] } }
target:
  type: command
  actions: { deploy: [node, deploy.mjs] }
environments:
  staging:
    hotfix: { allowed: true, soak: 2m, interval: 10s }
    stages: [{ name: deploy, action: deploy }, { name: full-suite, run: [node, suite.mjs], hotfix: after }]
  production:
    sensitive: true
    windows: ${LOW_TRAFFIC}
    stages: [{ name: deploy, action: deploy }]
`),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.manifest.environments.production?.sensitive).toBe(true);
    expect(result.manifest.environments.production?.windows?.lowTraffic).toEqual([
      { days: ["tue", "wed", "thu"], from: "02:00", to: "05:00" },
    ]);
    expect(result.manifest.environments.staging?.hotfix).toEqual({ allowed: true, soak: 120_000, interval: 10_000 });
  });

  it("says what a sensitive environment lacks and how to add it", () => {
    expect(
      issues(`${HEAD}environments:
  production:
    sensitive: true
    stages: [{ name: deploy, action: deploy }]
`),
    ).toEqual([
      "roles: production is marked sensitive, so its deployments need an approver from the 'security' role: add roles: { security: { users: [U…] } }",
      "channels.incidents: production is marked sensitive, so Slipway posts heads-ups to the incident channel: add channels.incidents: C…",
      'environments.production.windows.lowTraffic: production is marked sensitive, so its deployments run only in a low-traffic window: add windows: { timezone: Europe/Berlin, lowTraffic: [{ days: [tue, wed, thu], from: "02:00", to: "05:00" }] }',
    ]);
  });

  it("asks every environment of a sensitive service for its low-traffic window, and names the role once", () => {
    expect(
      issues(`${HEAD}sensitive: true
environments:
  staging:
    stages: [{ name: deploy, action: deploy }]
  production:
    windows: ${LOW_TRAFFIC}
    stages: [{ name: deploy, action: deploy }]
`).map((issue) => issue.split(":")[0]),
    ).toEqual(["roles", "channels.incidents", "environments.staging.windows.lowTraffic"]);
  });

  it("refuses a bad low-traffic window, a bad hotfix soak and an unknown hotfix mode with what is expected", () => {
    const found = issues(`${HEAD}environments:
  staging:
    hotfix: { soak: soon }
    windows: { timezone: UTC, lowTraffic: [{ days: [tue], from: "2am", to: "05:00" }] }
    stages: [{ name: deploy, action: deploy, hotfix: later }]
  production:
    windows: { timezone: UTC, lowTraffic: [] }
    stages: [{ name: deploy, action: deploy }]
`);
    expect(found).toHaveLength(4);
    expect(found.find((i) => i.startsWith("environments.staging.hotfix.soak:"))).toBeDefined();
    expect(found).toContain(
      `environments.staging.windows.lowTraffic[0].from: '2am' is not a time: write HH:MM on a 24-hour clock, e.g. "09:00"`,
    );
    expect(found.find((i) => i.startsWith("environments.staging.stages[0].hotfix:"))).toMatch(/run.*skip.*after/);
    expect(found).toContain(
      "environments.production.windows.lowTraffic: list at least one low-traffic window, or leave lowTraffic out",
    );
  });
});
