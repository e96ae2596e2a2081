// Where a shared value lies on a grid of cells of width 2^t, in one pass over its bits: its cell floor(x / 2^t),
// whether the cell index fits in m signed bits, and the sign of x. Three chained low-wrap comparisons on t, m and
// l − t − m − 1 bits together cost about one DReLU, where a sign test, a range test and a truncation done apart
// would cost two full comparisons and a third, shorter one.
//
// With u = floor(x / 2^t) + 2^(m−1) (in Z_2^(l−t)) and v = floor(u / 2^m): the cell is in range iff v = 0, and
// then x ≥ 0 iff bit m−1 of u is set; out of range, x ≥ 0 iff v ≥ 1. A millionaire with equality on the low bits
// of w = v − 1 gives both [v ≥ 1] (the sign of w) and [v = 0] (the low bits of w all ones).
import { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { and } from "./and.js";
import { b2a } from "./b2a.js";
import { xorBits } from "../core/bits.js";
import { notBits } from "./drelu.js";
import { bitOf, checkRing, checkShares, lowBits } from "./extend.js";
import { compareBatch } from "./millionaire.js";
import { truncateReduce } from "./truncate.js";

export interface Segment {
  /** floor(x / 2^t) for x read as signed, in `cellRing` = Z_2^(l−t): exact for every x. */
  cell: BigUint64Array;
  cellRing: Ring;
  /** XOR shares of [−2^(m−1) ≤ cell < 2^(m−1)], i.e. x ∈ [−2^(t+m−1), 2^(t+m−1)). */
  inRange: Uint8Array;
  /** XOR shares of [x ≥ 0]. */
  nonneg: Uint8Array;
}

/** Checks t and m against a ring of l bits: each of the three comparisons needs at least one bit. */
export function checkSegment(t: number, m: number, ring: Ring, name: string): void {
  if (!Number.isInteger(t) || t < 1) throw new RangeError(`${name}: t must be an integer ≥ 1, got ${t}`);
  if (!Number.isInteger(m) || m < 2) throw new RangeError(`${name}: m must be an integer ≥ 2, got ${m}`);
  if (ring.bits - t - m < 2) throw new RangeError(`${name}: t + m must be at most ${ring.bits - 2} in ${ring}, got ${t + m}`);
}

/** (u_i >> m) + c_i − k mod 2^bits. */
function shifted(u: BigUint64Array, m: number, c: BigUint64Array, k: bigint, mask: bigint): BigUint64Array {
  const out = new BigUint64Array(u.length);
  const sh = BigInt(m);
  for (let i = 0; i < u.length; i++) out[i] = ((u[i] >> sh) + c[i] - k) & mask;
  return out;
}

function plus(x: BigUint64Array, k: bigint, mask: bigint): BigUint64Array {
  const out = new BigUint64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] + k) & mask;
  return out;
}

/**
 * The cell, range and sign of x (shared mod 2^l) for cells of width 2^t and m-bit signed cell indices. The range
 * and sign have their stated meaning for |x| < 2^(l−2); for other x they are still a fixed function of x (the
 * plaintext twin's). Cost: comparisons on t, m (with one split) and l − t − m − 1 (with equality) bits, two B2As
 * and one AND.
 */
export async function segment(p: Party, x: BigUint64Array, t: number, m: number, ring: Ring): Promise<Segment> {
  checkShares(x, "segment: x");
  checkRing(ring, "segment: ring");
  checkSegment(t, m, ring, "segment");
  return p.scope("segment", async () => {
    const n = x.length;
    const server = p.isServer;
    const { x: cell, ring: cellRing } = await truncateReduce(p, x, t, ring);
    const u = server ? plus(cell, 1n << BigInt(m - 1), cellRing.mask) : cell;
    // One m-bit comparison gives the wraps of u's low m bits (for v) and low m − 1 bits (for bit m − 1).
    const [{ gt: wrap, low: wrapLow }] = await compareBatch(p, n, [{ input: lowBits(u, m, !server), bits: m, split: m - 1 }]);
    const high = new Ring(cellRing.bits - m);
    const w = shifted(u, m, await b2a(p, wrap, n, high), server ? 1n : 0n, high.mask);
    const b = high.bits - 1;
    const [{ gt: carry, eq: allOnes }] = await compareBatch(p, n, [{ input: lowBits(w, b, !server), bits: b, equal: true }]);
    const above = notBits(p, xorBits(carry, bitOf(w, b)), n);
    const inside = xorBits(bitOf(u, m - 1), wrapLow!);
    // [v ≥ 1] and [v = 0] exclude each other, so the sign is their XOR with the second ANDed by bit m − 1.
    const nonneg = xorBits(above, await and(p, allOnes!, inside, n));
    return { cell, cellRing, inRange: allOnes!, nonneg };
  });
}
