import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkSignature } from "../../../src/hooks/verify-signature.js";

// GitHub's documented example ("Validating webhook deliveries").
const SECRET = "It's a Secret to Everybody";
const PAYLOAD = "Hello, World!";
const SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

describe("checkSignature", () => {
  it("verifies GitHub's documented example", async () => {
    expect(await checkSignature(SECRET, PAYLOAD, SIGNATURE)).toEqual({ ok: true });
  });

  it("agrees with a plain HMAC-SHA256 of the body", async () => {
    const body = JSON.stringify({ ref: "refs/heads/develop", zen: "Keep it logically awesome." });
    const header = `sha256=${createHmac("sha256", "s3cret").update(body).digest("hex")}`;
    expect(await checkSignature("s3cret", body, header)).toEqual({ ok: true });
  });

  it("refuses a tampered body", async () => {
    const check = await checkSignature(SECRET, "Hello, World?", SIGNATURE);
    expect(check).toEqual({ ok: false, reason: expect.stringContaining("does not match the body") });
  });

  it("refuses a body with a byte more or less", async () => {
    expect((await checkSignature(SECRET, `${PAYLOAD} `, SIGNATURE)).ok).toBe(false);
    expect((await checkSignature(SECRET, PAYLOAD.slice(0, -1), SIGNATURE)).ok).toBe(false);
  });

  it("refuses the right body signed with another secret", async () => {
    const check = await checkSignature("It's a Secret to Nobody", PAYLOAD, SIGNATURE);
    expect(check.ok).toBe(false);
  });

  it("refuses a missing header and says how to fix it", async () => {
    expect(await checkSignature(SECRET, PAYLOAD, undefined)).toEqual({
      ok: false,
      reason: "missing X-Hub-Signature-256: set a secret on the GitHub webhook",
    });
    expect((await checkSignature(SECRET, PAYLOAD, "")).ok).toBe(false);
  });

  it.each([
    ["the old SHA-1 header's form", "sha1=7d38cdd689735b008b3c702edd92eea23791c5f6"],
    ["a bare digest", SIGNATURE.slice("sha256=".length)],
    ["upper-case hex", SIGNATURE.toUpperCase().replace("SHA256=", "sha256=")],
    ["a truncated digest", SIGNATURE.slice(0, -2)],
  ])("refuses %s", async (_what, header) => {
    const check = await checkSignature(SECRET, PAYLOAD, header);
    expect(check).toEqual({ ok: false, reason: expect.stringMatching(/X-Hub-Signature-256/) });
  });

  it("refuses a header sent twice", async () => {
    expect((await checkSignature(SECRET, PAYLOAD, [SIGNATURE, SIGNATURE])).ok).toBe(false);
  });
});
