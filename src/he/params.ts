// BFV parameters of the homomorphic linear layers, and the bound that fixes how many plaintext primes a product needs.
import type { Party } from "../mpc/party.js";
import { ParameterMismatchError, ProtocolError } from "../net/errors.js";

export interface HeParams {
  /** Ring degree N: N slots per ciphertext, 2 rows of N/2. */
  polyDegree: number;
  /** Bit sizes of the ciphertext modulus primes; the last one is the key-switching (special) prime. */
  coeffBits: number[];
  /** Bit size of each batching plaintext prime t_i (t_i ≡ 1 mod 2N); products are computed modulo each, then by CRT. */
  plainBits: number;
  /** How many plaintext primes (CRT components) the session sets up. */
  plainPrimes: number;
  /** Statistical security (bits) of the integer masks that turn HE results into shares in Z_2^l. */
  sigma: number;
}

/**
 * Why these values:
 * - N = 8192 (as BOLT): the smallest ring with room for the noise below; q = 60+60+60 bits of data plus a 38-bit
 *   special prime is 218 bits, the 128-bit-security limit at N = 8192.
 * - t_i of 54 bits: batching needs primes t ≡ 1 mod 2N, and a product with full-norm (batch-encoded) plaintexts
 *   costs about 77 bits of budget, so with 121 bits fresh it leaves at least 44 (tested): room for noise flooding
 *   40 bits above the computed noise. Larger t_i would eat that room; smaller ones would need more primes.
 * - No fresh ciphertext is ever rotated (one key switch costs about 30 bits there, 121 → 92 measured): the server
 *   rotates only partial sums of products, and the client turns its own slots before encrypting (layout.ts).
 * - Two primes (T ≈ 2^108) carry any 37-bit share times 16-bit weights over 3072 terms plus a 40-bit mask; three
 *   (T ≈ 2^162) carry share × share products (about 120 bits: two 60-bit primes would fall short by the noise).
 * - Answers leave at the second level (120 bits) without the low bits decryption does not need (response.ts): about
 *   log2(t) + 4 bits per coefficient of c0 and log2(t) + 17 of c1, half of SEAL's 2×64 per coefficient. Uploads are
 *   seeded (c1 is a seed) and keep 60 bits per residue instead of 64 (upload.ts).
 */
export const DEFAULT_HE: Readonly<HeParams> = Object.freeze({
  polyDegree: 8192,
  coeffBits: [60, 60, 60, 38],
  plainBits: 54,
  plainPrimes: 3,
  sigma: 40,
});

export function checkHeParams(p: HeParams): void {
  const { polyDegree: n, coeffBits, plainBits, plainPrimes, sigma } = p;
  if (!Number.isInteger(n) || n < 1024 || n > 32768 || (n & (n - 1)) !== 0) {
    throw new RangeError(`HeParams.polyDegree must be a power of two in [1024, 32768], got ${n}`);
  }
  if (!Array.isArray(coeffBits) || coeffBits.length < 2 || coeffBits.some((b) => !Number.isInteger(b) || b < 20 || b > 60)) {
    throw new RangeError(`HeParams.coeffBits must list at least two integers in [20, 60], got ${String(coeffBits)}`);
  }
  if (!Number.isInteger(plainBits) || plainBits < 17 || plainBits > 60) throw new RangeError(`HeParams.plainBits must be an integer in [17, 60], got ${plainBits}`);
  if (!Number.isInteger(plainPrimes) || plainPrimes < 1 || plainPrimes > 8) throw new RangeError(`HeParams.plainPrimes must be an integer in [1, 8], got ${plainPrimes}`);
  if (!Number.isInteger(sigma) || sigma < 20 || sigma > 128) throw new RangeError(`HeParams.sigma must be an integer in [20, 128], got ${sigma}`);
}

/**
 * The HE fields of the session's parameter list (also fit for the session handshake's parameter record), so that a
 * mismatch names the field. The backend comes first: a seal party meeting a simd one must fail on it, not on a field
 * the other backend happens to share.
 */
export function heHandshakeParams(p: HeParams, plainModuli: readonly bigint[]): Record<string, string> {
  return {
    "he.backend": "seal",
    "he.polyDegree": String(p.polyDegree),
    "he.coeffBits": p.coeffBits.join(","),
    "he.plainModuli": plainModuli.join(","),
    "he.sigma": String(p.sigma),
  };
}

/**
 * Sends this party's HE parameter record ("he.params"), reads the peer's and compares them: a malformed record is a
 * ProtocolError, a differing field a ParameterMismatchError naming it. Both backends start their set-up with it.
 */
export async function exchangeHeParams(p: Party, mine: Record<string, string>): Promise<void> {
  p.ch.send("he.params", new TextEncoder().encode(JSON.stringify(mine)));
  const raw = await p.ch.recv("he.params");
  let theirs: unknown;
  try {
    theirs = JSON.parse(new TextDecoder().decode(raw));
    if (typeof theirs !== "object" || theirs === null || Array.isArray(theirs)) throw new Error("not a record");
  } catch (e) {
    throw new ProtocolError(`he.params: the peer's parameter list is malformed (${e instanceof Error ? e.message : String(e)})`);
  }
  compareHeParams(mine, theirs as Record<string, string>);
}

/** Throws a ParameterMismatchError naming the first field whose value differs between the two records. */
export function compareHeParams(mine: Record<string, string>, theirs: Record<string, string>): void {
  for (const field of new Set([...Object.keys(mine), ...Object.keys(theirs)])) {
    const [a, b] = [mine[field], theirs[field]];
    if (a !== b) throw new ParameterMismatchError(field, `HE parameter ${field} differs: ours ${a ?? "(missing)"}, peer's ${b ?? "(missing)"}`);
  }
}

/** ceil(log2(k)) for k ≥ 1. */
export function ceilLog2(k: number): number {
  let b = 0;
  while (2 ** b < k) b++;
  return b;
}

/**
 * Bit size of the bound on |Σ_k a_k·w_k| for signed a of `aBits` bits (|a| ≤ 2^(aBits−1)) and w of `wBits` bits,
 * over `terms` terms: the product is in [−2^bound, 2^bound].
 */
export function productBoundBits(aBits: number, wBits: number, terms: number): number {
  return aBits - 1 + (wBits - 1) + ceilLog2(terms);
}

/**
 * How many plaintext primes carry an integer product of `boundBits` bits with a `sigma`-bit mask: the masked value
 * y + 2^bound + r, r < 2^(bound+sigma), lies in [0, 2^(bound+sigma+1)) and must stay below T = Π t_i.
 */
export function primesNeeded(boundBits: number, sigma: number, plainModuli: readonly bigint[]): number {
  const need = 1n << BigInt(boundBits + sigma + 1);
  let t = 1n;
  for (let i = 0; i < plainModuli.length; i++) {
    t *= plainModuli[i];
    if (t >= need) return i + 1;
  }
  throw new RangeError(
    `a ${boundBits}-bit product with a ${sigma}-bit mask needs more than the session's ${plainModuli.length} plaintext primes`,
  );
}
