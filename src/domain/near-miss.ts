/** Longest input worth comparing; anything longer is not a typo of a short name. */
const MAX_COMPARED_LENGTH = 64;

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of
 * two neighbouring characters (optimal string alignment).
 */
export function editDistance(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  const rows: number[][] = [];
  for (let i = 0; i <= x.length; i += 1) {
    const row: number[] = [i];
    for (let j = 1; j <= y.length; j += 1) row.push(i === 0 ? j : 0);
    rows.push(row);
  }
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= x.length; i += 1) {
    const row = rows[i] ?? [];
    for (let j = 1; j <= y.length; j += 1) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      row[j] = best;
    }
  }
  return at(x.length, y.length);
}

/**
 * The known name the user most likely meant, or undefined when nothing is
 * close. Case is ignored. A near miss is either the start of exactly one name
 * (`prod` → `production`, at least 3 characters) or within a small edit
 * distance (1 for names up to 4 characters, 2 for longer ones).
 */
export function closestMatch<T extends string>(input: string, candidates: readonly T[]): T | undefined {
  const typed = input.toLowerCase();
  if (typed.length === 0 || typed.length > MAX_COMPARED_LENGTH) return undefined;
  if (typed.length >= 3) {
    const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(typed));
    if (prefixed.length === 1) return prefixed[0];
  }
  let best: T | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const name = candidate.toLowerCase();
    const allowed = Math.min(typed.length, name.length) <= 4 ? 1 : 2;
    const distance = editDistance(typed, name);
    if (distance <= allowed && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
