import { isJsonObject, type JsonObject } from "./json.js";

/** Slack's documented Block Kit and message limits that the stand-in enforces. */
export const LIMITS = {
  messageBlocks: 50,
  surfaceBlocks: 100,
  messageText: 40_000,
  sectionText: 3000,
  sectionField: 2000,
  sectionFields: 10,
  contextElements: 10,
  headerText: 150,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  markdownText: 12_000,
  modalTitle: 24,
} as const;

const KNOWN_BLOCK_TYPES = new Set([
  "actions",
  "context",
  "divider",
  "file",
  "header",
  "image",
  "input",
  "markdown",
  "rich_text",
  "section",
  "table",
  "video",
]);

/** Reads `blocks`, `attachments` or a view: a JSON array of objects, or `undefined` when absent. */
export function decodeObjectArray(value: unknown): { ok: true; value: JsonObject[] | undefined } | { ok: false } {
  if (value === undefined || value === null || value === "") return { ok: true, value: undefined };
  let parsed: unknown = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      return { ok: false };
    }
  }
  if (!Array.isArray(parsed) || !parsed.every(isJsonObject)) return { ok: false };
  return { ok: true, value: parsed };
}

/**
 * Checks blocks against Slack's limits. Answers one message per problem in
 * Slack's own format (`must be less than 3001 characters [json-pointer:/blocks/0/text/text]`),
 * or an empty list when the blocks would be accepted.
 */
export function blockProblems(blocks: readonly JsonObject[], maxBlocks: number): string[] {
  const problems: string[] = [];
  if (blocks.length > maxBlocks) {
    problems.push(`no more than ${maxBlocks} items allowed [json-pointer:/blocks]`);
  }
  blocks.forEach((block, index) => {
    problems.push(...oneBlock(block, `/blocks/${index}`));
  });
  return problems;
}

function oneBlock(block: JsonObject, path: string): string[] {
  const type = block.type;
  if (typeof type !== "string" || !KNOWN_BLOCK_TYPES.has(type)) {
    return [`unsupported type: ${String(type)} [json-pointer:${path}/type]`];
  }
  const problems: string[] = [];
  const blockId = block.block_id;
  if (typeof blockId === "string") tooLong(blockId, LIMITS.blockId, `${path}/block_id`, problems);
  switch (type) {
    case "section":
      sectionProblems(block, path, problems);
      break;
    case "header":
      textObject(block.text, LIMITS.headerText, `${path}/text`, problems, true);
      break;
    case "context":
      contextProblems(block, path, problems);
      break;
    case "actions":
      actionsProblems(block, path, problems);
      break;
    case "markdown":
      if (typeof block.text !== "string") problems.push(`must provide a string [json-pointer:${path}/text]`);
      else tooLong(block.text, LIMITS.markdownText, `${path}/text`, problems);
      break;
    default:
      break;
  }
  return problems;
}

function sectionProblems(block: JsonObject, path: string, problems: string[]): void {
  const fields = block.fields;
  if (block.text === undefined && fields === undefined) {
    problems.push(`must provide either text or fields [json-pointer:${path}]`);
  }
  if (block.text !== undefined) textObject(block.text, LIMITS.sectionText, `${path}/text`, problems, true);
  if (fields !== undefined) {
    if (!Array.isArray(fields)) {
      problems.push(`must provide an array [json-pointer:${path}/fields]`);
      return;
    }
    if (fields.length > LIMITS.sectionFields) {
      problems.push(`no more than ${LIMITS.sectionFields} items allowed [json-pointer:${path}/fields]`);
    }
    fields.forEach((field: unknown, index) => {
      textObject(field, LIMITS.sectionField, `${path}/fields/${index}`, problems, true);
    });
  }
  if (isJsonObject(block.accessory)) elementProblems(block.accessory, `${path}/accessory`, problems);
}

function contextProblems(block: JsonObject, path: string, problems: string[]): void {
  const elements = block.elements;
  if (!Array.isArray(elements) || elements.length === 0) {
    problems.push(`must provide a non-empty array [json-pointer:${path}/elements]`);
    return;
  }
  if (elements.length > LIMITS.contextElements) {
    problems.push(`no more than ${LIMITS.contextElements} items allowed [json-pointer:${path}/elements]`);
  }
  elements.forEach((element: unknown, index) => {
    if (isJsonObject(element) && element.type !== "image") {
      textObject(element, LIMITS.sectionText, `${path}/elements/${index}`, problems, true);
    }
  });
}

function actionsProblems(block: JsonObject, path: string, problems: string[]): void {
  const elements = block.elements;
  if (!Array.isArray(elements) || elements.length === 0) {
    problems.push(`must provide a non-empty array [json-pointer:${path}/elements]`);
    return;
  }
  if (elements.length > LIMITS.actionsElements) {
    problems.push(`no more than ${LIMITS.actionsElements} items allowed [json-pointer:${path}/elements]`);
  }
  elements.forEach((element: unknown, index) => {
    if (isJsonObject(element)) elementProblems(element, `${path}/elements/${index}`, problems);
  });
}

function elementProblems(element: JsonObject, path: string, problems: string[]): void {
  if (typeof element.action_id === "string") tooLong(element.action_id, LIMITS.actionId, `${path}/action_id`, problems);
  if (element.type === "button") {
    textObject(element.text, LIMITS.buttonText, `${path}/text`, problems, true);
    if (typeof element.value === "string") tooLong(element.value, LIMITS.buttonValue, `${path}/value`, problems);
  }
}

function textObject(value: unknown, max: number, path: string, problems: string[], required: boolean): void {
  if (!isJsonObject(value) || typeof value.text !== "string") {
    if (required) problems.push(`must provide an object with a string text [json-pointer:${path}]`);
    return;
  }
  if (value.text.length === 0) problems.push(`must be more than 0 characters [json-pointer:${path}/text]`);
  tooLong(value.text, max, `${path}/text`, problems);
}

function tooLong(text: string, max: number, path: string, problems: string[]): void {
  if (text.length > max) problems.push(`must be less than ${max + 1} characters [json-pointer:${path}]`);
}
