/*
 * Pre-deployment, post-deployment and post-rollback checklists: which items an environment
 * checks, how their results gate the pipeline, and the words that explain a
 * result. Evaluating an item (running a command, reading a file) is I/O and
 * lives in src/checks/; this module only decides.
 */
import type { TestCounts } from "./test-counts.js";

export const SECTIONS = ["code", "environment", "security", "deployment", "validation"] as const;
export type Section = (typeof SECTIONS)[number];

/** Headings for the thread, in the seed guide's words. */
export const SECTION_TITLES: Readonly<Record<Section, string>> = {
  code: "Code readiness",
  environment: "Environment readiness",
  security: "Security",
  deployment: "Deployment validation",
  validation: "Rollback validation",
};

export const COMPARISONS = [">=", ">", "<=", "<", "=="] as const;
export type Comparison = (typeof COMPARISONS)[number];

export const TASK_FAIL_MODES = ["open", "open-matching"] as const;
export type TaskFailMode = (typeof TASK_FAIL_MODES)[number];

export type ItemStatus = "passed" | "failed" | "waiting" | "error";

/** What checking one item found, with the evidence shown in the thread. */
export interface ItemResult {
  readonly id: string;
  readonly title: string;
  readonly section: Section;
  /** False for an advisory item: shown, never blocking. */
  readonly required: boolean;
  /** `error` when the check itself could not run (timeout, unreadable file); it blocks like a failure. */
  readonly status: ItemStatus;
  /** "86.4 ≥ 80", "exit 1: …tail", "open: - [ ] Write release notes" */
  readonly evidence: string;
  /** Slack user id of whoever ticked a manual item. */
  readonly tickedBy?: string;
  /** When the result was reached, epoch milliseconds. */
  readonly at?: number;
  /** What the item's test report counted, for a `tests` item. */
  readonly tests?: TestCounts;
}

export type GateState = "passed" | "failed" | "waiting";

export interface Gate {
  readonly state: GateState;
  /** Required items that have not passed, in checklist order. */
  readonly blocking: ItemResult[];
}

/**
 * A required item that failed or could not be checked fails the gate; else a
 * required item still waiting for a person holds it; advisory items never
 * block.
 */
export function gate(results: readonly ItemResult[]): Gate {
  const blocking = results.filter((result) => result.required && result.status !== "passed");
  const failed = blocking.some((result) => result.status === "failed" || result.status === "error");
  const state: GateState = failed ? "failed" : blocking.length > 0 ? "waiting" : "passed";
  return { state, blocking };
}

/** What the checklist rules read of a manifest's item; the manifest's items carry how to check them too. */
export interface ChecklistItem {
  readonly id: string;
  readonly title: string;
  readonly section: Section;
  readonly required: boolean;
}

/** When in a deployment a checklist is checked. */
export type ChecklistPhase = "pre-deployment" | "post-deployment" | "post-rollback";

/** Sections checked after something happened, never before deploying. */
const AFTERWARDS: readonly Section[] = ["deployment", "validation"];

/** The parts of a manifest `itemsFor` reads. */
export interface ChecklistSource<Item extends ChecklistItem> {
  readonly checklist: readonly Item[];
  readonly environments: Readonly<Record<string, { readonly checklist?: readonly string[] | undefined }>>;
}

/**
 * The items an environment checks, in the order its list gives them.
 *
 * Before deploying: the environment's `checklist` (deployment and validation
 * items left out), or, when it has none, every item of the other sections.
 * After the last step: the deployment items the environment lists (none
 * when it lists none). After a rollback: the validation items the
 * environment lists, or every validation item when it lists none.
 */
export function itemsFor<Item extends ChecklistItem>(
  manifest: ChecklistSource<Item>,
  environment: string,
  phase: ChecklistPhase = "pre-deployment",
): Item[] {
  const config = manifest.environments[environment];
  if (config === undefined) throw new RangeError(`the manifest has no environment '${environment}'`);
  const byId = new Map(manifest.checklist.map((item) => [item.id, item]));
  const listed =
    config.checklist === undefined
      ? undefined
      : config.checklist.flatMap((id) => {
          const item = byId.get(id);
          return item === undefined ? [] : [item];
        });
  switch (phase) {
    case "pre-deployment":
      return (listed ?? manifest.checklist).filter((item) => !AFTERWARDS.includes(item.section));
    case "post-deployment":
      return listed?.filter((item) => item.section === "deployment") ?? [];
    case "post-rollback": {
      const listedValidation = listed?.filter((item) => item.section === "validation") ?? [];
      return listedValidation.length > 0
        ? listedValidation
        : manifest.checklist.filter((item) => item.section === "validation");
    }
    default: {
      const unreachable: never = phase;
      return unreachable;
    }
  }
}

const SYMBOL: Readonly<Record<Comparison, string>> = { ">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=" };
const NEGATED: Readonly<Record<Comparison, string>> = { ">=": "<", ">": "≤", "<=": ">", "<": "≥", "==": "≠" };

export function compare(actual: number, op: Comparison, expected: number): boolean {
  switch (op) {
    case ">=":
      return actual >= expected;
    case ">":
      return actual > expected;
    case "<=":
      return actual <= expected;
    case "<":
      return actual < expected;
    case "==":
      return actual === expected;
    default: {
      const unreachable: never = op;
      return unreachable;
    }
  }
}

/** "86.4 ≥ 80" when it holds, "72.1 < 80 (needs ≥ 80)" when it does not. */
export function describeComparison(actual: number, op: Comparison, expected: number): string {
  if (compare(actual, op, expected)) return `${actual} ${SYMBOL[op]} ${expected}`;
  return `${actual} ${NEGATED[op]} ${expected} (needs ${SYMBOL[op]} ${expected})`;
}

/** A result for `item` with the given outcome. */
export function resultFor(item: ChecklistItem, status: ItemStatus, evidence: string, at?: number): ItemResult {
  const base = { id: item.id, title: item.title, section: item.section, required: item.required, status, evidence };
  return at === undefined ? base : { ...base, at };
}

export type TickResult = { ok: true; results: ItemResult[] } | { ok: false; reason: string };

/**
 * Marks a waiting (manual) item as passed by `userId`. Whether that person may
 * tick it is `authorizeTick`'s decision, made before.
 */
export function tickItem(results: readonly ItemResult[], id: string, userId: string, at: number): TickResult {
  const index = results.findIndex((result) => result.id === id);
  const current = results[index];
  if (current === undefined) {
    return { ok: false, reason: `this deployment's checklist has no item '${id}'; refresh the thread and try again` };
  }
  if (current.status === "passed" && current.tickedBy !== undefined) {
    return { ok: false, reason: `'${current.title}' was already ticked by <@${current.tickedBy}>; nothing changed` };
  }
  if (current.status !== "waiting") {
    return {
      ok: false,
      reason: `'${current.title}' is checked automatically (${current.status}: ${current.evidence}); it cannot be ticked by hand`,
    };
  }
  const next = results.slice();
  next[index] = { ...current, status: "passed", evidence: `ticked by <@${userId}>`, tickedBy: userId, at };
  return { ok: true, results: next };
}
