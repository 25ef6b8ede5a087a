/*
 * Task lists in markdown files such as memory-bank/TASK-TRACKER.md and
 * DEFECTS.md, read the way GitHub renders them: `- [ ]` is open, `- [x]`
 * and `- [X]` are done, with any list marker (`-`, `*`, `+`, `1.`, `1)`),
 * at any nesting depth, inside block quotes too. Fenced code blocks and HTML
 * comments are not the document's tasks (they are examples and templates) and
 * are skipped. A task's text continues on the indented lines below it.
 */

export interface TaskItem {
  /** The text after the box, continuation lines joined with spaces. */
  readonly text: string;
  readonly done: boolean;
  /** 1-based line of the box. */
  readonly line: number;
  /** 0 for a top-level item, 1 under another list item, and so on. */
  readonly depth: number;
}

const TAB_WIDTH = 4;
const LIST_ITEM = /^(\s*)(?:[-*+]|\d{1,9}[.)])(?:\s+|$)(.*)$/;
const TASK_BOX = /^\[([ xX])\](?:\s+(.*))?$/;
const FENCE_OPEN = /^\s*(`{3,}|~{3,})(.*)$/;
const HEADING = /^\s{0,3}#{1,6}(?:\s|$)/;
const QUOTE_PREFIX = /^\s{0,3}(?:>\s?)+/;

function expandTabs(line: string): string {
  return line.replace(/^[ \t]+/, (lead) => lead.replace(/\t/g, " ".repeat(TAB_WIDTH)));
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** Removes HTML comments from one line; reports whether a comment is still open at its end. */
function stripComments(line: string, inComment: boolean): { text: string; inComment: boolean } {
  let text = "";
  let rest = line;
  let open = inComment;
  while (rest !== "") {
    if (open) {
      const end = rest.indexOf("-->");
      if (end === -1) return { text, inComment: true };
      rest = rest.slice(end + 3);
      open = false;
    } else {
      const start = rest.indexOf("<!--");
      if (start === -1) return { text: text + rest, inComment: false };
      text += rest.slice(0, start);
      rest = rest.slice(start + 4);
      open = true;
    }
  }
  return { text, inComment: open };
}

interface Building {
  text: string;
  done: boolean;
  line: number;
  depth: number;
  /** Indentation of the item's marker; continuation lines are indented further. */
  indent: number;
}

/** Every task-list item in the document, in order. */
export function parseTaskList(markdown: string): TaskItem[] {
  const tasks: TaskItem[] = [];
  const listIndents: number[] = [];
  let fence: { char: string; length: number } | undefined;
  let inComment = false;
  let current: Building | undefined;

  const finish = () => {
    if (current !== undefined) {
      tasks.push({
        text: current.text.replace(/\s+/g, " ").trim(),
        done: current.done,
        line: current.line,
        depth: current.depth,
      });
      current = undefined;
    }
  };

  const lines = markdown.split(/\r\n|\r|\n/);
  lines.forEach((raw, index) => {
    const unquoted = expandTabs(raw.replace(QUOTE_PREFIX, ""));

    if (fence !== undefined) {
      const trimmed = unquoted.trim();
      const { char, length } = fence;
      if (trimmed.length >= length && [...trimmed].every((c) => c === char)) fence = undefined;
      return;
    }

    const stripped = stripComments(unquoted, inComment);
    const wasInComment = inComment;
    inComment = stripped.inComment;
    const line = stripped.text;
    if (wasInComment && line.trim() === "") return;

    const opening = FENCE_OPEN.exec(line);
    const fenceMarker = opening?.[1];
    if (fenceMarker !== undefined && !(fenceMarker[0] === "`" && (opening?.[2] ?? "").includes("`"))) {
      finish();
      fence = { char: fenceMarker[0] ?? "`", length: fenceMarker.length };
      return;
    }

    if (line.trim() === "") {
      finish();
      return;
    }

    const item = LIST_ITEM.exec(line);
    if (item !== null) {
      finish();
      const indent = (item[1] ?? "").length;
      while (listIndents.length > 0 && (listIndents.at(-1) ?? 0) >= indent) listIndents.pop();
      const depth = listIndents.length;
      listIndents.push(indent);
      const box = TASK_BOX.exec(item[2] ?? "");
      if (box !== null) {
        current = { text: box[2] ?? "", done: box[1] !== " ", line: index + 1, depth, indent };
      }
      return;
    }

    if (HEADING.test(line)) {
      finish();
      listIndents.length = 0;
      return;
    }

    if (current !== undefined && indentOf(line) > current.indent) {
      current.text = `${current.text} ${line.trim()}`;
      return;
    }
    finish();
    if (indentOf(line) === 0) listIndents.length = 0;
  });
  finish();
  return tasks;
}

/** How a task reads in evidence: `- [ ] Write release notes`. */
export function formatTask(task: TaskItem): string {
  return `- [${task.done ? "x" : " "}] ${task.text}`.trimEnd();
}
