import { isJsonObject, type JsonObject, parseJson } from "./json.js";

/**
 * What Slack makes of the `metadata` argument of chat.postMessage and
 * chat.update: JSON that does not parse, or is not an object, is refused
 * (`invalid_metadata_format`); an object without a usable `event_type`
 * (letters, digits, `_` and `-`) or `event_payload` object is ignored with
 * an `invalid_metadata_schema` warning, and the message goes out without it.
 * An empty object clears the metadata (chat.update); no argument keeps what
 * the message had. Work-object `entities` are kept as sent, unchecked.
 */
export type MetadataArgument =
  | { readonly kind: "absent" }
  | { readonly kind: "clear" }
  | { readonly kind: "set"; readonly metadata: JsonObject }
  | { readonly kind: "ignored"; readonly warning: "invalid_metadata_schema" }
  | { readonly kind: "invalid"; readonly error: "invalid_metadata_format" };

const EVENT_TYPE = /^[A-Za-z0-9_-]+$/;

export function readMetadata(args: JsonObject): MetadataArgument {
  const raw = args.metadata;
  if (raw === undefined || raw === null || raw === "") return { kind: "absent" };
  const value = typeof raw === "string" ? parseJson(raw) : raw;
  if (!isJsonObject(value)) return { kind: "invalid", error: "invalid_metadata_format" };
  if (Object.keys(value).length === 0) return { kind: "clear" };
  if (value.event_type === undefined && Array.isArray(value.entities)) return { kind: "set", metadata: value };
  const eventType = value.event_type;
  if (typeof eventType !== "string" || !EVENT_TYPE.test(eventType) || !isJsonObject(value.event_payload)) {
    return { kind: "ignored", warning: "invalid_metadata_schema" };
  }
  return { kind: "set", metadata: { event_type: eventType, event_payload: value.event_payload } };
}

/** Adds Slack's `warning` fields to a successful answer when the metadata was ignored. */
export function withMetadataWarning(response: JsonObject, metadata: MetadataArgument): JsonObject {
  if (metadata.kind !== "ignored") return response;
  return { ...response, warning: metadata.warning, response_metadata: { warnings: [metadata.warning] } };
}
