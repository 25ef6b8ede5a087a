/*
 * Deployment ids that people can read aloud and type: `d-7k3m9x2q`.
 *
 * Eight symbols from a 31-letter lowercase alphabet with no 0/o, 1/l/i
 * (about 39.6 bits). The randomness is a parameter so tests are
 * deterministic; the clock is mixed in so a repeated or poorly seeded source
 * still gives different ids at different times. Uniqueness is finally the
 * store's job: it creates a deployment only if the id is free and asks for a
 * new id otherwise.
 */

export const DEPLOYMENT_ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz";
export const DEPLOYMENT_ID_PREFIX = "d-";
export const DEPLOYMENT_ID_SYMBOLS = 8;
export const DEPLOYMENT_ID_EXAMPLE = "d-7k3m9x2q";

/** Random bytes (at least 8, e.g. `crypto.randomBytes(8)`) or a `Math.random`-like function. */
export type RandomSource = Uint8Array | (() => number);

const BASE = BigInt(DEPLOYMENT_ID_ALPHABET.length);
const SPACE = BASE ** BigInt(DEPLOYMENT_ID_SYMBOLS);
const MIN_BYTES = 8;
const ID_PATTERN = new RegExp(`^${DEPLOYMENT_ID_PREFIX}[${DEPLOYMENT_ID_ALPHABET}]{${DEPLOYMENT_ID_SYMBOLS}}$`);

function randomValue(random: RandomSource): bigint {
  if (typeof random === "function") {
    let value = 0n;
    for (let i = 0; i < DEPLOYMENT_ID_SYMBOLS; i += 1) {
      const r = random();
      const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1 - Number.EPSILON) : 0;
      value = value * BASE + BigInt(Math.floor(unit * DEPLOYMENT_ID_ALPHABET.length));
    }
    return value;
  }
  if (random.length < MIN_BYTES) {
    throw new RangeError(`a deployment id needs at least ${MIN_BYTES} random bytes, got ${random.length}`);
  }
  let value = 0n;
  for (const byte of random.subarray(0, MIN_BYTES)) value = (value << 8n) | BigInt(byte);
  return value % SPACE;
}

/** A 64-bit mix of the clock (splitmix64 finaliser) so nearby times differ in every symbol. */
function clockValue(now: number): bigint {
  const mask = (1n << 64n) - 1n;
  let z = BigInt.asUintN(64, BigInt(Math.trunc(Number.isFinite(now) ? now : 0)));
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
  return (z ^ (z >> 31n)) % SPACE;
}

/** A new deployment id such as `d-7k3m9x2q`. */
export function deploymentIdFrom(random: RandomSource, now: number): string {
  let value = (randomValue(random) + clockValue(now)) % SPACE;
  const symbols: string[] = [];
  for (let i = 0; i < DEPLOYMENT_ID_SYMBOLS; i += 1) {
    symbols.push(DEPLOYMENT_ID_ALPHABET[Number(value % BASE)] ?? "");
    value /= BASE;
  }
  return DEPLOYMENT_ID_PREFIX + symbols.reverse().join("");
}

/** True for a well-formed id in canonical (lowercase) form. */
export function isDeploymentId(text: string): boolean {
  return ID_PATTERN.test(text);
}

/** The canonical id for what a person typed (trimmed, lowercased), or undefined when it is not an id. */
export function normalizeDeploymentId(text: string): string | undefined {
  const candidate = text.trim().toLowerCase();
  return isDeploymentId(candidate) ? candidate : undefined;
}
