// tanh (the pooler's activation) as an odd function: sign(x)·T(|x|), with T a polynomial on |x| < cut and 1 outside.
//  - high (BOLT): degree 5 on |x| ≤ 2.855, four secret products (y², y³, y⁴, y⁵). Max error 6.6e-3 in float.
//  - low (ours): degree 3 on |x| < 2.9, two secret products (y², y³). Max error 7.9e-3 in float.
import type { Ring } from "../core/ring.js";
import { mulPublic } from "../mpc/mult.js";
import { fixedConst, sub, type Fx, type Lanes } from "./engine.js";
import { combine, magnitude } from "./magnitude.js";
import type { NonlinearOptions } from "./gelu.js";

/** Coefficients c0 … c_k of T(y) and the cut-off. */
const FORMS = {
  high: { c: [-0.00249209, 1.05424927, -0.1761653, -0.2009364, 0.09948748, -0.01323213], cut: 2.855 },
  low: { c: [-0.0078764539, 1.1507211, -0.44634727, 0.057852704], cut: 2.9 },
};

const EXTRA = 6;

export const tanhFloat = Math.tanh;

/** The float form each degree implements. */
export function tanhApprox(x: number, degree: "high" | "low"): number {
  const { c, cut } = FORMS[degree];
  const y = Math.abs(x);
  const t = y < cut ? c.reduce((acc, ck, k) => acc + ck * y ** k, 0) : 1;
  return x < 0 ? -t : t;
}

/** tanh on fixed-point values (needs l ≥ 2s + 10); exact twin of the protocol for |x| < 2^(l−2). */
export async function tanh(E: Fx, x: Lanes, ring: Ring, opts: NonlinearOptions = {}): Promise<Lanes> {
  const degree = opts.degree ?? "high";
  if (ring.bits < 2 * ring.scale + EXTRA + 4) throw new RangeError(`tanh: needs at least 2·scale + ${EXTRA + 4} ring bits, got ${ring}`);
  const { c, cut } = FORMS[degree];
  const s = ring.scale;
  return E.scope(`tanh.${degree}`, async () => {
    const { nonneg, abs: y } = await magnitude(E, x, ring);
    const inRange = await E.lessThanConst(y, fixedConst(cut, ring), ring);
    // Clipped to [0, cut), every power stays small and non-negative.
    const y1 = await E.mux(inRange, y, ring);
    const y2 = await E.trunc(await E.square(y1, ring), s, ring, "nonneg");
    const y3 = await E.trunc(await E.mul(y2, y1, ring), s, ring, "nonneg");
    const powers = [y1, y2, y3];
    if (degree === "high") {
      const y4 = await E.trunc(await E.square(y2, ring), s, ring, "nonneg");
      powers.push(y4, await E.trunc(await E.mul(y4, y1, ring), s, ring, "nonneg"));
    }
    // Coefficients carry EXTRA more bits than s: y⁵ reaches 190, so rounding them to s bits alone costs 0.01.
    const cs = s + EXTRA;
    const acc = E.addConst(combine(powers, c.slice(1).map((ck) => fixedConst(ck, ring, cs)), ring), fixedConst(c[0], ring, s + cs), ring);
    const poly = await E.trunc(acc, cs, ring);
    // T = inRange ? poly : 1, then sign: x ≥ 0 ? T : −T = 2·mux(x ≥ 0, T) − T.
    const one = fixedConst(1, ring);
    const t = E.addConst(await E.mux(inRange, E.addConst(poly, -one, ring), ring), one, ring);
    return sub(mulPublic(await E.mux(nonneg, t, ring), 2n, ring), t, ring);
  });
}
