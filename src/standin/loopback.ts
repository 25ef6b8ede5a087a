import { SlipwayError } from "../errors.js";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** The stand-in only ever talks to this machine; anything else is a mistake in the test setup. */
export function assertLoopbackUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new SlipwayError("standin_bad_url", `${what} is not a URL: ${raw}`, { cause });
  }
  if (url.protocol !== "http:" || !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new SlipwayError(
      "standin_bad_url",
      `${what} must be an http:// URL on this machine (127.0.0.1 or localhost), got ${raw}`,
    );
  }
  return url;
}
