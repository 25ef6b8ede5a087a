/*
 * Dates as Slack shows them: a `<!date^…>` token that each reader sees in
 * their own time zone, with a UTC fallback for clients that cannot render it.
 * The engine and domain answer with instants (ms); only renderers write these.
 */

/** "14:02 UTC", in the reader's zone. */
export function slackTime(at: number): string {
  const date = new Date(at);
  const hh = String(date.getUTCHours()).padStart(2, "0");
  const mm = String(date.getUTCMinutes()).padStart(2, "0");
  return `<!date^${Math.floor(at / 1000)}^{time}|${hh}:${mm} UTC>`;
}

/** A date and time in the reader's time zone ("Tomorrow at 14:05"), UTC for clients that cannot show it. */
export function slackDateTime(at: number): string {
  const fallback = new Date(at).toISOString().slice(0, 16).replace("T", " ");
  return `<!date^${Math.floor(at / 1000)}^{date_short_pretty} at {time}|${fallback} UTC>`;
}
