import { describe, expect, it } from "vitest";
import { closestMatch, describeValue, formatManifestError, formatPath } from "../../../src/manifests/format-errors.js";
import { parseManifest } from "../../../src/manifests/schema.js";

describe("formatPath", () => {
  it("joins keys with dots and puts array indexes in brackets", () => {
    expect(formatPath(["environments", "production", "stages", 2, "run"])).toBe(
      "environments.production.stages[2].run",
    );
    expect(formatPath([])).toBe("");
    expect(formatPath([0, "name"])).toBe("[0].name");
  });

  it("quotes keys that are not plain names", () => {
    expect(formatPath(["target", "env", "bad name"])).toBe('target.env["bad name"]');
  });
});

describe("formatManifestError", () => {
  it("prints file, path and message", () => {
    expect(formatManifestError({ file: "services/web.yaml", path: "service", message: "required" })).toBe(
      "services/web.yaml: service: required",
    );
  });

  it("leaves out an empty path", () => {
    expect(formatManifestError({ file: "services/web.yaml", path: "", message: "the file is empty" })).toBe(
      "services/web.yaml: the file is empty",
    );
  });
});

describe("describeValue", () => {
  it("names YAML values with their article", () => {
    expect(describeValue("x")).toBe("a string");
    expect(describeValue(3)).toBe("an integer");
    expect(describeValue(1.5)).toBe("a number");
    expect(describeValue(true)).toBe("a boolean");
    expect(describeValue([])).toBe("an array");
    expect(describeValue({})).toBe("a mapping");
    expect(describeValue(null)).toBe("an empty value");
  });
});

describe("closestMatch", () => {
  it("finds a near miss and ignores distant words", () => {
    expect(closestMatch("stagse", ["strategy", "stages"])).toBe("stages");
    expect(closestMatch("zzz", ["strategy", "stages"])).toBeUndefined();
  });
});

describe("parseManifest messages", () => {
  const valid = {
    service: "web",
    channels: { deploy: "C0DEPLOYS" },
    target: { type: "command", actions: { deploy: ["node", "deploy.mjs"] } },
    environments: { development: { stages: [{ name: "deploy", action: "deploy" }] } },
  };

  it("accepts a minimal manifest", () => {
    const result = parseManifest(valid);
    expect(result.ok).toBe(true);
  });

  it("names an unsupported target type and the supported ones", () => {
    const result = parseManifest({ ...valid, target: { type: "kubernetes", url: "https://deploy.example.com" } });
    expect(result).toEqual({
      ok: false,
      issues: [{ path: "target.type", message: "unknown type 'kubernetes' (supported: command, http)" }],
    });
  });

  it("asks for strings in target.env and shows how to quote", () => {
    const result = parseManifest({ ...valid, target: { ...valid.target, env: { PORT: 3000 } } });
    expect(result).toEqual({
      ok: false,
      issues: [{ path: "target.env.PORT", message: 'expected a string, got an integer (quote it: "3000")' }],
    });
  });

  it("explains a channel name given instead of a channel id", () => {
    const result = parseManifest({ ...valid, channels: { deploy: "#deploys" } });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues[0]?.path).toBe("channels.deploy");
      expect(result.issues[0]?.message).toMatch(/^'#deploys' is not a Slack channel id/);
    }
  });

  it("explains an invalid environment name", () => {
    const result = parseManifest({ ...valid, environments: { Production: valid.environments.development } });
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: "environments.Production",
          message:
            "invalid name 'Production': use lowercase letters, digits and '-', starting with a letter (at most 31 characters)",
        },
      ],
    });
  });

  it("requires at least one environment and one stage", () => {
    expect(parseManifest({ ...valid, environments: {} })).toEqual({
      ok: false,
      issues: [{ path: "environments", message: "needs at least one environment, e.g. development" }],
    });
    expect(parseManifest({ ...valid, environments: { development: { stages: [] } } })).toEqual({
      ok: false,
      issues: [{ path: "environments.development.stages", message: "needs at least one stage" }],
    });
  });

  it("refuses an empty argv", () => {
    const result = parseManifest({ ...valid, target: { ...valid.target, actions: { deploy: [] } } });
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: "target.actions.deploy",
          message: "needs at least the program to run, e.g. [node, scripts/deploy.mjs]",
        },
      ],
    });
  });
});
