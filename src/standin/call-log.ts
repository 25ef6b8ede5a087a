import { clip, type JsonObject, stringField } from "./json.js";

/** One Web API call as the stand-in saw and answered it. */
export interface ApiCall {
  /** 1, 2, 3… in arrival order. */
  seq: number;
  method: string;
  /** Parsed arguments (JSON fields such as `blocks` decoded), without the token. */
  args: JsonObject;
  status: number;
  response: JsonObject;
  /** When it arrived (ms since epoch, from the stand-in's clock). */
  at: number;
}

export class CallLog {
  private readonly calls: ApiCall[] = [];

  record(call: Omit<ApiCall, "seq">): ApiCall {
    const recorded: ApiCall = { ...call, seq: this.calls.length + 1 };
    this.calls.push(recorded);
    return recorded;
  }

  all(): ApiCall[] {
    return [...this.calls];
  }

  get lastSeq(): number {
    return this.calls.length;
  }

  /** The last `count` calls, one line each, for error messages. */
  dump(count = 10): string {
    if (this.calls.length === 0) return "no Web API calls were made";
    const shown = this.calls.slice(-count).map(describeCall);
    return [`last ${shown.length} of ${this.calls.length} calls:`, ...shown].join("\n  ");
  }
}

export function describeCall(call: ApiCall): string {
  const outcome = call.response.ok === true ? "ok" : String(call.response.error ?? "error");
  const details = ["channel", "ts", "thread_ts", "user", "usergroup"]
    .map((key) => [key, stringField(call.args, key)] as const)
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${value}`);
  const text = stringField(call.args, "text");
  if (text !== undefined) details.push(`text="${clip(text, 60)}"`);
  return `#${call.seq} ${call.method} → ${call.status} ${outcome}${details.length > 0 ? ` (${details.join(" ")})` : ""}`;
}
