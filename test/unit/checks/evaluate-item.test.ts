import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CheckContext, evaluateItem, evaluateItems } from "../../../src/checks/evaluate-item.js";
import { createLogger } from "../../../src/logger.js";
import type { CheckConfig, ChecklistItemConfig } from "../../../src/manifests/schema.js";

const AT = 1_767_000_000_000;
let workdir: string;
let context: CheckContext;

beforeEach(async () => {
  workdir = await mkdtemp(path.join(tmpdir(), "slipway-checks-"));
  context = { workdir, env: {}, log: createLogger("silent"), now: () => AT };
});

afterEach(async () => {
  await rm(workdir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<void> {
  const file = path.join(workdir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

function item(check: CheckConfig, overrides: Partial<ChecklistItemConfig> = {}): ChecklistItemConfig {
  return { id: "item", title: "An item", section: "code", required: true, check, ...overrides };
}

const coverage = (value = 80, op: ">=" | "==" = ">="): CheckConfig => ({
  kind: "json",
  file: "coverage/coverage-summary.json",
  path: "total.lines.pct",
  op,
  value,
});

describe("json checks", () => {
  it("passes when the number meets the threshold, with the comparison as evidence", async () => {
    await write("coverage/coverage-summary.json", JSON.stringify({ total: { lines: { pct: 86.4 } } }));
    expect(await evaluateItem(item(coverage()), context)).toEqual({
      id: "item",
      title: "An item",
      section: "code",
      required: true,
      status: "passed",
      evidence: "86.4 ≥ 80",
      at: AT,
    });
  });

  it("fails below the threshold and says what was needed", async () => {
    await write("coverage/coverage-summary.json", JSON.stringify({ total: { lines: { pct: 72.1 } } }));
    const result = await evaluateItem(item(coverage()), context);
    expect(result).toMatchObject({ status: "failed", evidence: "72.1 < 80 (needs ≥ 80)" });
  });

  it("fails when the file is missing", async () => {
    const result = await evaluateItem(item(coverage()), context);
    expect(result).toMatchObject({
      status: "failed",
      evidence: "coverage/coverage-summary.json does not exist (looked in the target's working directory)",
    });
  });

  it("fails when the path is missing, naming where the walk stopped", async () => {
    await write("coverage/coverage-summary.json", JSON.stringify({ total: { statements: { pct: 90 } } }));
    const result = await evaluateItem(item(coverage()), context);
    expect(result).toMatchObject({
      status: "failed",
      evidence:
        "coverage/coverage-summary.json has no total.lines.pct: there is no 'lines' under total (keys: statements)",
    });
  });

  it("fails when the value is not a number", async () => {
    await write("coverage/coverage-summary.json", JSON.stringify({ total: { lines: { pct: "86.4" } } }));
    const result = await evaluateItem(item(coverage()), context);
    expect(result).toMatchObject({
      status: "failed",
      evidence: 'total.lines.pct in coverage/coverage-summary.json is a string ("86.4"), not a number',
    });
  });

  it("fails on a file that is not JSON", async () => {
    await write("coverage/coverage-summary.json", "{ total: ");
    const result = await evaluateItem(item(coverage()), context);
    expect(result.status).toBe("failed");
    expect(result.evidence).toMatch(/^coverage\/coverage-summary\.json is not valid JSON \(/);
  });

  it("walks list indexes and compares for equality", async () => {
    await write("audit.json", JSON.stringify({ runs: [{ critical: 0 }, { critical: 2 }] }));
    const check = (p: string): CheckConfig => ({ kind: "json", file: "audit.json", path: p, op: "==", value: 0 });
    expect(await evaluateItem(item(check("runs.0.critical")), context)).toMatchObject({
      status: "passed",
      evidence: "0 = 0",
    });
    expect(await evaluateItem(item(check("runs.1.critical")), context)).toMatchObject({
      status: "failed",
      evidence: "2 ≠ 0 (needs = 0)",
    });
    expect((await evaluateItem(item(check("runs.5.critical")), context)).evidence).toContain(
      "there is no entry 5 under runs (it has 2)",
    );
  });
});

const TRACKER = `# Tasks

- [x] Checkout accepts saved cards
  - [x] API endpoint
  - [ ] Write release notes
- [X] Orders page paginates

\`\`\`markdown
- [ ] Template task, not real
\`\`\`
`;

const DEFECTS = `# Defects

## Open
- [ ] DEF-31 (low) Tooltip overlaps the cart icon
- [ ] DEF-33 (Medium) Order e-mail in UTC

## Closed
- [x] DEF-27 (critical) Payment captured twice
- [x] DEF-29 (high) Session expires during checkout
`;

describe("tasks checks", () => {
  it("fails on any open task, quoting it", async () => {
    await write("memory-bank/TASK-TRACKER.md", TRACKER);
    const result = await evaluateItem(
      item({ kind: "tasks", file: "memory-bank/TASK-TRACKER.md", fail: "open" }),
      context,
    );
    expect(result).toMatchObject({ status: "failed", evidence: "open: - [ ] Write release notes" });
  });

  it("passes when every task is done", async () => {
    await write("memory-bank/TASK-TRACKER.md", TRACKER.replace("- [ ] Write", "- [x] Write"));
    const result = await evaluateItem(
      item({ kind: "tasks", file: "memory-bank/TASK-TRACKER.md", fail: "open" }),
      context,
    );
    expect(result).toMatchObject({ status: "passed", evidence: "all 4 tasks done" });
  });

  it("passes when the only open items do not match, and fails (case-insensitively) when one does", async () => {
    await write("memory-bank/DEFECTS.md", DEFECTS);
    const check: CheckConfig = {
      kind: "tasks",
      file: "memory-bank/DEFECTS.md",
      fail: "open-matching",
      match: "critical|high",
    };
    expect(await evaluateItem(item(check), context)).toMatchObject({
      status: "passed",
      evidence: "no open item matches critical|high (2 open, 2 done)",
    });

    await write(
      "memory-bank/DEFECTS.md",
      DEFECTS.replace(
        "## Closed",
        "- [ ] DEF-34 (HIGH) Search returns 500\n- [ ] DEF-35 (Critical) Login loop\n\n## Closed",
      ),
    );
    expect(await evaluateItem(item(check), context)).toMatchObject({
      status: "failed",
      evidence: "2 open: - [ ] DEF-34 (HIGH) Search returns 500; - [ ] DEF-35 (Critical) Login loop",
    });
  });

  it("names only the first few open tasks", async () => {
    await write("todo.md", ["- [ ] a", "- [ ] b", "- [ ] c", "- [ ] d", "- [ ] e"].join("\n"));
    const result = await evaluateItem(item({ kind: "tasks", file: "todo.md", fail: "open" }), context);
    expect(result.evidence).toBe("5 open: - [ ] a; - [ ] b; - [ ] c; and 2 more");
  });

  it("fails when the file is missing", async () => {
    const result = await evaluateItem(item({ kind: "tasks", file: "memory-bank/DEFECTS.md", fail: "open" }), context);
    expect(result).toMatchObject({
      status: "failed",
      evidence: "memory-bank/DEFECTS.md does not exist (looked in the target's working directory)",
    });
  });
});

describe("command checks", () => {
  it("passes on exit 0 with the output tail as evidence", async () => {
    const result = await evaluateItem(
      item({ kind: "command", run: [process.execPath, "-e", "console.log('186 passed, 0 failed')"] }),
      context,
    );
    expect(result).toMatchObject({ status: "passed", evidence: "exit 0: 186 passed, 0 failed", at: AT });
  });

  it("fails on another exit code, keeping the last lines", async () => {
    const script = "for (let i = 1; i <= 8; i++) console.log('line ' + i); console.error('3 failed'); process.exit(1)";
    const result = await evaluateItem(item({ kind: "command", run: [process.execPath, "-e", script] }), context);
    expect(result.status).toBe("failed");
    expect(result.evidence).toBe("exit 1: …line 5\nline 6\nline 7\nline 8\n3 failed");
  });

  it("runs in the working directory with the given environment", async () => {
    await write("marker.txt", "here");
    const script =
      "const fs = require('node:fs'); process.exit(fs.existsSync('marker.txt') && process.env.CHECK_ENV === 'yes' ? 0 : 3)";
    const result = await evaluateItem(item({ kind: "command", run: [process.execPath, "-e", script] }), {
      ...context,
      env: { CHECK_ENV: "yes" },
    });
    expect(result).toMatchObject({ status: "passed", evidence: "exit 0" });
  });

  it("reports a timeout as an error", async () => {
    const result = await evaluateItem(
      item({ kind: "command", run: [process.execPath, "-e", "setTimeout(() => {}, 10_000)"], timeoutSeconds: 1 }),
      context,
    );
    expect(result).toMatchObject({ status: "error", evidence: "timed out after 1s" });
  });

  it("reports a program that cannot start as an error", async () => {
    const result = await evaluateItem(item({ kind: "command", run: ["slipway-no-such-program"] }), context);
    expect(result.status).toBe("error");
    expect(result.evidence).toMatch(/^could not start slipway-no-such-program: /);
  });
});

describe("logs checks", () => {
  const SINCE = Date.UTC(2026, 11, 7, 6, 0, 0);
  /** A log query printing the lines of app.log at or after SLIPWAY_LOGS_SINCE (each line starts with its ISO time). */
  const QUERY = [
    "const since = process.env.SLIPWAY_LOGS_SINCE; if (process.argv[1] !== 'since=' + since) process.exit(9);",
    "for (const line of require('node:fs').readFileSync('app.log', 'utf8').split('\\n')) if (line && line.slice(0, 24) >= since) console.log(line);",
  ].join(" ");
  const logs = (overrides: { match?: string; max?: number } = {}): CheckConfig => ({
    kind: "logs",
    run: ["node", "-e", QUERY, "since={since}"],
    match: overrides.match ?? "\\b(error|fatal|panic)\\b",
    max: overrides.max ?? 0,
  });
  const LOG = [
    "2026-12-07T05:59:00.000Z ERROR before the deployment, not counted",
    "2026-12-07T06:00:01.000Z INFO started v1.2.0",
    "2026-12-07T06:00:02.000Z ERROR payment provider timed out",
    "2026-12-07T06:00:03.000Z INFO GET / 200",
    "2026-12-07T06:00:04.000Z Fatal: cache unreachable",
  ].join("\n");

  it("counts the error lines since the deployment started, naming them, and fails above the limit", async () => {
    await write("app.log", LOG);
    const result = await evaluateItem(item(logs(), { section: "deployment" }), { ...context, since: SINCE });
    expect(result).toMatchObject({
      status: "failed",
      evidence:
        "2 error lines since 2026-12-07T06:00:00.000Z (at most 0): 2026-12-07T06:00:02.000Z ERROR payment provider timed out | 2026-12-07T06:00:04.000Z Fatal: cache unreachable",
    });
  });

  it("passes within the limit, and with its own match", async () => {
    await write("app.log", LOG);
    const since = { ...context, since: SINCE };
    expect((await evaluateItem(item(logs({ max: 2 })), since)).status).toBe("passed");
    expect(await evaluateItem(item(logs({ match: "panic" })), since)).toMatchObject({
      status: "passed",
      evidence: "0 error lines since 2026-12-07T06:00:00.000Z (at most 0)",
    });
  });

  it("is an error when the query fails or there is no start time", async () => {
    expect(await evaluateItem(item(logs()), { ...context, since: SINCE })).toMatchObject({
      status: "error",
      evidence: expect.stringMatching(/^the log query exited 1: .*ENOENT/s),
    });
    expect(await evaluateItem(item(logs()), context)).toMatchObject({
      status: "error",
      evidence: "no start time to count from: a logs check runs only after the last step",
    });
  });
});

describe("manual checks", () => {
  it("wait for a person", async () => {
    expect(await evaluateItem(item({ kind: "manual", tickedBy: ["approvers"] }), context)).toMatchObject({
      status: "waiting",
      evidence: "waiting for someone in approvers to tick it",
    });
    expect(await evaluateItem(item({ kind: "manual" }), context)).toMatchObject({
      status: "waiting",
      evidence: "waiting for someone who may deploy to tick it",
    });
  });
});

describe("evaluateItems", () => {
  it("returns results in the items' order", async () => {
    await write("n.json", JSON.stringify({ n: 1 }));
    const items = [
      item({ kind: "command", run: [process.execPath, "-e", "setTimeout(() => {}, 200)"] }, { id: "slow" }),
      item({ kind: "json", file: "n.json", path: "n", op: ">=", value: 1 }, { id: "fast" }),
      item({ kind: "manual" }, { id: "manual" }),
    ];
    const results = await evaluateItems(items, context, { concurrency: 2 });
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ["slow", "passed"],
      ["fast", "passed"],
      ["manual", "waiting"],
    ]);
  });
});
