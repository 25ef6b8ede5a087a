/** The value at a dotted path such as `total.lines.pct`, or which step of the path is missing. */
export type PathLookup = { ok: true; value: unknown } | { ok: false; problem: string };

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

/**
 * Walks `path` (keys separated by dots; a number indexes a list) through
 * parsed JSON. A miss says where the walk stopped: "there is no 'lines' under
 * total".
 */
export function lookupPath(data: unknown, path: string): PathLookup {
  const segments = path.split(".");
  let current: unknown = data;
  const walked: string[] = [];
  for (const segment of segments) {
    const where = walked.length === 0 ? "at the top of the file" : `under ${walked.join(".")}`;
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(segment)) {
        return {
          ok: false,
          problem: `${walked.join(".") || "the file"} is a list, so '${segment}' cannot be looked up in it; use an index such as 0`,
        };
      }
      const index = Number(segment);
      if (index >= current.length) {
        return { ok: false, problem: `there is no entry ${index} ${where} (it has ${current.length})` };
      }
      current = current[index];
    } else if (isMapping(current)) {
      if (!Object.hasOwn(current, segment)) {
        const keys = Object.keys(current);
        const shown =
          keys.length === 0 ? "it is empty" : `keys: ${keys.slice(0, 8).join(", ")}${keys.length > 8 ? ", …" : ""}`;
        return { ok: false, problem: `there is no '${segment}' ${where} (${shown})` };
      }
      current = current[segment];
    } else {
      return {
        ok: false,
        problem: `${walked.join(".") || "the file"} is ${describeKind(current)}, so it has no '${segment}'`,
      };
    }
    walked.push(segment);
  }
  return { ok: true, value: current };
}
