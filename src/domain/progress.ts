const FILLED = "█";
const EMPTY = "░";

function clampPercent(percent: number): number {
  if (Number.isNaN(percent)) return 0;
  return Math.round(Math.min(100, Math.max(0, percent)));
}

/**
 * A text progress bar with its percentage: `progressBar(80)` → `████████░░ 80%`.
 * The percentage is clamped to 0..100 and rounded; NaN counts as 0.
 *
 * @param width number of cells, at least 1; default 10
 */
export function progressBar(percent: number, width = 10): string {
  const cells = Number.isFinite(width) ? Math.max(1, Math.round(width)) : 10;
  const shown = clampPercent(percent);
  const filled = Math.round((shown / 100) * cells);
  return `${FILLED.repeat(filled)}${EMPTY.repeat(cells - filled)} ${shown}%`;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * A duration for people, two units at most: `850ms`, `42s`, `3m 05s`,
 * `1h 02m`, `2d 03h`. Whole units are truncated, not rounded; negative or
 * non-finite input reads `0s`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0s";
  if (ms < 1000) return `${Math.floor(ms)}ms`;
  const totalSeconds = Math.floor(ms / 1000);
  const seconds = totalSeconds % 60;
  const totalMinutes = Math.floor(totalSeconds / 60);
  const minutes = totalMinutes % 60;
  const totalHours = Math.floor(totalMinutes / 60);
  const hours = totalHours % 24;
  const days = Math.floor(totalHours / 24);
  if (days > 0) return `${days}d ${pad2(hours)}h`;
  if (totalHours > 0) return `${totalHours}h ${pad2(minutes)}m`;
  if (totalMinutes > 0) return `${totalMinutes}m ${pad2(seconds)}s`;
  return `${seconds}s`;
}
