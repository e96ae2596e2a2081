// Normalisation by the most significant non-zero bit (MSNZB): for V with 2^lo ≤ V < 2^hi, the one-hot j = msnzb(V)
// as arithmetic shares, so any public function c(j) becomes a local sum Σ_j [msnzb = j]·c(j). Reciprocal and rsqrt
// use it to bring V to f = V / 2^j ∈ [1, 2), where a small table and Newton steps are accurate.
import type { Ring } from "../core/ring.js";
import { add, type Fx, type Lanes } from "./engine.js";

export interface Msnzb {
  /** Σ_j [msnzb(V) = j] · c(j) for a public integer c(j), lo ≤ j < hi: local. */
  weigh(c: (j: number) => bigint): Lanes;
}

/**
 * One DReLU and one B2A per candidate bit: [V ≥ 2^i] for lo < i < hi, all in one batch. Values below 2^lo count as
 * msnzb = lo and values ≥ 2^hi as hi − 1 (callers state their range).
 */
export async function msnzb(E: Fx, v: Lanes, lo: number, hi: number, ring: Ring): Promise<Msnzb> {
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi <= lo || hi > ring.bits - 1) {
    throw new RangeError(`msnzb: need integers 0 ≤ lo < hi ≤ ${ring.bits - 1}, got lo = ${lo}, hi = ${hi}`);
  }
  const n = v.length;
  const k = hi - lo - 1;
  const diffs = new BigUint64Array(n * k);
  for (let b = 0; b < k; b++) diffs.set(E.addConst(v, -(1n << BigInt(lo + 1 + b)), ring), b * n);
  const ge = k > 0 ? await E.b2a(await E.drelu(diffs, ring), n * k, ring) : diffs;
  return {
    // Σ_j e_j·c(j) with e_j = B_j − B_(j+1) (B_lo = 1, B_hi = 0) equals c(lo) + Σ_(lo<i<hi) B_i·(c(i) − c(i−1)).
    weigh(c) {
      let acc = E.addConst(new BigUint64Array(n), c(lo), ring);
      for (let b = 0; b < k; b++) {
        const i = lo + 1 + b;
        const step = (c(i) - c(i - 1)) & ring.mask;
        const part = new BigUint64Array(n);
        for (let t = 0; t < n; t++) part[t] = (ge[b * n + t] * step) & ring.mask;
        acc = add(acc, part, ring);
      }
      return acc;
    },
  };
}
