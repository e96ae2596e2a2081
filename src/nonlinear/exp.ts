// e^x for x ≤ 0 by range reduction (I-BERT, as BOLT): x = −k·ln2 + p with k = floor(−x/ln2) and p ∈ (−ln2, 0], so
// e^x = e^p · 2^(−k). 2^(−k) comes from a 32-entry lookup table on k (x is first clipped to ≥ −CLIP, where e^x is
// below half an ulp at any scale ≤ 14, so k ≤ 21 fits 5 bits).
//  - high (BOLT): e^p ≈ 0.3585·(p + 1.353)² + 0.344, one secret square. Max relative error 0.31% in float.
//  - low (ours): e^p ≈ c·(p + 2·ln2), no square; the line is chosen so that its value at p = 0 is twice its value at
//    p = −ln2 (no jump where k steps) and c = 2 / (2·ln2 + 4/e) balances the relative error: max 3.0%.
import { Ring } from "../core/ring.js";
import { mulPublic } from "../mpc/mult.js";
import { add, fixedConst, reduceTo, type Fx, type Lanes } from "./engine.js";
import { combine } from "./magnitude.js";
import type { NonlinearOptions } from "./gelu.js";

const CLIP = 14;
const TABLE_BITS = 5;
const HIGH = { a: 0.3585, b: 1.353, c: 0.344 };
const LOW_C = 2 / (2 * Math.LN2 + 4 / Math.E);
const LOW = { c0: 2 * Math.LN2 * LOW_C, c1: LOW_C };

/** The float form each degree implements (for x ≤ 0). */
export function expApprox(x: number, degree: "high" | "low"): number {
  const xc = Math.max(x, -CLIP);
  const k = Math.floor(-xc / Math.LN2);
  const p = xc + k * Math.LN2;
  const ep = degree === "high" ? HIGH.a * (p + HIGH.b) ** 2 + HIGH.c : LOW.c0 + LOW.c1 * p;
  return ep * 2 ** -k;
}

/** e^x on fixed-point values x ≤ 0 (ring scale 2 ≤ s ≤ 14; needs l ≥ 2s + 8). Exact twin of the protocol. */
export async function exp(E: Fx, x: Lanes, ring: Ring, opts: NonlinearOptions = {}): Promise<Lanes> {
  const degree = opts.degree ?? "high";
  const s = ring.scale;
  if (s < 2 || s > 14 || ring.bits < 2 * s + 8) throw new RangeError(`exp: needs a ring scale in [2, 14] and at least 2·scale + 8 bits, got ${ring}`);
  return E.scope(`exp.${degree}`, async () => {
    // xc = max(x, −CLIP) = −CLIP + mux(x ≥ −CLIP, x + CLIP).
    const clip = fixedConst(CLIP, ring);
    const shifted = E.addConst(x, clip, ring);
    const inside = E.notBits(await E.lessThanConst(shifted, 0n, ring), x.length);
    const xc = E.addConst(await E.mux(inside, shifted, ring), -clip, ring);
    // k = floor(xc · (−1/ln2)) ≥ 0, read at scale 2s; p = xc + k·ln2 ∈ (−ln2, 0] (up to rounding).
    const k = await E.trunc(mulPublic(xc, fixedConst(-1 / Math.LN2, ring), ring), 2 * s, ring, "nonneg");
    const p = add(xc, mulPublic(k, fixedConst(Math.LN2, ring), ring), ring);
    // From here every value is below 2^(2s+1) and non-negative (p, signed, is below 1): the products run in Z_2^(2s+3),
    // where shares are reduced locally and exactly, and only e^x is extended back. Gilboa products cost in proportion
    // to the ring's bits.
    const small = new Ring(Math.min(ring.bits, 2 * s + 3), s);
    let ep: Lanes;
    if (degree === "high") {
      const q = reduceTo(E.addConst(p, fixedConst(HIGH.b, ring), ring), small); // q ∈ (0.66, 1.353]
      const q2 = await E.trunc(await E.square(q, small), s, small, "nonneg");
      ep = await E.trunc(E.addConst(combine([q2], [fixedConst(HIGH.a, small)], small), fixedConst(HIGH.c, small, 2 * s), small), s, small, "nonneg");
    } else {
      ep = await E.trunc(E.addConst(combine([reduceTo(p, small)], [fixedConst(LOW.c1, small)], small), fixedConst(LOW.c0, small, 2 * s), small), s, small, "nonneg");
    }
    const table = new BigUint64Array(1 << TABLE_BITS);
    for (let j = 0; j < table.length; j++) table[j] = j <= s ? 1n << BigInt(s - j) : 0n;
    const pow = await E.lookup(table, k, TABLE_BITS, small); // 2^(−k) at scale s
    return E.extendNonneg(await E.trunc(await E.mul(ep, pow, small), s, small, "nonneg"), small, ring);
  });
}
