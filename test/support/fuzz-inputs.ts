import type { JsonObject } from "../../src/standin/json.js";

/*
 * Hostile input for Slipway's Slack receiver: slash command texts and
 * interaction payloads, random and adversarial, from a seeded generator so
 * a failing case can be made again. Every case is meant to be refused (or
 * to act on nothing): none is a well-formed deployment request, rollback of
 * something that exists, or lock — so after any number of them nothing may
 * be queued, and nothing may run.
 */

export type Random = () => number;

/** mulberry32, the stand-in's own choice. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function int(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Characters that break naive parsers, renderers and shells. */
const NASTY_CHARS = [
  "\u0000",
  "\u0001",
  "\u0007",
  "\u001b",
  "\u007f",
  "\t",
  "\n",
  "\r",
  "\u000b",
  "\u000c",
  "\u00a0",
  "\u2028",
  "\u2029",
  "\u3000",
  "\u200b",
  "\u200d",
  "\u2060",
  "\ufeff",
  "\u202e",
  "\u0301",
  "\ud800",
  "\udfff",
  "\uffff",
  "🚀",
  "👩‍👩‍👧",
  "ﷺ",
  "𝕯",
  "漢",
  "Ω",
  "ß",
  "İ",
  "$",
  "`",
  "'",
  '"',
  ";",
  "|",
  "&",
  ">",
  "<",
  "(",
  ")",
  "{",
  "}",
  "[",
  "]",
  "*",
  "?",
  "~",
  "#",
  "%",
  "\\",
  "=",
  "-",
  "—",
  "–",
  "/",
  ".",
  ":",
  "@",
  "!",
  "^",
] as const;

/** Words Slipway knows, so random text reaches deeper than "unknown environment". */
const KNOWN_WORDS = [
  "development",
  "staging",
  "production",
  "example",
  "v1.2.0",
  "1.2.0-rc1",
  "--strategy=canary",
  "--hotfix",
  "--dry-run",
  "--for",
  "2h",
  "status",
  "help",
  "history",
  "stats",
  "audit",
  "lock",
  "unlock",
  "d-7k3m9x2q",
  "all-at-once",
  "blue-green",
  "rolling",
  "feature-flag",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "<!channel>",
  "<!here>",
  "<@U0DEMO01>",
  "<#C0DEPLOYS>",
  "<!subteam^S0RELEASE>",
  "&lt;",
  "&gt;",
  "&amp;",
  "*bold*",
  "`code`",
  "```block```",
  "%s%n%x%d",
  "{{7*7}}",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, meant literally
  "${7*7}",
  "#{7*7}",
  "../../../../etc/passwd",
  "C:\\Windows\\system32",
  "NaN",
  "Infinity",
  "-1",
  "1e309",
  "null",
  "undefined",
  "true",
  "[]",
  "{}",
] as const;

function randomText(random: Random, maxLength: number): string {
  const length = int(random, 0, maxLength);
  let text = "";
  while (text.length < length) {
    const roll = random();
    if (roll < 0.35) text += pick(random, NASTY_CHARS);
    else if (roll < 0.6) text += `${pick(random, KNOWN_WORDS)} `;
    else if (roll < 0.8) text += String.fromCharCode(int(random, 0x20, 0x7e));
    else text += String.fromCodePoint(int(random, 0xa0, 0x2fff));
  }
  return text;
}

/** Ways to ask a shell to create `marker`, for input that must never reach one. */
function injections(marker: string): string[] {
  return [
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `; touch ${marker}`,
    `&& touch ${marker}`,
    `|| touch ${marker}`,
    `| touch ${marker}`,
    `> ${marker}`,
    `\ntouch ${marker}`,
    `\r\ntouch ${marker} #`,
    `$(node -e "require('fs').writeFileSync('${marker}','')")`,
    `';touch ${marker};'`,
    `";touch ${marker};"`,
    `$IFS;touch$IFS${marker}`,
    `\${IFS}touch\${IFS}${marker}`,
    `%0atouch ${marker}`,
    `<(touch ${marker})`,
    `\u0000; touch ${marker}`,
  ];
}

/** A command that would be valid, broken by an injection somewhere in it. */
function injected(random: Random, marker: string, command: "/deploy" | "/approve" | "/rollback"): string {
  const shell = pick(random, injections(marker));
  switch (command) {
    case "/deploy":
      return pick(random, [
        `development v1.2.0${shell}`,
        `development ${shell}`,
        `development v1.2.0 example${shell}`,
        `${shell} v1.2.0`,
        `development v1.2.0 --strategy=${shell}`,
        `development v1.2.0 --strategy=canary${shell}`,
        `development v1.2.0-${shell}`,
        `development v${shell}`,
        `status ${shell}`,
        `status example development ${shell}`,
        `audit ${shell}`,
        `lock ${shell}`,
        `unlock development ${shell}`,
        `help${shell}`,
        shell,
      ]);
    case "/approve":
      return pick(random, [`d-7k3m9x2q${shell}`, `${shell}`, `d-${shell}`, `d-7k3m9x2q ${shell}`]);
    case "/rollback":
      return pick(random, [
        `${shell}`,
        `production${shell}`,
        `${shell} example`,
        `development example v1.1.9${shell}`,
        `development example v${shell}`,
      ]);
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}

/** Text of `/deploy`, `/approve` or `/rollback`: random, injected, huge, or full of NULs. */
export function commandText(random: Random, marker: string, command: "/deploy" | "/approve" | "/rollback"): string {
  const roll = random();
  if (roll < 0.3) return randomText(random, 120);
  if (roll < 0.6) return injected(random, marker, command);
  if (roll < 0.7) {
    // Huge: up to 100 KB, sometimes after a valid-looking start.
    const size = int(random, 1_001, 100_000);
    const start = pick(random, ["", "development v1.2.0 ", "d-7k3m9x2q ", "production "]);
    const fill = pick(random, ["A", "🚀", "\u0000", " ", "$(touch x)", "漢"]);
    return (start + fill.repeat(Math.ceil(size / fill.length))).slice(0, size);
  }
  if (roll < 0.78) {
    return pick(random, [
      "\u0000",
      "\u0000".repeat(int(random, 2, 5_000)),
      "development\u0000 v1.2.0",
      "development v1.2.0\u0000",
      "development v1.2.0 example\u0000--hotfix",
      "d-7k3m9x2q\u0000",
    ]);
  }
  if (roll < 0.9) {
    // Known words in a random order: most are refused for their order or their number.
    return Array.from({ length: int(random, 1, 8) }, () => pick(random, KNOWN_WORDS)).join(
      pick(random, [" ", "  ", "\t", "\n", "\u00a0", "\u3000"]),
    );
  }
  // Unknown environments and services, with names a person might mistype or a program might trip over.
  return pick(random, [
    `__proto__ v1.2.0`,
    `constructor v1.2.0`,
    `development v1.2.0 __proto__`,
    `development v1.2.0 constructor`,
    `toString v1.2.0 hasOwnProperty`,
    `prod v1.2.0`,
    `Development v1.2.0 example --strategy=Canary --strategy=rolling`,
    `development 01.002.0003`,
    `development v1.2.0.4.5.6`,
    `development v${"9".repeat(400)}.0.0`,
    `development v1.2.0 example --hotfix --hotfix`,
    `development v1.2.0 example extra words`,
    `d-7k3m9x2q d-7k3m9x2q`,
    `D-7K3M9X2Q'`,
    `staging v1.2.0 example --dry-run --strategy`,
    `lock development`,
    `lock __proto__ example reason`,
    `unlock constructor`,
    `audit __proto__`,
    `status __proto__ constructor`,
  ]);
}

/** Who types a command: usually a plausible user, sometimes not. */
export function userId(random: Random): string {
  if (random() < 0.9) return pick(random, ["U0FUZZ001", "U0DEMO01", "U0LEAD01"]);
  return pick(random, ["", "U", "u0lower", "W0WORKSPACE1", "U0FUZZ$(touch)", `U${"9".repeat(300)}`, "U0\u0000", "🚀"]);
}

export type InteractionCase =
  | {
      readonly kind: "payload";
      readonly payload: JsonObject;
      /** Slipway must answer it at its response URL. */
      readonly expectAnswer: boolean;
      /** A field Slack always sends is missing or mistyped (see MALFORMED_SHAPES). */
      readonly misshapen: boolean;
    }
  | { readonly kind: "raw"; readonly body: string };

const ACTION_IDS = [
  "slipway_approve",
  "slipway_reject",
  "slipway_checklist_tick",
  "slipway_pause",
  "slipway_resume",
  "slipway_promote",
  "slipway_abort",
  "slipway_acknowledge",
  "slipway_roll_back",
  "slipway_open_thread",
];

function hostileValue(random: Random, marker: string): unknown {
  return pick(random, [
    undefined,
    null,
    0,
    -1,
    Number.POSITIVE_INFINITY,
    Number.NaN,
    true,
    [],
    {},
    ["d-7k3m9x2q"],
    { id: "d-7k3m9x2q" },
    "",
    "d-7k3m9x2q",
    "D-7K3M9X2Q",
    "d-0000000o",
    "d-7k3m9x2q\u0000",
    "d-7k3m9x2q:coverage",
    "d-7k3m9x2q:__proto__",
    "__proto__",
    "constructor",
    `$(touch ${marker})`,
    `d-7k3m9x2q; touch ${marker}`,
    "x".repeat(100_000),
    "d-".repeat(50_000),
    randomText(random, 200),
  ]);
}

/**
 * A block_actions payload built on a realistic one (with a working
 * response URL), then broken: unknown or mistyped action ids, values of the
 * wrong type or size, fields missing or of the wrong type.
 */
export function brokenBlockAction(random: Random, base: JsonObject, marker: string): InteractionCase {
  const payload = structuredClone(base) as Record<string, unknown>;
  const action = { ...((payload.actions as JsonObject[] | undefined)?.[0] ?? {}) } as Record<string, unknown>;
  const roll = random();
  // A known button with a bad value: Slipway must answer at the response URL.
  if (roll < 0.45) {
    action.action_id = pick(
      random,
      ACTION_IDS.filter((id) => id !== "slipway_open_thread"),
    );
    const value = hostileValue(random, marker);
    if (value === undefined) delete action.value;
    else action.value = value;
    if (action.action_id === "slipway_checklist_tick") {
      action.type = "checkboxes";
      action.selected_options = pick(random, [
        [{ value: "d-7k3m9x2q:coverage" }],
        [{ value: `d-7k3m9x2q:$(touch ${marker})` }],
        [{ value: "garbage" }, { value: "" }, { value: ":" }, { value: "a:b:c" }],
        [{ value: 5 }],
        [{}],
      ]);
    }
    payload.actions = [action];
    const good = typeof payload.response_url === "string" && typeof (payload.user as JsonObject)?.id === "string";
    // Buttons that only need an ack (open thread) and ticks without a selection answer nothing.
    const answers = action.action_id !== "slipway_checklist_tick" || Array.isArray(action.selected_options);
    return { kind: "payload", payload: payload as JsonObject, expectAnswer: good && answers, misshapen: false };
  }
  if (roll < 0.55) {
    // An action id Slipway never made (Bolt answers 404 when nothing acknowledges it).
    action.action_id = pick(random, [
      "slipway_approve ",
      "SLIPWAY_APPROVE",
      "slipway_deploy_everything",
      `$(touch ${marker})`,
      "",
      "x".repeat(10_000),
    ]);
    payload.actions = [action];
    return { kind: "payload", payload: payload as JsonObject, expectAnswer: false, misshapen: false };
  }
  // Fields missing or of the wrong type.
  const field = pick(random, [
    "actions",
    "user",
    "channel",
    "team",
    "container",
    "message",
    "response_url",
    "trigger_id",
    "type",
    "api_app_id",
    "token",
  ]);
  const replacement = pick(random, [
    undefined,
    null,
    5,
    "string",
    [],
    {},
    [null],
    [{}],
    { id: 5 },
    "x".repeat(50_000),
    randomText(random, 50),
  ]);
  if (replacement === undefined) delete payload[field];
  else payload[field] = replacement;
  if (field !== "actions") {
    action.action_id = pick(random, ACTION_IDS);
    payload.actions = [action];
  }
  return { kind: "payload", payload: payload as JsonObject, expectAnswer: false, misshapen: true };
}

/** Interaction payloads of other kinds, broken: view submissions, shortcuts, unknown types. */
export function brokenOtherPayload(random: Random, marker: string): InteractionCase {
  return {
    kind: "payload",
    expectAnswer: false,
    misshapen: true,
    payload: pick(random, [
      { type: "view_submission" },
      { type: "view_submission", user: { id: "U0FUZZ001" }, view: null },
      {
        type: "view_submission",
        user: { id: "U0FUZZ001" },
        view: {
          id: "V0FUZZ",
          callback_id: "slipway_reject_reason",
          private_metadata: "{not json",
          state: { values: {} },
        },
      },
      {
        type: "view_submission",
        user: { id: "U0FUZZ001" },
        view: {
          id: "V0FUZZ",
          callback_id: "slipway_reject_reason",
          private_metadata: JSON.stringify({ deploymentId: `$(touch ${marker})`, channel: 5 }),
          state: { values: { reason: { reason: { type: "plain_text_input", value: "x".repeat(100_000) } } } },
        },
      },
      {
        type: "view_submission",
        user: { id: "U0FUZZ001" },
        view: {
          id: "V0FUZZ",
          callback_id: "slipway_reject_reason",
          private_metadata: JSON.stringify({ deploymentId: "d-7k3m9x2q", channel: "C0DEPLOYS" }),
          state: { values: { reason: { reason: { type: "plain_text_input", value: 12 } } } },
        },
      },
      { type: "view_submission", user: { id: "U0FUZZ001" }, view: { callback_id: "__proto__" } },
      { type: "view_closed", user: { id: "U0FUZZ001" }, view: { callback_id: "slipway_reject_reason" } },
      { type: "shortcut", callback_id: "deploy", user: { id: "U0FUZZ001" }, trigger_id: "1.2.3" },
      { type: "message_action", callback_id: "x", user: { id: "U0FUZZ001" } },
      { type: "block_suggestion", action_id: "slipway_approve", value: "d-" },
      { type: "interactive_message", callback_id: "x", actions: [{ name: "x", value: "y" }] },
      { type: "dialog_submission", callback_id: "x", submission: {} },
      { type: "__proto__" },
      { type: `$(touch ${marker})` },
      { type: "block_actions", actions: "not a list", user: { id: "U0FUZZ001" } },
      { type: "block_actions", actions: [null], user: { id: "U0FUZZ001" } },
      { type: "block_actions", actions: [{ action_id: 42 }], user: { id: "U0FUZZ001" } },
      {},
    ]) as JsonObject,
  };
}

/** Request bodies no JSON or form parser should choke on (signed like Slack's). */
export function brokenRawBody(random: Random, marker: string): InteractionCase {
  const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
  return {
    kind: "raw",
    body: pick(random, [
      "",
      "payload=",
      "payload=not%20json",
      "payload=%7B",
      "payload=123",
      "payload=%22string%22",
      "payload=%5B%5D",
      `payload=${encodeURIComponent(deep(int(random, 1_000, 20_000)))}`,
      `payload=${encodeURIComponent(JSON.stringify({ type: "block_actions", actions: [{ action_id: "slipway_approve", value: "d-7k3m9x2q" }] }))}&payload=%7B%7D`,
      "payload=%ZZ%ZZ",
      "%%%%",
      "=&=&=",
      `payload=${"%00".repeat(10_000)}`,
      `payload=${encodeURIComponent(`{"type":"block_actions","actions":[{"action_id":"slipway_approve","value":"$(touch ${marker})"}]`)}`,
      "ssl_check=1",
      `payload=${encodeURIComponent(JSON.stringify({ type: "url_verification", challenge: "x".repeat(10_000) }))}`,
      // Slash-command shaped bodies, broken: missing fields, repeated fields, wrong command.
      "command=%2Fdeploy",
      "command=%2Fdeploy&text=development&text=v1.2.0&user_id=U0FUZZ001&channel_id=C0DEPLOYS",
      "command=%2Fdeploy&command=%2Frollback&text=help&user_id=U0FUZZ001&channel_id=C0DEPLOYS",
      "command=%2Fdeploy&text=help",
      `command=%2Fdeploy&text=${encodeURIComponent(`development v1.2.0 ${"x".repeat(200_000)}`)}&user_id=U0FUZZ001`,
      "command=%2Funknown&text=help&user_id=U0FUZZ001",
      `command=${encodeURIComponent(`/deploy$(touch ${marker})`)}&text=help&user_id=U0FUZZ001`,
    ]),
  };
}

/**
 * Every field of a realistic block_actions payload that Slack always sends,
 * left out or given a wrong type, and interaction types Slipway has no
 * listener for, sent without the fields Slack would add: each is a signed
 * request that is not a valid Slack interaction.
 */
export function misshapenPayloads(base: JsonObject): { label: string; payload: JsonObject }[] {
  const fields = ["actions", "user", "channel", "team", "container", "message", "response_url", "trigger_id", "type"];
  const replacements: [string, unknown][] = [
    ["missing", undefined],
    ["null", null],
    ["5", 5],
    ["a string", "string"],
    ["[]", []],
    ["{}", {}],
    ["{ id: 5 }", { id: 5 }],
  ];
  const mutated = fields.flatMap((field) =>
    replacements.map(([name, value]) => {
      const payload = structuredClone(base) as Record<string, unknown>;
      if (value === undefined) delete payload[field];
      else payload[field] = value;
      return { label: `block_actions with ${field} ${name}`, payload: payload as JsonObject };
    }),
  );
  const others: JsonObject[] = [
    { type: "view_submission" },
    { type: "view_submission", user: { id: "U0FUZZ001" }, view: null },
    { type: "interactive_message", callback_id: "x", actions: [{ name: "x", value: "y" }] },
    { type: "dialog_submission", callback_id: "x", submission: {} },
    { type: "block_suggestion", action_id: "slipway_approve", value: "d-" },
  ];
  return [...mutated, ...others.map((payload) => ({ label: JSON.stringify(payload), payload }))];
}
