import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8sClient from "@kubernetes/client-node";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { ConfigMap, type IContainer, type IPodSpec, Secret, Service } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { validateCommand } from "../../src/manifests/validate.js";
import { ROOT } from "../support/slipway-process.js";

/*
 * The Kubernetes files are checked against the Kubernetes API schemas
 * (kubernetes-models' validators, generated from the API's OpenAPI spec),
 * for fields the API does not know (which those validators let through but
 * `kubectl apply`'s strict field validation refuses; the field lists are the
 * official client's, @kubernetes/client-node), then for what Slipway needs of them: the probes on its own endpoints, the
 * Slack tokens from a Secret, Redis that keeps everything, and service
 * manifests that `slipway validate` accepts.
 */

const K8S_DIR = join(ROOT, "manifests", "k8s");

/** One schema per kind these files may use, and the official client's model of it; anything else is an error of its own. */
const KINDS = {
  "apps/v1 Deployment": { model: Deployment, type: "V1Deployment" },
  "apps/v1 StatefulSet": { model: StatefulSet, type: "V1StatefulSet" },
  "v1 Service": { model: Service, type: "V1Service" },
  "v1 ConfigMap": { model: ConfigMap, type: "V1ConfigMap" },
  "v1 Secret": { model: Secret, type: "V1Secret" },
} as const;

type Attribute = { baseName: string; type: string };
const clientModels = k8sClient as unknown as Record<string, { getAttributeTypeMap?: () => Attribute[] } | undefined>;

/** Paths of the fields in `value` that the API's type `type` (as the official client names it) does not have. */
function unknownFields(value: unknown, type: string, at: string): string[] {
  const list = /^Array<(.+)>$/.exec(type)?.[1];
  if (list !== undefined) {
    return Array.isArray(value) ? value.flatMap((item, i) => unknownFields(item, list, `${at}[${i}]`)) : [];
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type)?.[1];
  if (map !== undefined) {
    return typeof value === "object" && value !== null
      ? Object.entries(value).flatMap(([key, item]) => unknownFields(item, map, `${at}.${key}`))
      : [];
  }
  const attributes = clientModels[type]?.getAttributeTypeMap?.();
  if (!attributes || typeof value !== "object" || value === null) return [];
  const fields = new Map(attributes.map((a) => [a.baseName, a.type]));
  return Object.entries(value).flatMap(([key, item]) => {
    const fieldType = fields.get(key);
    return fieldType === undefined ? [`${at}.${key}`] : unknownFields(item, fieldType, `${at}.${key}`);
  });
}

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  [key: string]: unknown;
}

async function loadObjects(): Promise<{ file: string; object: K8sObject }[]> {
  const objects: { file: string; object: K8sObject }[] = [];
  for (const file of (await readdir(K8S_DIR)).filter((f) => f.endsWith(".yaml")).sort()) {
    for (const doc of parseAllDocuments(await readFile(join(K8S_DIR, file), "utf8"))) {
      expect(doc.errors, `${file}: YAML errors`).toEqual([]);
      objects.push({ file, object: doc.toJS() as K8sObject });
    }
  }
  return objects;
}

const objects = await loadObjects();

function find(kind: string, name: string): K8sObject {
  const found = objects.find(({ object }) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} named ${name} in manifests/k8s`);
  return found.object;
}

function podSpec(workload: K8sObject): IPodSpec {
  return (workload as unknown as { spec: { template: { spec: IPodSpec } } }).spec.template.spec;
}

function slipwayContainer(workload: K8sObject): IContainer {
  const container = podSpec(workload).containers.find((c) => c.name === "slipway");
  if (!container) throw new Error(`${workload.metadata.name} has no container named slipway`);
  return container;
}

describe("Kubernetes manifests", () => {
  it.each(objects.map(({ file, object }) => [`${file}: ${object.kind} ${object.metadata?.name}`, object]))(
    "%s is valid against the Kubernetes API schema",
    (_label, object) => {
      const kind = KINDS[`${object.apiVersion} ${object.kind}` as keyof typeof KINDS];
      expect(kind, `${object.apiVersion} ${object.kind} is not a kind these files are checked for`).toBeDefined();
      expect(() => new kind.model(object as never).validate()).not.toThrow();
      expect(unknownFields(object, kind.type, object.kind)).toEqual([]);
    },
  );

  it("rejects what the API server would reject (the check is not vacuous)", () => {
    const app = structuredClone(find("Deployment", "slipway-app")) as unknown as {
      spec: { replicas: unknown; template: { spec: { containers: { name?: string }[] } } };
    };
    app.spec.replicas = "two";
    expect(() => new Deployment(app as never).validate()).toThrow(/replicas must be integer/);
    const nameless = structuredClone(find("Deployment", "slipway-worker")) as unknown as {
      spec: { template: { spec: { containers: { name?: string }[] } } };
    };
    delete nameless.spec.template.spec.containers[0]?.name;
    expect(() => new Deployment(nameless as never).validate()).toThrow(/must have required property name/);
    // A misspelt field, which the schema validators let through and the API server's strict validation refuses.
    const misspelt = structuredClone(find("Deployment", "slipway-app")) as unknown as {
      spec: { template: { spec: { containers: Record<string, unknown>[] } } };
    };
    const [container] = misspelt.spec.template.spec.containers;
    if (container) container.livenessProbes = container.livenessProbe;
    expect(unknownFields(misspelt, "V1Deployment", "Deployment")).toEqual([
      "Deployment.spec.template.spec.containers[0].livenessProbes",
    ]);
  });

  it.each([
    ["slipway-app", "app"],
    ["slipway-worker", "worker"],
  ])("%s runs `slipway %s` as a non-root user, probed on /healthz and /readyz", (name, role) => {
    const workload = find("Deployment", name);
    const container = slipwayContainer(workload);
    expect(container.command).toEqual(["node", "dist/main.js", role]);
    expect(podSpec(workload).securityContext?.runAsNonRoot).toBe(true);
    expect(podSpec(workload).securityContext?.runAsUser).not.toBe(0);
    const port = container.ports?.find((p) => p.name === "http");
    const env = new Map((container.env ?? []).map((e) => [e.name, e]));
    expect(env.get("PORT")?.value).toBe(String(port?.containerPort));
    expect(container.livenessProbe?.httpGet).toMatchObject({ path: "/healthz", port: "http" });
    expect(container.readinessProbe?.httpGet).toMatchObject({ path: "/readyz", port: "http" });
    for (const token of ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"]) {
      expect(env.get(token)?.valueFrom?.secretKeyRef, token).toMatchObject({ name: "slipway-slack", key: token });
      expect(env.get(token)?.value, `${token} must not be written in the manifest`).toBeUndefined();
    }
    expect(env.get("REDIS_URL")?.value).toBe("redis://slipway-redis:6379");
    const manifests = container.volumeMounts?.find((m) => m.mountPath === env.get("SLIPWAY_MANIFESTS")?.value);
    const volume = podSpec(workload).volumes?.find((v) => v.name === manifests?.name);
    expect(volume?.configMap?.name).toBe("slipway-manifests");
  });

  it("the app Service selects the app pods on their http port", () => {
    const service = find("Service", "slipway-app") as unknown as {
      spec: { selector: Record<string, string>; ports: { targetPort: string }[] };
    };
    const app = find("Deployment", "slipway-app") as unknown as {
      spec: { template: { metadata: { labels: Record<string, string> } } };
    };
    expect(app.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(service.spec.ports.map((p) => p.targetPort)).toEqual(["http"]);
  });

  it("Redis is a StatefulSet with AOF on, noeviction and a persistent volume", () => {
    const redis = find("StatefulSet", "slipway-redis") as unknown as {
      spec: {
        template: { spec: IPodSpec };
        volumeClaimTemplates: { metadata: { name: string } }[];
      };
    };
    const container = redis.spec.template.spec.containers[0];
    const args = container?.args ?? [];
    const option = (name: string) => args[args.indexOf(name) + 1];
    expect(option("--appendonly")).toBe("yes");
    expect(option("--maxmemory-policy")).toBe("noeviction");
    const dataMount = container?.volumeMounts?.find((m) => m.mountPath === option("--dir"));
    expect(redis.spec.volumeClaimTemplates.map((c) => c.metadata.name)).toContain(dataMount?.name);
  });

  it("the ConfigMap's service manifests pass `slipway validate`", async () => {
    const configMap = find("ConfigMap", "slipway-manifests") as unknown as { data: Record<string, string> };
    // Their targets run from the image's working directory, which holds what the repository holds.
    const workdir = /^WORKDIR (\S+)$/m.exec(await readFile(join(ROOT, "Dockerfile"), "utf8"))?.[1];
    expect(workdir).toBe("/app");
    const dir = await mkdtemp(join(tmpdir(), "slipway-k8s-manifests-"));
    for (const [key, text] of Object.entries(configMap.data)) {
      expect(text).toContain(`workdir: ${workdir} `);
      await writeFile(join(dir, key), text.replaceAll(`workdir: ${workdir} `, `workdir: ${ROOT} `));
    }
    let printed = "";
    const code = await validateCommand(dir, { write: (text: string) => (printed += text) });
    expect(printed).toMatch(/✓ 1 service valid: example/);
    expect(code).toBe(0);
  });

  it("the ConfigMap's example shows blue-green steps with archive, deployment validation and restore from backup", () => {
    const configMap = find("ConfigMap", "slipway-manifests") as unknown as { data: Record<string, string> };
    const example = parse(configMap.data["example.yaml"] ?? "") as {
      target: { actions: Record<string, unknown> };
      checklist: { id: string; section: string }[];
      environments: Record<
        string,
        {
          strategy?: string;
          blueGreen?: { steps?: unknown[] };
          checklist?: string[];
          permissions?: { restore?: string[] };
        }
      >;
    };
    expect(Object.keys(example.target.actions)).toEqual(expect.arrayContaining(["backup", "archive", "restore"]));
    const environments = Object.values(example.environments);
    expect(environments.some((e) => e.strategy === "blue-green" && (e.blueGreen?.steps?.length ?? 0) > 1)).toBe(true);
    const validating = new Set(example.checklist.filter((i) => i.section === "deployment").map((i) => i.id));
    expect(environments.some((e) => e.checklist?.some((id) => validating.has(id)))).toBe(true);
    expect(example.checklist.some((i) => i.section === "validation")).toBe(true);
    expect(environments.some((e) => (e.permissions?.restore?.length ?? 0) > 0)).toBe(true);
  });
});
