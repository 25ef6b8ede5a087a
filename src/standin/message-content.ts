import { blockProblems, decodeObjectArray, LIMITS } from "./block-limits.js";
import { type JsonObject, stringField } from "./json.js";
import type { MessageContent } from "./message-store.js";

export type ContentResult =
  | { ok: true; content: Partial<MessageContent> }
  | { ok: false; error: string; messages: string[] };

/**
 * Reads text, blocks and attachments from call arguments and applies Slack's
 * checks in Slack's order: malformed JSON, nothing to show, text too long,
 * blocks over the limits.
 */
export function readContent(args: JsonObject, maxBlocks: number = LIMITS.messageBlocks): ContentResult {
  const blocks = decodeObjectArray(args.blocks);
  if (!blocks.ok) return { ok: false, error: "invalid_blocks_format", messages: [] };
  const attachments = decodeObjectArray(args.attachments);
  if (!attachments.ok) return { ok: false, error: "invalid_attachments", messages: [] };
  const text = stringField(args, "text");
  const hasText = text !== undefined && text.trim() !== "";
  const hasBlocks = (blocks.value?.length ?? 0) > 0;
  const hasAttachments = (attachments.value?.length ?? 0) > 0;
  if (!hasText && !hasBlocks && !hasAttachments) {
    return { ok: false, error: "no_text", messages: [] };
  }
  if (text !== undefined && text.length > LIMITS.messageText) {
    return { ok: false, error: "msg_too_long", messages: [] };
  }
  const problems = blockProblems(blocks.value ?? [], maxBlocks);
  if (problems.length > 0) {
    return { ok: false, error: "invalid_blocks", messages: problems.map((problem) => `[ERROR] ${problem}`) };
  }
  const content: Partial<MessageContent> = {};
  if (text !== undefined) content.text = text;
  if (blocks.value !== undefined) content.blocks = blocks.value;
  if (attachments.value !== undefined) content.attachments = attachments.value;
  return { ok: true, content };
}
