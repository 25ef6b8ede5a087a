/** A parsed JSON object: values stay `unknown` until a caller narrows them. */
export type JsonObject = { [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses text as JSON, answering `undefined` instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function stringField(source: JsonObject, key: string): string | undefined {
  const value = source[key];
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** A non-empty string field, or `undefined` for a missing or empty one. */
export function presentString(source: JsonObject, key: string): string | undefined {
  const value = stringField(source, key);
  return value === undefined || value === "" ? undefined : value;
}

export function booleanField(source: JsonObject, key: string): boolean | undefined {
  const value = source[key];
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "1" || value === 1) return true;
  if (value === "false" || value === "0" || value === 0) return false;
  return undefined;
}

/** Shortens text for error messages and dumps. */
export function clip(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
