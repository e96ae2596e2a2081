// 1/v for v > 0 (softmax's row sums): normalise V = 2^j·f with f ∈ [1, 2), seed 1/f from a 2^m-entry table on the top
// m fraction bits, refine with one Newton step r ← r·(2 − f·r) (high) or not (low), and scale back by 2^(s−j).
// Relative error of 1/f: table 2^−(m+1) = 0.8% (low); after Newton about 2^−(2m+2) plus rounding (high).
import type { Ring } from "../core/ring.js";
import { fixedConst, neg, type Fx, type Lanes } from "./engine.js";
import { msnzb } from "./normalize.js";
import type { NonlinearOptions } from "./gelu.js";

export const SEED_BITS = 6;

export interface RangeOptions extends NonlinearOptions {
  /** V = v·2^s lies in [2^lo, 2^hi): the caller's bound on the input (fixed-point integers). */
  lo: number;
  hi: number;
  /** Scale of the input V (default: the ring's scale s); the output is at scale s. */
  inScale?: number;
}

/** The float form each degree implements (reciprocal of v with seed and Newton as the protocol). */
export function reciprocalApprox(v: number, degree: "high" | "low"): number {
  const j = Math.floor(Math.log2(v));
  const f = v / 2 ** j;
  const i = Math.floor((f - 1) * 2 ** SEED_BITS);
  let r = 1 / (1 + (i + 0.5) / 2 ** SEED_BITS);
  if (degree === "high") r *= 2 - f * r;
  return r / 2 ** j;
}

/** Shares (or values) of f·2^s ∈ [2^s, 2^(s+1)) and the weights of the normalisation. */
export async function normalized(E: Fx, v: Lanes, ring: Ring, lo: number, hi: number) {
  const s = ring.scale;
  if (hi - 1 < s) throw new RangeError(`normalize: hi = ${hi} must exceed the scale ${s}`);
  const m = await msnzb(E, v, lo, hi, ring);
  // F = 2^(hi−1−j) brings V to f·2^(hi−1) < 2^hi: exact, no wrap.
  const F = m.weigh((j) => 1n << BigInt(hi - 1 - j));
  const f = await E.trunc(await E.mul(v, F, ring), hi - 1 - s, ring, "nonneg");
  return { m, F, f };
}

/** The top `bits` fraction bits of f (f·2^s ∈ [2^s, 2^(s+1))), plus 2^bits, as an index lane. */
export function seedIndex(E: Fx, f: Lanes, bits: number, ring: Ring): Promise<Lanes> {
  return E.trunc(f, ring.scale - bits, ring, "nonneg");
}

/** 1/v at scale s for v = V/2^inScale with 2^lo ≤ V < 2^hi (needs s + hi − lo ≤ l − 2 and inScale < hi). */
export async function reciprocal(E: Fx, v: Lanes, ring: Ring, opts: RangeOptions): Promise<Lanes> {
  const degree = opts.degree ?? "high";
  const s = ring.scale;
  const { lo, hi, inScale = s } = opts;
  if (s < SEED_BITS || s + hi - lo > ring.bits - 2) throw new RangeError(`reciprocal: range [2^${lo}, 2^${hi}) at scale ${s} does not fit ${ring}`);
  // r·F below is 1/v at scale hi − 1 + s − inScale.
  const drop = hi - 1 - inScale;
  if (!Number.isInteger(inScale) || drop < 0) throw new RangeError(`reciprocal: inScale must be an integer below hi = ${hi}, got ${inScale}`);
  return E.scope(`reciprocal.${degree}`, async () => {
    const { F, f } = await normalized(E, v, ring, lo, hi);
    const table = new BigUint64Array(1 << SEED_BITS);
    for (let i = 0; i < table.length; i++) table[i] = fixedConst(1 / (1 + (i + 0.5) / table.length), ring);
    let r = await E.lookup(table, await seedIndex(E, f, SEED_BITS, ring), SEED_BITS, ring);
    if (degree === "high") {
      const fr = await E.trunc(await E.mul(f, r, ring), s, ring, "nonneg");
      r = await E.trunc(await E.mul(r, E.addConst(neg(fr, ring), fixedConst(2, ring), ring), ring), s, ring, "nonneg");
    }
    // 1/v = 2^inScale / V = 2^(inScale − j)/f and r·F = 2^(s + hi − 1 − j)/f: drop hi − 1 − inScale bits.
    return E.trunc(await E.mul(r, F, ring), drop, ring, "nonneg");
  });
}
