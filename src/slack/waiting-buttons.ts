import { z } from "zod";
import { STRATEGIES } from "../domain/strategy.js";

/*
 * What the "Queue it", "Schedule for the next window" and Cancel buttons
 * carry in their value (Slack gives it back on a click, at most 2,000
 * characters): the request as asked, or which waiting deployment to cancel.
 * Short keys keep a long version or flag name within the limit.
 */

const requestValue = z.object({
  s: z.string().min(1).max(63),
  e: z.string().min(1).max(31),
  v: z.string().min(1).max(200),
  st: z.enum(STRATEGIES).optional(),
  f: z.object({ n: z.string().max(200).optional(), p: z.number().int().min(0).max(100).optional() }).optional(),
  h: z.boolean(),
  sn: z.boolean().optional(),
});

const cancelValue = z.object({
  s: z.string().min(1).max(63),
  e: z.string().min(1).max(31),
  id: z.string().min(1).max(64),
});

export interface ButtonRequest {
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly strategy?: z.infer<typeof requestValue>["st"];
  readonly flag?: { readonly name?: string; readonly percent?: number };
  readonly hotfix: boolean;
  readonly sensitive?: boolean;
}

export function encodeRequest(r: ButtonRequest): string {
  const flag = r.flag
    ? {
        ...(r.flag.name === undefined ? {} : { n: r.flag.name }),
        ...(r.flag.percent === undefined ? {} : { p: r.flag.percent }),
      }
    : undefined;
  return JSON.stringify({
    s: r.service,
    e: r.environment,
    v: r.version,
    ...(r.strategy ? { st: r.strategy } : {}),
    ...(flag ? { f: flag } : {}),
    h: r.hotfix,
    ...(r.sensitive ? { sn: true } : {}),
  } satisfies z.input<typeof requestValue>);
}

/** The request a button carries; undefined for a malformed value. */
export function decodeRequest(value: string | undefined): ButtonRequest | undefined {
  const parsed = requestValue.safeParse(safeJson(value));
  if (!parsed.success) return undefined;
  const { s, e, v, st, f, h, sn } = parsed.data;
  return {
    service: s,
    environment: e,
    version: v,
    ...(st ? { strategy: st } : {}),
    ...(f
      ? { flag: { ...(f.n === undefined ? {} : { name: f.n }), ...(f.p === undefined ? {} : { percent: f.p }) } }
      : {}),
    hotfix: h,
    ...(sn ? { sensitive: true } : {}),
  };
}

export function encodeCancel(w: {
  readonly service: string;
  readonly environment: string;
  readonly id: string;
}): string {
  return JSON.stringify({ s: w.service, e: w.environment, id: w.id } satisfies z.input<typeof cancelValue>);
}

export function decodeCancel(
  value: string | undefined,
): { readonly service: string; readonly environment: string; readonly id: string } | undefined {
  const parsed = cancelValue.safeParse(safeJson(value));
  return parsed.success ? { service: parsed.data.s, environment: parsed.data.e, id: parsed.data.id } : undefined;
}

function safeJson(value: string | undefined): unknown {
  try {
    return value === undefined ? undefined : (JSON.parse(value) as unknown);
  } catch {
    return undefined;
  }
}
