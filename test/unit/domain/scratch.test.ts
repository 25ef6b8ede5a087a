import { test } from "vitest";
import { parseDeployCommand, helpText } from "../../../src/domain/command-grammar.js";
import { parseApproveCommand, parseRollbackCommand } from "../../../src/domain/approve-rollback-grammar.js";
import { parseVersion } from "../../../src/domain/version.js";
const ctx = { environments: ["development", "staging", "production"], services: ["api", "web"] };
const inputs = ["", "production v1.2.0", "prod v1.2.0", "prodd v1.2.0", "production 1.2;rm -rf /", "production $(id)", "production `id`", "production v1.2.0\nrm -rf /",
"production v１.2.0", "production v1.2.0 api extra", "production", "v1.2.0 production", "production api v1.2.0", "production v1.2.0 --strategy", "production v1.2.0 --strategy=canery",
"production v1.2.0 --dryrun", "production v1.2.0 --hotfix --hotfix", "stauts", "status production api", "status api api", "lock production", "lock production api db migration --for 2x",
"lock production &lt;!channel&gt; hi", "production &lt;!channel&gt;", "production v1.2.0 —dry-run", "unlock", "history foo", "production v1.2.0\u200b", "production v1.2.0-", "production 01.2.0", "production v1.2"];
test("scratch", () => {
  for (const i of inputs) console.log(JSON.stringify(i), "=>", JSON.stringify(parseDeployCommand(i, ctx)));
  for (const i of ["", "d-7k3m9x2q", "D-7K3M9X2Q", "xyz", "d-7k3m9x2q now"]) console.log("approve", JSON.stringify(i), JSON.stringify(parseApproveCommand(i)));
  for (const i of ["", "production", "production api", "production v1.1.9 error rate", "production api v1.1.9 bad", "production v1.1 bad", "production v1.1.9 api", "production 500 errors"]) console.log("rollback", JSON.stringify(i), JSON.stringify(parseRollbackCommand(i, ctx)));
  console.log(helpText(ctx), helpText(ctx).length);
  console.log(JSON.stringify(parseVersion("x".repeat(100))));
});
