import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { REDIS_URL } from "../support/redis.js";
import { ROOT } from "../support/slipway-process.js";

const execFileAsync = promisify(execFile);

/*
 * `slipway demo --story` in the terminal: the sample service behind its
 * router under load is deployed to development by a signed push, to staging
 * by its schedule, waits for its checklist and approval in production, rolls
 * out as a canary, and a bad version then rolls back by itself with one
 * alert in the incident channel.
 */
it("slipway demo --story ends with development, staging and production succeeded, the bad version rolled back and one incident alert", async () => {
  const { stdout } = await execFileAsync(process.execPath, [join(ROOT, "dist", "main.js"), "demo", "--story"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", REDIS_URL },
    timeout: 400_000,
  }).catch((error: { stdout?: string; stderr?: string; code?: number }) => {
    throw new Error(`slipway demo --story exited with ${error.code}:\n${error.stdout}\n${error.stderr}`);
  });
  const summary = stdout.slice(stdout.lastIndexOf("\ndevelopment develop-") + 1);
  expect(summary).toMatch(
    /^development (develop-[0-9a-f]{7}): succeeded\nstaging \1: succeeded\nproduction \1: succeeded\nproduction v1\.3\.0-bad: rolled back\nincident alerts: 1\nthe story took \d+s\n/,
  );
  // The push came in through the webhook, and staging's schedule took the commit.
  expect(stdout).toMatch(/git push origin develop +\(GitHub → POST \/hooks\/git: 202 /);
  expect(stdout).toMatch(/staging's schedule takes develop-[0-9a-f]{7}/);
  // What happened on the way: the checklist ticked, the approval given, the canary, the trigger.
  expect(stdout).toMatch(/ticks the manual checklist items: d-[a-z0-9]+:release-notes/);
  expect(stdout).toMatch(/clicks Approve: Approved/);
  expect(stdout).toMatch(/Canary weight:|canary-25%/);
  expect(stdout).toMatch(/alert in the incident channel: .*storefront v1\.3\.0-bad/);
  // Times read as a terminal shows them, not as Slack's date tokens.
  expect(stdout).toMatch(/\(analysis 1, \d\d:\d\d UTC\)/);
  expect(stdout).not.toContain("<!date^");
}, 420_000);
