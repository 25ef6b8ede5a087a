import { describe, expect, it } from "vitest";
import { formatTask, parseTaskList } from "../../../src/checks/markdown-tasks.js";

describe("parseTaskList", () => {
  it("reads open and done boxes with any list marker", () => {
    const tasks = parseTaskList(
      ["- [ ] open dash", "* [x] done star", "+ [X] done plus, capital X", "1. [ ] open numbered", "2) [x] done"].join(
        "\n",
      ),
    );
    expect(tasks.map((task) => [task.text, task.done])).toEqual([
      ["open dash", false],
      ["done star", true],
      ["done plus, capital X", true],
      ["open numbered", false],
      ["done", true],
    ]);
    expect(tasks.map((task) => task.line)).toEqual([1, 2, 3, 4, 5]);
  });

  it("gives nested items their depth", () => {
    const tasks = parseTaskList(
      [
        "- [x] Checkout",
        "  - [x] API endpoint",
        "    - [ ] Retry on 503",
        "  - [ ] Form validation",
        "- [ ] Docs",
      ].join("\n"),
    );
    expect(tasks.map((task) => [task.text, task.depth])).toEqual([
      ["Checkout", 0],
      ["API endpoint", 1],
      ["Retry on 503", 2],
      ["Form validation", 1],
      ["Docs", 0],
    ]);
  });

  it("counts tasks nested under plain bullets, and tabs as indentation", () => {
    const tasks = parseTaskList(["- Release 1.2", "\t- [ ] Tag the release", "- Not a task"].join("\n"));
    expect(tasks).toEqual([{ text: "Tag the release", done: false, line: 2, depth: 1 }]);
  });

  it("skips fenced code blocks and HTML comments", () => {
    const markdown = [
      "- [ ] real one",
      "```markdown",
      "- [ ] example inside a fence",
      "```",
      "~~~~",
      "- [ ] tilde fence",
      "```",
      "- [ ] still inside the tilde fence",
      "~~~~",
      "<!-- template:",
      "- [ ] commented out",
      "-->",
      "- [x] after <!-- inline --> comment",
      "  ```",
      "  - [ ] indented fence in a list",
      "  ```",
      "- [ ] last",
    ].join("\n");
    expect(parseTaskList(markdown).map((task) => task.text)).toEqual(["real one", "after comment", "last"]);
  });

  it("joins indented continuation lines and reads block quotes", () => {
    const tasks = parseTaskList(
      ["- [ ] DEF-12 checkout fails", "  severity: critical", "", "> - [ ] quoted task", "Paragraph text"].join("\n"),
    );
    expect(tasks.map((task) => task.text)).toEqual(["DEF-12 checkout fails severity: critical", "quoted task"]);
  });

  it("ignores boxes that are not task lists", () => {
    const tasks = parseTaskList(
      ["[ ] no marker", "-[ ] no space", "- [-] odd mark", "- [ ]no space after", "- [ ]"].join("\n"),
    );
    expect(tasks).toEqual([{ text: "", done: false, line: 5, depth: 0 }]);
  });

  it("handles Windows line endings", () => {
    expect(parseTaskList("- [ ] a\r\n- [x] b\r\n").map(formatTask)).toEqual(["- [ ] a", "- [x] b"]);
  });
});
