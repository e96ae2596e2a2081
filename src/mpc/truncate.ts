// Exact arithmetic shift right of shared values (CrypTFlow2's faithful truncation).
//
// With shares x0 + x1 = X + 2^l·w (w the wrap of the whole shares) and c = [x0 mod 2^s + x1 mod 2^s ≥ 2^s] (the
// wrap of the low s bits), floor(X / 2^s) = (x0 >> s) + (x1 >> s) + c − 2^(l−s)·w. Both wrap bits come from one
// comparison whose tree has the low s bits as a subtree, so c costs no extra comparison. Signed values are first
// shifted by 2^(l−1) into the unsigned range; a known sign instead gives w from the shares' top bits alone.
import { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { b2a } from "./b2a.js";
import { getBit, packedLength } from "../core/bits.js";
import { compareBatch } from "./millionaire.js";
import { bitOf, checkRing, checkShares, lowBits } from "./extend.js";

/** What is known about the sign of the values: "nonneg" and "neg" must hold for every lane. */
export type SignHint = "unknown" | "nonneg" | "neg";

export interface TruncateOptions {
  sign?: SignHint;
}

function checkShift(x: BigUint64Array, s: number, ring: Ring, name: string): void {
  checkShares(x, `${name}: x`);
  checkRing(ring, `${name}: ring`);
  if (!Number.isInteger(s) || s < 0 || s >= ring.bits) throw new RangeError(`${name}: s must be an integer in [0, ${ring.bits}), got ${s}`);
}

/** Shares of [x0 mod 2^s + x1 mod 2^s ≥ 2^s]: one s-bit comparison. */
async function lowWrap(p: Party, x: BigUint64Array, s: number): Promise<Uint8Array> {
  const [{ gt }] = await compareBatch(p, x.length, [{ input: lowBits(x, s, !p.isServer), bits: s }]);
  return gt;
}

function concatBits(a: Uint8Array, b: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(packedLength(2 * n));
  out.set(a.subarray(0, packedLength(n)));
  for (let i = 0; i < n; i++) {
    const j = n + i;
    out[j >>> 3] |= getBit(b, i) << (j & 7);
  }
  return out;
}

/**
 * Shares of floor(x / 2^s) for x read as signed: rounds toward −∞ and is exact for every x, the ring minimum
 * included (−2^(l−1) gives −2^(l−1−s)). `sign: "nonneg"` or `"neg"` promises the sign of every lane and makes
 * the high wrap a product of the parties' top bits (one correlated OT of s bits instead of an l-bit comparison);
 * a false promise gives wrong results, off by 2^(l−s).
 */
export async function truncate(p: Party, x: BigUint64Array, s: number, ring: Ring, opts: TruncateOptions = {}): Promise<BigUint64Array> {
  checkShift(x, s, ring, "truncate");
  const sign = opts.sign ?? "unknown";
  if (sign !== "unknown" && sign !== "nonneg" && sign !== "neg") throw new TypeError(`truncate: sign must be "unknown", "nonneg" or "neg", got ${String(sign)}`);
  if (s === 0) return x.slice();
  return p.scope("truncate", () => (sign === "unknown" ? truncateUnknown(p, x, s, ring) : truncateKnown(p, x, s, ring, sign === "neg")));
}

async function truncateUnknown(p: Party, x: BigUint64Array, s: number, ring: Ring): Promise<BigUint64Array> {
  const n = x.length;
  const l = ring.bits;
  const mine = addConstant(x, p.isServer ? ring.half : 0n, ring.mask);
  const input = p.isServer ? mine : lowBits(mine, l, true);
  const [{ gt: w, low: c }] = await compareBatch(p, n, [{ input, bits: l, split: s }]);
  const a = await b2a(p, concatBits(c!, w, n), 2 * n, ring);
  return shifted(mine, s, a, a.subarray(n), BigInt(l - s), p.isServer ? 1n << BigInt(l - 1 - s) : 0n, ring.mask);
}

// The loops live in plain functions: V8 optimises them at once, unlike loops inside async functions.

function addConstant(x: BigUint64Array, c: bigint, mask: bigint): BigUint64Array {
  const out = new BigUint64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] + c) & mask;
  return out;
}

/** (x_i >> s) + c_i − (w_i << wShift) − k mod 2^l: a share of the shifted value with its wrap corrections. */
function shifted(x: BigUint64Array, s: number, c: BigUint64Array, w: BigUint64Array | undefined, wShift: bigint, k: bigint, mask: bigint): BigUint64Array {
  const out = new BigUint64Array(x.length);
  const sh = BigInt(s);
  if (!w) for (let i = 0; i < x.length; i++) out[i] = ((x[i] >> sh) + c[i] - k) & mask;
  else for (let i = 0; i < x.length; i++) out[i] = ((x[i] >> sh) + c[i] - (w[i] << wShift) - k) & mask;
  return out;
}

/** a ∨ b = a + b − a·b per lane, from this party's bit and its share of a·b (in place). */
function orShares(bits: Uint8Array, ab: BigUint64Array): BigUint64Array {
  for (let i = 0; i < ab.length; i++) ab[i] = BigInt(getBit(bits, i)) - ab[i];
  return ab;
}

/** Lanes of 0/1 from packed bits. */
export function bitLanes(bits: Uint8Array, n: number): BigUint64Array {
  const out = new BigUint64Array(n);
  for (let i = 0; i < n; i++) if (getBit(bits, i)) out[i] = 1n;
  return out;
}

async function truncateKnown(p: Party, x: BigUint64Array, s: number, ring: Ring, negative: boolean): Promise<BigUint64Array> {
  const n = x.length;
  const l = ring.bits;
  const low = await lowWrap(p, x, s);
  // The high wrap is maj(a, b, carry into the top bit) with a, b the shares' top bits; a known top bit m turns
  // it into a ∧ b (m = 1) or a ∨ b (m = 0). Only w mod 2^s matters, as it is scaled by 2^(l−s). The product
  // a·b is a correlated OT sent by the client, so it runs beside the server-sent B2A of the low wrap.
  const top = bitOf(x, l - 1);
  const abShare = async (): Promise<BigUint64Array> => {
    if (p.isServer) return p.ot.cotRecv(top, n, s);
    const x0 = await p.ot.cotSend(bitLanes(top, n), s);
    return negate(x0);
  };
  const [c, ab] = await Promise.all([b2a(p, low, n, ring), abShare()]);
  // w = ab (top bit 1) or a + b − ab (top bit 0); a negative value also subtracts 2^(l−s) once (server).
  const hi = BigInt(l - s);
  const extra = negative && p.isServer ? 1n << hi : 0n;
  return shifted(x, s, c, negative ? ab : orShares(top, ab), hi, extra, ring.mask);
}

export function negate(x: BigUint64Array): BigUint64Array {
  for (let i = 0; i < x.length; i++) x[i] = -x[i];
  return x;
}

/** The ring of truncateReduce's result for s ≥ 1: Z_2^(l−s), keeping ring.scale when it fits (else l − s − 1). */
export function truncatedRing(ring: Ring, s: number): Ring {
  return new Ring(ring.bits - s, Math.min(ring.scale, ring.bits - s - 1));
}

/**
 * Shares of floor(x / 2^s) mod 2^(l−s) in the smaller ring Z_2^(l−s): exact for every x, and the signed
 * reading in the small ring is the true quotient. Only the low wrap is needed. The returned ring keeps
 * ring.scale when it fits (else l − s − 1).
 */
export async function truncateReduce(p: Party, x: BigUint64Array, s: number, ring: Ring): Promise<{ ring: Ring; x: BigUint64Array }> {
  checkShift(x, s, ring, "truncateReduce");
  if (s === 0) return { ring, x: x.slice() };
  const out = truncatedRing(ring, s);
  return p.scope("truncateReduce", async () => {
    const n = x.length;
    const c = await b2a(p, await lowWrap(p, x, s), n, out);
    return { ring: out, x: shifted(x, s, c, undefined, 0n, 0n, out.mask) };
  });
}
