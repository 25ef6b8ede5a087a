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
 * close. Case is ignored. A near miss is a name within a small edit distance
 * (1 for names up to 4 characters, 2 for longer ones; on a tie the name
 * closest in length wins, `stauts` → `status` rather than `stats`), or else the one name
 * whose start the input matches, allowing one slip from 4 characters on
 * (`prod` and `prdo` → `production`).
 */
export function closestMatch<T extends string>(input: string, candidates: readonly T[]): T | undefined {
  const typed = input.toLowerCase();
  if (typed.length === 0 || typed.length > MAX_COMPARED_LENGTH) return undefined;
  const whole = nearest(candidates, (name) => {
    const distance = editDistance(typed, name);
    if (distance > (Math.min(typed.length, name.length) <= 4 ? 1 : 2)) return undefined;
    return distance * 1000 + Math.abs(name.length - typed.length);
  });
  if (whole !== undefined || typed.length < 3) return whole;
  const slips = typed.length >= 4 ? 1 : 0;
  return nearest(candidates, (name) => {
    if (name.length <= typed.length) return undefined;
    const distance = editDistance(typed, name.slice(0, typed.length));
    return distance <= slips ? distance : undefined;
  });
}

/** The candidate with the smallest score, or undefined when none scores or the best score is shared. */
function nearest<T extends string>(
  candidates: readonly T[],
  score: (lowerName: string) => number | undefined,
): T | undefined {
  let best: T | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  let shared = false;
  for (const candidate of candidates) {
    const value = score(candidate.toLowerCase());
    if (value === undefined) continue;
    if (value < bestScore) {
      best = candidate;
      bestScore = value;
      shared = false;
    } else if (value === bestScore) {
      shared = true;
    }
  }
  return shared ? undefined : best;
}
