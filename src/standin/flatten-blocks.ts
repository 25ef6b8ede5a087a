import { isJsonObject, type JsonObject } from "./json.js";

function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (isJsonObject(value) && typeof value.text === "string") return value.text;
  return "";
}

function elementLabel(element: unknown): string {
  if (!isJsonObject(element)) return "";
  switch (element.type) {
    case "button":
      return `[${textOf(element.text)}]`;
    case "checkboxes": {
      const options = Array.isArray(element.options) ? element.options : [];
      const initial = Array.isArray(element.initial_options) ? element.initial_options : [];
      const chosen = new Set(initial.filter(isJsonObject).map((option) => option.value));
      return options
        .filter(isJsonObject)
        .map((option) => `${chosen.has(option.value) ? "☑" : "☐"} ${textOf(option.text)}`)
        .join("  ");
    }
    case "image":
      return `[image: ${typeof element.alt_text === "string" ? element.alt_text : ""}]`;
    default: {
      const label = textOf(element.placeholder) || textOf(element.text) || String(element.type ?? "element");
      return `[${label} ▾]`;
    }
  }
}

function richText(value: unknown): string {
  if (Array.isArray(value)) return value.map(richText).join("");
  if (!isJsonObject(value)) return "";
  if (typeof value.text === "string") return value.text;
  if (typeof value.url === "string") return value.url;
  if (typeof value.user_id === "string") return `<@${value.user_id}>`;
  if (typeof value.name === "string" && value.type === "emoji") return `:${value.name}:`;
  const inner = richText(value.elements);
  return value.type === "rich_text_section" || value.type === "rich_text_preformatted" ? `${inner}\n` : inner;
}

function oneBlock(block: JsonObject): string {
  switch (block.type) {
    case "header":
      return `== ${textOf(block.text)} ==`;
    case "section": {
      const fields = Array.isArray(block.fields) ? block.fields.map(textOf).filter((text) => text !== "") : [];
      const accessory = block.accessory === undefined ? "" : ` ${elementLabel(block.accessory)}`;
      return [textOf(block.text), fields.join(" | ")].filter((part) => part !== "").join("\n") + accessory;
    }
    case "context":
      return (Array.isArray(block.elements) ? block.elements : [])
        .map((element) => (isJsonObject(element) && element.type === "image" ? "" : textOf(element)))
        .filter((text) => text !== "")
        .join(" · ");
    case "actions":
      return (Array.isArray(block.elements) ? block.elements : []).map(elementLabel).join(" ");
    case "divider":
      return "───";
    case "image":
      return elementLabel(block);
    case "input":
      return `${textOf(block.label)}: ${elementLabel(block.element)}`;
    case "markdown":
      return textOf(block);
    case "rich_text":
      return richText(block.elements).trimEnd();
    default:
      return `[${String(block.type)}]`;
  }
}

/** The visible text of Block Kit blocks, one block per line, for transcripts and asserts. */
export function flattenBlocks(blocks: readonly JsonObject[]): string {
  return blocks
    .map(oneBlock)
    .filter((line) => line.trim() !== "")
    .join("\n");
}
