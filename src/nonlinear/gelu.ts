// GELU(x) = x·Φ(x). Both forms use GELU(x) = ReLU(x) + q(|x|) with q(y) = GELU(y) − y = −y·Φ(−y), which is even in x
// and vanishes fast, so a polynomial for q on |x| < r and 0 outside covers the real line.
//  - high (BOLT): q(y) ≈ P4(y) − y/2 on y < 2.7, P4 in BOLT's factored form with two secret products.
//    Max error 9.4e-3 (at the cut-off) in float; fixed point adds about 3 ulp.
//  - low (ours): q(y) ≈ c2·y² + c1·y + c0 on y < 2.2, one secret square. Max error 3.2e-2 in float.
import type { Ring } from "../core/ring.js";
import { mulPublic } from "../mpc/mult.js";
import { add, fixedConst, neg, type Fx, type Lanes } from "./engine.js";
import { combine, magnitude } from "./magnitude.js";

export type Degree = "high" | "low";

export interface NonlinearOptions {
  degree?: Degree;
}

/** BOLT's factored quartic: P4(y) = (z + a·y + d)·z + e with z = (a·y + b)·y + c. */
const BOLT = { a: 0.14439048359960427, b: -0.7077117131613893, c: 4.5702822654246535, d: -8.15444702051307, e: 16.382265425072532, cut: 2.7 };
/** Minimax-weighted fit of q(y) on [0, 2.2]: c0 + c1·y + c2·y². */
export const LOW = { c0: -0.031559976, c1: -0.24028816, c2: 0.11594355, cut: 2.2 };

/** W. J. Cody's rational approximation of erf, |error| < 1e-15 (BERT's GELU is the exact erf form). */
export function erf(x: number): number {
  // Computed via the complementary function for |x| ≥ 0.5 for accuracy.
  const ax = Math.abs(x);
  if (ax < 0.5) {
    const t = x * x;
    const p = [3.16112374387056560e0, 1.13864154151050156e2, 3.77485237685302021e2, 3.20937758913846947e3, 1.85777706184603153e-1];
    const q = [2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3];
    let num = p[4] * t;
    let den = t;
    for (let i = 0; i < 3; i++) {
      num = (num + p[i]) * t;
      den = (den + q[i]) * t;
    }
    return (x * (num + p[3])) / (den + q[3]);
  }
  return x > 0 ? 1 - erfc(ax) : erfc(ax) - 1;
}

function erfc(ax: number): number {
  if (ax >= 27) return 0;
  if (ax < 4) {
    const c = [5.64188496988670089e-1, 8.88314979438837594e0, 6.61191906371416295e1, 2.98635138197400131e2, 8.81952221241769090e2, 1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3, 2.15311535474403846e-8];
    const d = [1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3, 3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3];
    let num = c[8] * ax;
    let den = ax;
    for (let i = 0; i < 7; i++) {
      num = (num + c[i]) * ax;
      den = (den + d[i]) * ax;
    }
    const r = (num + c[7]) / (den + d[7]);
    return r * Math.exp(-ax * ax);
  }
  const p = [3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2];
  const q = [2.56852019228982242e0, 1.87295284992346725e0, 5.27905102951428412e-1, 6.05183413124413191e-2, 2.33520497626869185e-3];
  const z = 1 / (ax * ax);
  let num = p[5] * z;
  let den = z;
  for (let i = 0; i < 4; i++) {
    num = (num + p[i]) * z;
    den = (den + q[i]) * z;
  }
  let r = (z * (num + p[4])) / (den + q[4]);
  r = (1 / Math.sqrt(Math.PI) - r) / ax;
  return r * Math.exp(-ax * ax);
}

/** GELU in float (exact erf form, as BERT). */
export function geluFloat(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** The function each degree approximates, in float (what the fixed-point form converges to as s grows). */
export function geluApprox(x: number, degree: Degree): number {
  const y = Math.abs(x);
  const relu = Math.max(x, 0);
  if (degree === "low") return y < LOW.cut ? relu + LOW.c0 + LOW.c1 * y + LOW.c2 * y * y : relu;
  if (y >= BOLT.cut) return relu;
  const z = (BOLT.a * y + BOLT.b) * y + BOLT.c;
  return relu + (z + BOLT.a * y + BOLT.d) * z + BOLT.e - y / 2;
}

/**
 * GELU on fixed-point values (ring scale s ≥ 2). Exact twin of the protocol for |x| < 2^(l−2) (inputs beyond that
 * are rejected by nothing but give garbage, as in any fixed-point code).
 */
export async function gelu(E: Fx, x: Lanes, ring: Ring, opts: NonlinearOptions = {}): Promise<Lanes> {
  const degree = opts.degree ?? "high";
  const s = ring.scale;
  return E.scope(`gelu.${degree}`, async () => {
    const { relu, abs: y } = await magnitude(E, x, ring);
    let q: Lanes;
    let inRange;
    if (degree === "low") {
      inRange = await E.lessThanConst(y, fixedConst(LOW.cut, ring), ring);
      // Lanes with y ≥ cut are garbage here (y² may wrap) and are discarded by the MUX below.
      const sq = await E.trunc(await E.square(y, ring), s, ring, "nonneg");
      const acc = E.addConst(combine([sq, y], [fixedConst(LOW.c2, ring), fixedConst(LOW.c1, ring)], ring), fixedConst(LOW.c0, ring, 2 * s), ring);
      q = await E.trunc(acc, s, ring);
    } else {
      inRange = await E.lessThanConst(y, fixedConst(BOLT.cut, ring), ring);
      // Clipping y to 0 outside the range keeps every lane in range, so the sign promises below hold everywhere.
      const yc = await E.mux(inRange, y, ring);
      const ay = await E.trunc(mulPublic(yc, fixedConst(BOLT.a, ring), ring), s, ring, "nonneg");
      // a·y + b < 0 on the range, so −(a·y + b)·y ≥ 0.
      const t = await E.trunc(await E.mul(neg(E.addConst(ay, fixedConst(BOLT.b, ring), ring), ring), yc, ring), s, ring, "nonneg");
      const z = E.addConst(neg(t, ring), fixedConst(BOLT.c, ring), ring); // (a·y + b)·y + c > 0
      const w = E.addConst(add(z, ay, ring), fixedConst(BOLT.d, ring), ring); // z + a·y + d < 0
      const prod = await E.mul(neg(w, ring), z, ring); // −w·z > 0, scale 2s
      // q = w·z + e − y/2 at scale 2s, then one truncation.
      const acc = E.addConst(combine([prod, yc], [-1n, -(1n << BigInt(s - 1))], ring), fixedConst(BOLT.e, ring, 2 * s), ring);
      q = await E.trunc(acc, s, ring);
    }
    return add(relu, await E.mux(inRange, q, ring), ring);
  });
}
