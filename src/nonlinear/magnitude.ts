// |x| and the sign of x, for odd-symmetric functions (tanh).
import type { Ring } from "../core/ring.js";
import { sub, type Bits, type Fx, type Lanes } from "./engine.js";
import { mulPublic } from "../mpc/mult.js";

export interface Magnitude {
  /** [x ≥ 0]. */
  nonneg: Bits;
  /** |x| = 2·max(x, 0) − x. */
  abs: Lanes;
}

/** One DReLU and one MUX. Exact for |x| < 2^(l−1). */
export async function magnitude(E: Fx, x: Lanes, ring: Ring): Promise<Magnitude> {
  const nonneg = await E.drelu(x, ring);
  const relu = await E.mux(nonneg, x, ring);
  return { nonneg, abs: sub(mulPublic(relu, 2n, ring), x, ring) };
}

/** Σ coeffs[k] · terms[k] for public coefficients: local, on values and shares alike (constants go through addConst). */
export function combine(terms: Lanes[], coeffs: bigint[], ring: Ring): Lanes {
  const n = terms[0].length;
  const out = new BigUint64Array(n);
  terms.forEach((pw, k) => {
    const c = coeffs[k] & ring.mask;
    for (let i = 0; i < n; i++) out[i] = (out[i] + c * pw[i]) & ring.mask;
  });
  return out;
}
