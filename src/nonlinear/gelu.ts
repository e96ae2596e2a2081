// GELU(x) = x·Φ(x). Both forms use GELU(x) = ReLU(x) + q(|x|) with q(y) = GELU(y) − y = −y·Φ(−y), which is even in x
// and vanishes fast, so q on |x| < 4 and 0 outside covers the real line. q is read from a public table indexed by the
// cell of |x| on a grid of 2^−p (one 1-of-2^(p+2) OT): no secret products at all. The sign of x, the cell and the
// range test [|x| < 4] come from one pass over the bits of x (`Fx.segment`), about the cost of one DReLU.
//  - high: q itself, cells of 1/64. Max error 3.9e-3 (at x → 0, where q has slope −1/2) plus half an ulp.
//  - low (ours): the quadratic c2·y² + c1·y + c0 on y < 2.2 (the form training mixes in, src/train), cells of 1/16.
//    Max error 3.2e-2 in float for the quadratic; the table adds at most 8.6e-3 to that.
// Each cell holds the midpoint of the form's range over the cell, so the table is within half that range of it.
import { Ring } from "../core/ring.js";
import { mulPublic } from "../mpc/mult.js";
import { add, reduceTo, sub, type Fx, type Lanes } from "./engine.js";

export type Degree = "high" | "low";

export interface NonlinearOptions {
  degree?: Degree;
}

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

/** Cell width 2^−p of each form's table (no finer than 2^(1−s) in a ring of scale s); the tables cover |x| < 2^RANGE. */
const CELL_BITS: Record<Degree, number> = { high: 6, low: 4 };
const RANGE = 2;

/** The form each degree tabulates, as q(y) for y = |x| ≥ 0: GELU(x) = ReLU(x) + q(|x|). */
function form(y: number, degree: Degree): number {
  if (degree === "low") return y < LOW.cut ? LOW.c0 + LOW.c1 * y + LOW.c2 * y * y : 0;
  return y < 2 ** RANGE ? geluFloat(y) - y : 0;
}

/** The function each degree approximates, in float (what the table converges to as its cells shrink). */
export function geluApprox(x: number, degree: Degree): number {
  return Math.max(x, 0) + form(Math.abs(x), degree);
}

/** A form's table for one ring: cells of 2^(t−s), `bits`-bit indices, entries in the small ring `out` (plus `offset`, ≥ 0). */
interface Table {
  t: number;
  bits: number;
  entries: BigUint64Array;
  out: Ring;
  offset: bigint;
}

const tables = new Map<string, Table>();

/** Midpoint of q's range over each cell of |x| (sampled at 65 points; q is smooth inside a cell but for the low cut). */
function tableFor(degree: Degree, ring: Ring): Table {
  const key = `${degree}/${ring.scale}`;
  const hit = tables.get(key);
  if (hit) return hit;
  const s = ring.scale;
  if (s < 1) throw new RangeError(`gelu: the ring must have a scale of at least 1, got ${ring}`);
  const p = Math.min(CELL_BITS[degree], s - 1);
  const bits = p + RANGE;
  const h = 2 ** -p;
  const values = Array.from({ length: 2 ** bits }, (_, j) => {
    const ys = Array.from({ length: 65 }, (_, k) => form((j + k / 64) * h, degree));
    return Math.round(((Math.max(...ys) + Math.min(...ys)) / 2) * 2 ** s);
  });
  // The entries (and the 0 that replaces them out of range) shifted to be non-negative, in as few bits as that takes.
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values) - lo;
  const out = new Ring(Math.max(2, Math.ceil(Math.log2(hi + 1)) + 1));
  const table: Table = { t: s - p, bits, entries: BigUint64Array.from(values, (v) => BigInt(v) & out.mask), out, offset: BigInt(-lo) };
  tables.set(key, table);
  return table;
}

/**
 * GELU on fixed-point values (ring scale s ≥ 1, l ≥ s + 5). Exact twin of the protocol for every input; the sign and
 * range tests mean what they say for |x| < 2^(l−2). Cost: one segment, two MUXes in l and p + 2 bits, one lookup,
 * one MUX and one extension from the table's small ring.
 */
export async function gelu(E: Fx, x: Lanes, ring: Ring, opts: NonlinearOptions = {}): Promise<Lanes> {
  const degree = opts.degree ?? "high";
  const { t, bits, entries, out, offset } = tableFor(degree, ring);
  return E.scope(`gelu.${degree}`, async () => {
    const { cell, inRange, nonneg } = await E.segment(x, t, bits + 1, ring);
    const relu = await E.mux(nonneg, x, ring);
    // |x| lies in cell j = cell for x ≥ 0 and in its mirror image −1 − cell for x < 0: j = [x ≥ 0]·(2·cell + 1) − cell − 1.
    const index = new Ring(bits);
    const c = reduceTo(cell, index);
    const j = sub(await E.mux(nonneg, E.addConst(mulPublic(c, 2n, index), 1n, index), index), E.addConst(c, 1n, index), index);
    const q = await E.mux(inRange, await E.lookup(entries, j, bits, out), out);
    const wide = await E.extendNonneg(E.addConst(q, offset, out), out, ring);
    return add(relu, E.addConst(wide, -offset, ring), ring);
  });
}
