import {
  type Change,
  type ChangeKind,
  fitWhatChanged,
  type TrimmedChanges,
  type WhatChanged,
} from "../../domain/changes.js";
import type { Deployment } from "../../domain/deployment.js";
import { escapeMrkdwn, fitMessage, type SlackMessage, section, title } from "./blocks.js";

/*
 * What a deployment brings, in words: the commits between the version live
 * before and the new one, grouped as the seed's record groups them
 * (features, fixes, enhancements), each with its ids and author. The thread's
 * first reply, the approval card and the record each give it the room they
 * have; what does not fit is counted ("…and 12 more"), never hidden.
 */

/** The seed's words for each kind, as the record's "Changes Included" writes them. */
export const KIND_WORD: Readonly<Record<ChangeKind, string>> = {
  feature: "Feature",
  fix: "Fix",
  other: "Enhancement",
};

const KIND_PLURAL: Readonly<Record<ChangeKind, [string, string]>> = {
  feature: ["feature", "features"],
  fix: ["fix", "fixes"],
  other: ["enhancement", "enhancements"],
};

const GROUP_TITLE: Readonly<Record<ChangeKind, string>> = {
  feature: "Features",
  fix: "Fixes",
  other: "Enhancements and other changes",
};

/** Room for a change's line beyond its subject: kind word, ids, author. */
function lineLength(c: Change): number {
  return c.subject.length + c.author.length + c.ids.reduce((n, id) => n + id.length + 2, 0) + 24;
}

/** "add search (TASK-41) — Ada Lovelace", with "Feature: " before it when `withKind`; ids the subject shows are not repeated. */
export function changeLine(c: Change, withKind: boolean): string {
  const unseen = c.ids.filter((id) => !c.subject.includes(id));
  const ids = unseen.length > 0 ? ` (${unseen.map(escapeMrkdwn).join(", ")})` : "";
  const kind = withKind ? `${KIND_WORD[c.kind]}: ` : "";
  return `${kind}${escapeMrkdwn(c.subject)}${ids} — ${escapeMrkdwn(c.author)}`;
}

/** "…and 12 more (2 fixes, 10 enhancements)", or undefined when nothing was left out. */
function moreLine(trimmed: TrimmedChanges): string | undefined {
  const parts = (Object.keys(KIND_PLURAL) as ChangeKind[])
    .filter((kind) => trimmed.omitted[kind] > 0)
    .map((kind) => {
      const n = trimmed.omitted[kind];
      return `${n} ${KIND_PLURAL[kind][n === 1 ? 0 : 1]}`;
    });
  const count = Object.values(trimmed.omitted).reduce((sum, n) => sum + n, 0);
  return count === 0 ? undefined : `…and ${count} more (${parts.join(", ")})`;
}

function authorCount(what: WhatChanged): number {
  return new Set(what.changes.map((c) => c.author)).size;
}

/** "3 commits by 2 authors since v1.1.0", or where the list comes from when nothing was live before. */
export function rangeWords(what: WhatChanged, version: string): string {
  const commits = `${what.total} commit${what.total === 1 ? "" : "s"}`;
  const authors = authorCount(what);
  const by =
    what.total > 0 && what.notKept.feature + what.notKept.fix + what.notKept.other === 0
      ? ` by ${authors} author${authors === 1 ? "" : "s"}`
      : "";
  return what.since !== undefined
    ? `${commits}${by} since ${escapeMrkdwn(what.since)}`
    : `the latest ${commits}${by} of ${escapeMrkdwn(version)} (no earlier version live to compare with)`;
}

export interface ChangesRoom {
  /** At most this many changes listed. */
  readonly maxChanges: number;
  /** At most about this many characters of change lines. */
  readonly maxChars: number;
}

/** The changes as flat lines in the seed's record layout ("Feature: … (TASK-12) — author"), then how many more. */
export function recordChangeLines(what: WhatChanged, room: ChangesRoom): string[] {
  const trimmed = fitWhatChanged(what, { ...room, length: lineLength });
  const more = moreLine(trimmed);
  return [...trimmed.groups.flatMap((g) => g.changes.map((c) => changeLine(c, true))), ...(more ? [more] : [])];
}

/** The changes under a heading per group, then how many more: mrkdwn for one section. */
export function groupedChanges(what: WhatChanged, room: ChangesRoom): string {
  const trimmed = fitWhatChanged(what, { ...room, length: lineLength });
  const more = moreLine(trimmed);
  return [
    ...trimmed.groups.map(
      (g) => `*${GROUP_TITLE[g.kind]}*\n${g.changes.map((c) => `• ${changeLine(c, false)}`).join("\n")}`,
    ),
    ...(more ? [more] : []),
  ].join("\n");
}

/** One paragraph on what changed, for a card: the range and the grouped changes, or why there are none. */
export function whatChangedText(what: WhatChanged, version: string, room: ChangesRoom): string {
  if (what.problem !== undefined) return `*What changed:* could not be listed (${escapeMrkdwn(what.problem)})`;
  if (what.total === 0) {
    return `*What changed:* no commits${what.since !== undefined ? ` since ${escapeMrkdwn(what.since)}` : ""}`;
  }
  return `*What changed:* ${rangeWords(what, version)}\n${groupedChanges(what, room)}`;
}

/** Room of the thread's reply: one section. */
const THREAD_ROOM: ChangesRoom = { maxChanges: 40, maxChars: 2_600 };

/** The thread's first reply: what the deployment brings, from git. */
export function renderWhatChanged(d: Deployment, what: WhatChanged): SlackMessage {
  return fitMessage({
    text: `What changed in ${title(d)}: ${what.problem ? "could not be listed" : `${what.total} commits`}`,
    blocks: [section(`📦 ${whatChangedText(what, d.version, THREAD_ROOM)}`)],
  });
}
