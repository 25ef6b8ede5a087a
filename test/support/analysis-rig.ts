import { type Job, type JobType, Queue } from "bullmq";
import { exampleTargetYaml } from "../../src/demo/example-target.js";
import type { Deployment } from "../../src/domain/deployment.js";
import { queueOptions } from "../../src/engine/queues.js";
import { ACTION_IDS } from "../../src/slack/action-ids.js";
import type { StoredMessage } from "../../src/standin/message-store.js";
import { eventually } from "./eventually.js";
import { PrometheusServer } from "./prometheus-server.js";
import { RouterWatch } from "./router-watch.js";
import { type Load, type SampleStack, startLoad, startSampleStack } from "./sample-stack.js";
import { ROOT } from "./slipway-process.js";
import { SlipwayScene } from "./slipway-scene.js";

/*
 * Canary analysis on the sample stack: the router with v1.1.0 × 3, steady
 * load through it, Slipway deploying `storefront` to `production` with a
 * `metrics` section, and — for the Prometheus source — a real Prometheus
 * scraping every backend through the router's GET /_admin/metrics. The
 * `scrape` source reads GET /_admin/metrics/{{version}} itself.
 *
 * Used by test/e2e/analysis-*.test.ts and bench/rollback-latency.ts; it does
 * not depend on vitest.
 */

export const DEPLOYER = "U0DEPLOY01";
export const ONCALL = "U0ONCALL01";
export const USERS = { [DEPLOYER]: "dana", [ONCALL]: "oncall" };
export const CHANNEL = "C0STOREFRONT";
export const INCIDENTS = "C0INCIDENTS";
export const SERVICE = "storefront";
/** A second service that is never deployed. */
export const UNDEPLOYED = "checkout";
export const ENVIRONMENT = "production";
/** What the stack runs before Slipway deploys anything. */
export const INITIAL = "v1.1.0";

export type SourceKind = "prometheus" | "scrape";

export interface RigOptions {
  readonly label: string;
  readonly source: SourceKind;
  /** The prometheus binary, for source prometheus. */
  readonly prometheus?: string;
  /** metrics.interval, seconds. Default 2. */
  readonly intervalSeconds?: number;
  /** Requests a second the load generator sends through the router. Default 50. */
  readonly rps?: number;
  /** metrics.minRequests. Default 10. */
  readonly minRequests?: number;
  /** The rate window of the Prometheus queries, seconds. Default 10. */
  readonly windowSeconds?: number;
  /** Canary holds, seconds. Default 6. */
  readonly holdSeconds?: number;
  /** monitoring.immediate, seconds. Default 4. */
  readonly monitorSeconds?: number;
  /** metrics.triggers, as YAML flow mapping, e.g. `{ latencyMaxMs: 500 }`. Default none (the defaults). */
  readonly triggers?: string;
  /** Whether metrics.custom declares p50, p99, active users and conversion rate (scrape source). Default false. */
  readonly businessMetrics?: boolean;
  /** monitoring.extended: its length and interval, seconds, judging active users and conversion rate. Default none. */
  readonly extended?: { readonly seconds: number; readonly intervalSeconds: number };
  /** Whether the pipeline has a health-check stage before the canary. Default true. */
  readonly healthStage?: boolean;
  /** blueGreen, as a YAML flow mapping. Default: blue kept for the canary's hold, switched at once. */
  readonly blueGreen?: string;
}

function metricsSection(options: RigOptions, prometheusUrl: string | undefined, routerAdmin: string): string {
  const common = `  interval: ${options.intervalSeconds ?? 2}s
  timeout: 3s
  minRequests: ${options.minRequests ?? 10}${options.triggers ? `\n  triggers: ${options.triggers}` : ""}`;
  if (options.source === "prometheus") {
    return `metrics:
  source: prometheus
  url: ${prometheusUrl}
  window: ${options.windowSeconds ?? 10}s
${common}
`;
  }
  return `metrics:
  source: scrape
  scrape:
    template: ${routerAdmin}/metrics/{{version}}
    interval: 2s
${common}${options.businessMetrics ? BUSINESS_METRICS : ""}
`;
}

/** The example's own metrics: p50, p99 and active users shown, and conversion rate able to roll back. */
const BUSINESS_METRICS = `
  custom:
    - { name: p50, title: p50 latency, scrape: "quantile(0.5, http_request_duration_seconds)", unit: seconds, worse: higher, rollback: false }
    - { name: p99, title: p99 latency, scrape: "quantile(0.99, http_request_duration_seconds)", unit: seconds, worse: higher, rollback: false }
    - { name: active-users, title: active users, scrape: value(active_users), worse: lower, rollback: false }
    - { name: conversion-rate, title: conversion rate, scrape: "ratio(checkout_conversions_total, checkout_visits_total)", unit: ratio, worse: lower, limit: 0.1, vsBaseline: 50 }`;

function extendedWindow({ extended }: RigOptions): string {
  return extended
    ? `, extended: { for: ${extended.seconds}s, interval: ${extended.intervalSeconds}s, metrics: [active-users, conversion-rate] }`
    : "";
}

function storefrontManifest(options: RigOptions, prometheusUrl: string | undefined, routerAdmin: string): string {
  const hold = options.holdSeconds ?? 6;
  return `service: ${SERVICE}
channels:
  deploy: ${CHANNEL}
  incidents: ${INCIDENTS}
${exampleTargetYaml(ROOT, ["deploy", "setTraffic", "healthCheck", "rollback", "archive"])}checklist:
  # The seed's rollback validation, checked after a rollback against the router and the running versions.
  - { id: previous-version-running, title: Previous version running, section: validation, check: { kind: command, run: [node, examples/checks/check.mjs, previous-version] } }
  - { id: services-healthy, title: All services healthy, section: validation, check: { kind: command, run: [node, examples/targets/health-check.mjs] } }
  - { id: performance-normal, title: Performance normal, section: validation, check: { kind: json, file: examples/reports/performance.json, path: latencyMs.p95, op: "<=", value: 200 } }
  - { id: no-data-corruption, title: No data corruption, section: validation, check: { kind: command, run: [node, examples/checks/check.mjs, data-integrity] } }
  - { id: users-can-access, title: Users can access system, section: validation, check: { kind: command, run: [node, examples/checks/check.mjs, users-can-access] } }
${metricsSection(options, prometheusUrl, routerAdmin)}environments:
  ${ENVIRONMENT}:
    strategy: canary
    approval: { required: false }
    canary:
      steps:
        - { weight: 25, hold: ${hold}s }
        - { weight: 50, hold: ${hold}s }
    blueGreen: ${options.blueGreen ?? `{ keepBlueFor: ${hold}s }`}
    rolling: { instances: 3 }
    monitoring: { immediate: ${options.monitorSeconds ?? 4}s${extendedWindow(options)} }
    stages:
      - { name: deploy, action: deploy }
${options.healthStage === false ? "" : "      - { name: health-check, action: healthCheck }\n"}`;
}

const UNDEPLOYED_MANIFEST = `service: ${UNDEPLOYED}
channels:
  deploy: C0CHECKOUT
target:
  type: command
  workdir: "${ROOT}"
  actions:
    deploy: [node, -e, "process.exit(0)"]
environments:
  ${ENVIRONMENT}:
    approval: { required: false }
    stages:
      - { name: deploy, action: deploy }
`;

/** The Prometheus selector of one version of the storefront. */
export function selector(version: string): string {
  return `service="${SERVICE}",environment="${ENVIRONMENT}",version="${version}"`;
}

export class AnalysisRig {
  private load: Load | undefined;

  private constructor(
    readonly options: RigOptions,
    readonly stack: SampleStack,
    readonly prometheus: PrometheusServer | undefined,
    readonly scene: SlipwayScene,
    readonly watch: RouterWatch,
  ) {}

  /** Starts everything, with the load running and (for Prometheus) the stable version's traffic visible. */
  static async start(options: RigOptions): Promise<AnalysisRig> {
    const stack = await startSampleStack(INITIAL, 3);
    let prometheus: PrometheusServer | undefined;
    let scene: SlipwayScene | undefined;
    try {
      if (options.source === "prometheus") {
        if (!options.prometheus) throw new Error("source prometheus needs the prometheus binary");
        prometheus = await PrometheusServer.start(options.prometheus, [
          {
            name: "sample-stack",
            target: new URL(stack.url).host,
            metricsPath: "/_admin/metrics",
            labels: { service: SERVICE, environment: ENVIRONMENT },
          },
        ]);
      }
      scene = await SlipwayScene.start({
        label: options.label,
        manifests: {
          [`${SERVICE}.yaml`]: storefrontManifest(options, prometheus?.url, stack.admin),
          [`${UNDEPLOYED}.yaml`]: UNDEPLOYED_MANIFEST,
        },
        env: { SLIPWAY_EXAMPLE_ROUTER: stack.admin },
        users: USERS,
      });
    } catch (error) {
      await scene?.close();
      await prometheus?.stop();
      await stack.stop();
      throw error;
    }
    const rig = new AnalysisRig(options, stack, prometheus, scene, RouterWatch.start(stack));
    try {
      await rig.startLoad();
      await prometheus?.until(
        `${INITIAL}'s traffic`,
        `sum(rate(http_requests_total{${selector(INITIAL)}}[${options.windowSeconds ?? 10}s]))`,
        (rate) => rate > 0,
      );
    } catch (error) {
      await rig.close();
      throw error;
    }
    return rig;
  }

  get intervalMs(): number {
    return (this.options.intervalSeconds ?? 2) * 1000;
  }

  /** Starts the load generator (if it is not running) and waits until the router counts its requests. */
  async startLoad(): Promise<void> {
    if (this.load) return;
    const before = (await this.stack.state()).total;
    this.load = await startLoad(this.stack.url, this.options.rps ?? 50);
    await eventually("the load to reach the router", async () => (await this.stack.state()).total >= before + 20);
  }

  /** Stops the load generator; resolves once its last request was answered. */
  async stopLoad(): Promise<void> {
    const load = this.load;
    this.load = undefined;
    await load?.stop();
  }

  /** `/deploy production <version> [flags]` by the deployer; the deployment id. */
  deploy(version: string, flags = ""): Promise<string> {
    return this.scene.deploy(DEPLOYER, CHANNEL, `${ENVIRONMENT} ${version} ${SERVICE} ${flags}`.trim());
  }

  deployment(id: string): Promise<Deployment> {
    return this.scene.deployment(id);
  }

  /** A slash command typed in the deploy channel; the visible answer. */
  command(userId: string, command: string, text: string): Promise<string> {
    return this.scene.chat.command(userId, CHANNEL, command, text);
  }

  lastSucceeded(): Promise<string | undefined> {
    return this.scene.store.lastSucceeded(SERVICE, ENVIRONMENT);
  }

  /**
   * Makes `version` the last good version if it is not: deployed all at once
   * (no canary holds), then its monitoring window. Scenarios that need a
   * baseline start with this, so each can run alone.
   */
  async ensureGood(version: string): Promise<void> {
    await this.startLoad();
    if ((await this.lastSucceeded()) === version && !(await this.activeId())) return;
    await this.ensureHistory([version]);
  }

  /**
   * Makes `versions` (oldest first) the latest good versions, the last one
   * live, deploying all at once whatever is not already so; the load runs.
   */
  async ensureHistory(versions: readonly string[]): Promise<void> {
    await this.startLoad();
    const good = await this.scene.store.goodVersions(SERVICE, ENVIRONMENT);
    const newestFirst = [...versions].reverse();
    if (!(await this.activeId()) && newestFirst.every((version, i) => good[i] === version)) return;
    for (const version of versions) {
      await this.settle();
      const id = await this.deploy(version, "--strategy=all-at-once");
      await this.scene.ended(id, "succeeded", 45_000);
    }
  }

  activeId(): Promise<string | undefined> {
    return this.scene.store.activeFor(SERVICE, ENVIRONMENT);
  }

  /** Aborts whatever deployment is still active (a test that failed half-way) and waits for it to end. */
  async settle(): Promise<void> {
    const id = await this.activeId();
    if (!id) return;
    const d = await this.scene.deployment(id);
    if (d.state === "running" || d.state === "monitoring") await this.scene.clickControl(id, ONCALL, ACTION_IDS.abort);
    await this.scene.until(id, "to end after an abort", (x) => x.finishedAt !== undefined, 45_000);
  }

  /** The analysis reply of the deployment's thread (📈 …) once it matches every pattern. */
  analysisReply(id: string, patterns: readonly RegExp[], timeoutMs = 30_000): Promise<StoredMessage> {
    return this.scene.chat.replyOf(id, [/📈/, ...patterns], timeoutMs);
  }

  /** The alert about the deployment in the incident channel (not a reply in its thread), once it matches. */
  incidentAlert(id: string, matching: RegExp = /./, timeoutMs = 30_000): Promise<StoredMessage> {
    const slack = this.scene.slack;
    return slack.waitForMessage(
      (m) =>
        m.channel === INCIDENTS &&
        m.threadTs === undefined &&
        slack.textOf(m).includes(id) &&
        matching.test(slack.textOf(m)),
      { timeoutMs },
    );
  }

  /** `userId` clicks a button of the incident alert (`value`: when the button is gone); what Slipway told them. */
  async clickAlert(alert: StoredMessage, userId: string, actionId: string, value?: string): Promise<string> {
    const delivery = await this.scene.slack.click({
      actionId,
      ...(value === undefined ? {} : { value }),
      userId,
      channelId: alert.channel,
      messageTs: alert.ts,
    });
    return this.scene.chat.responseText(delivery);
  }

  /** `advance` and `analyse` jobs waiting, delayed or running for a deployment: what could still move it on. */
  async pendingSteps(id: string): Promise<string[]> {
    const jobs = await this.pipelineJobs(id, ["waiting", "delayed", "active", "prioritized", "waiting-children"]);
    return jobs.filter((job) => job.name === "advance" || job.name === "analyse").map((job) => `${job.name} ${job.id}`);
  }

  /** How long each `analyse` job of a deployment's step was delayed when queued (-1: monitoring), by when it ran. */
  async analysisDelays(id: string, stageIndex: number): Promise<number[]> {
    const jobs = await this.pipelineJobs(id, ["completed"]);
    return jobs
      .filter((job) => job.name === "analyse" && (job.data as { stageIndex?: unknown }).stageIndex === stageIndex)
      .sort((a, b) => (a.processedOn ?? 0) - (b.processedOn ?? 0))
      .map((job) => job.opts.delay ?? 0);
  }

  private async pipelineJobs(id: string, states: JobType[]): Promise<Job[]> {
    const queue = new Queue("pipeline", queueOptions(this.scene.redis, this.scene.prefix, "pipeline"));
    try {
      const jobs = await queue.getJobs(states);
      return jobs.filter((job) => (job.data as { deploymentId?: unknown } | undefined)?.deploymentId === id);
    } finally {
      await queue.close();
    }
  }

  /** Stops everything, last started first; resolves with Slipway's exit code. */
  async close(): Promise<number | null> {
    const errors: unknown[] = [];
    const attempt = async (step: () => Promise<unknown>) => {
      try {
        return await step();
      } catch (error) {
        errors.push(error);
        return undefined;
      }
    };
    await attempt(() => this.watch.stop());
    await attempt(() => this.stopLoad());
    const code = await attempt(() => this.scene.close());
    await attempt(async () => this.prometheus?.stop());
    await attempt(() => this.stack.stop());
    if (errors.length > 0) throw errors[0];
    return (code as number | null | undefined) ?? null;
  }
}
