import type { DoraStats, Figures, Level, Trend } from "../../domain/dora.js";
import { formatDuration } from "../../domain/progress.js";
import { escapeMrkdwn, fitMessage, type SlackMessage, section } from "./blocks.js";

const LEVEL_WORD: Readonly<Record<Level, string>> = { elite: "Elite", high: "High", medium: "Medium", low: "Low" };
const TREND_WORD: Readonly<Record<Trend, string>> = { better: "↑ better", worse: "↓ worse", same: "→ same" };

function judged(level: Level | undefined, trend: Trend | undefined): string {
  const parts = [level ? `*${LEVEL_WORD[level]}*` : undefined, trend ? TREND_WORD[trend] : undefined].filter(Boolean);
  return parts.length > 0 ? ` — ${parts.join(", ")}` : "";
}

function perDayWords(f: Figures): string {
  const rate = f.perDay >= 1 ? `${f.perDay.toFixed(1)} a day` : `${(f.perDay * 7).toFixed(1)} a week`;
  return `${rate} (${f.successes} successful)`;
}

function scopeLines(s: DoraStats): string {
  const f = s.current;
  const head = `*${escapeMrkdwn(s.service)} · ${escapeMrkdwn(s.environment)}*`;
  if (f.changes === 0 && s.previous.changes === 0) return `${head}\nNo deployments in the last ${s.days * 2} days.`;
  const lead =
    f.leadTimeMs === undefined
      ? "no successful deployment"
      : `${formatDuration(f.leadTimeMs)} median (${f.leadTimeFromGit} of ${f.successes} from git, the rest from the request)`;
  const cfr =
    f.changeFailureRate === undefined
      ? "no deployments"
      : `${Math.round(f.changeFailureRate * 100)}% (${f.failures} of ${f.changes} failed, rolled back or hotfixed)`;
  const restore =
    f.timeToRestoreMs === undefined
      ? f.unrestored > 0
        ? `${f.unrestored} not restored yet`
        : "no failures"
      : `${formatDuration(f.timeToRestoreMs)} median${f.unrestored > 0 ? ` (${f.unrestored} not restored yet)` : ""}`;
  const duration =
    f.durationMedianMs === undefined || f.durationP90Ms === undefined
      ? "no deployments"
      : `median ${formatDuration(f.durationMedianMs)}, p90 ${formatDuration(f.durationP90Ms)}`;
  return [
    head,
    `• Deployment frequency: ${perDayWords(f)}${judged(s.levels.frequency, s.trends.frequency)}`,
    `• Lead time for changes: ${lead}${judged(s.levels.leadTime, s.trends.leadTime)}`,
    `• Change failure rate: ${cfr}${judged(s.levels.changeFailureRate, s.trends.changeFailureRate)}`,
    `• Time to restore: ${restore}${judged(s.levels.timeToRestore, s.trends.timeToRestore)}`,
    `• Deployment duration: ${duration}${judged(undefined, s.trends.duration)}`,
  ].join("\n");
}

/** `/deploy stats`: the DORA keys per service and environment, their levels and the trend against the period before. */
export function renderStats(stats: readonly DoraStats[], days: number): SlackMessage {
  if (stats.length === 0) return { text: "No service or environment matches; `/deploy help` lists them.", blocks: [] };
  return fitMessage({
    text: `Deployment stats over the last ${days} days`,
    blocks: [
      section(
        `*Deployment stats* — the last ${days} days, trend against the ${days} days before. Levels by the DORA 2023 report.`,
      ),
      ...stats.map((s) => section(scopeLines(s))),
    ],
  });
}
