import type { IncomingMessage } from "node:http";

/**
 * Reads a request body whole, as the bytes that were sent (signatures are
 * computed over them), or undefined as soon as it grows past `maxBytes`.
 */
export async function readRawBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
