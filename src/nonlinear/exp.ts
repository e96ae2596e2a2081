// e^x for x ≤ 0, from public tables on the cells of x (found by one segment: the cell and the range test in one
// pass over the bits, about the cost of a DReLU), 0 below the tables' range.
//  - high: two levels, e^x = e^(hi) · e^(lo): cells of 1/4 over [−16, 0) (64 entries, exact at the cell's start) times
//    the midpoint of e^δ over the sub-cell of 1/256 that holds δ = x − hi (64 entries), one secret product in
//    Z_2^(2s+2). Max relative error tanh(1/512) = 0.2% (at scale ≥ 9) plus about 2 ulp of rounding.
//  - low (ours): one level, e^x read from a 256-entry table on cells of 1/32 over [−8, 0), no products. Each entry is
//    the midpoint of e^x over its cell: max relative error tanh(1/64) = 1.6% (at scale ≥ 7), and below −8 an absolute
//    error under e^−8 = 3.4e-4.
// Inputs are shifted by half the finest cell, so that x = 0 lies inside the last cell.
import { Ring } from "../core/ring.js";
import { mulPublic } from "../mpc/mult.js";
import { reduceTo, sub, type Fx, type Lanes } from "./engine.js";
import type { NonlinearOptions } from "./gelu.js";

/** Cells of 2^−p covering 2^range (index bits p + range); p ≤ s − 1, so that half a cell is an ulp at least. */
interface Cells {
  p: number;
  bits: number;
  h: number;
}

function cells(p: number, range: number, scale: number): Cells {
  const q = Math.min(p, scale - 1);
  return { p: q, bits: q + range, h: 2 ** -q };
}

/** The low form's cells of 1/32 on [−8, 0); the high form's cells of 1/4 on [−16, 0) and sub-cells of 1/256 on [0, 1/4). */
const lowCells = (s: number): Cells => cells(5, 3, s);
const highCells = (s: number): Cells => cells(2, 4, s);
const highSubCells = (s: number): Cells => cells(8, -highCells(s).p, s);

/** (e^a + e^b) / 2: the value within tanh((b − a)/2) of e^x, relatively, on [a, b]. */
function midpoint(a: number, b: number): number {
  return (Math.exp(a) + Math.exp(b)) / 2;
}

/** Entry j of the low table: cell j − 2^bits, x ∈ [(c + ½)·h, (c + 3/2)·h) ∩ (−∞, 0]. */
function lowEntry(j: number, g: Cells): number {
  const a = (j - 2 ** g.bits + 0.5) * g.h;
  return midpoint(a, Math.min(a + g.h, 0));
}

/** Entry j of the high form's coarse table: e^x at the start of cell j − 2^bits (inputs are shifted by half a sub-cell). */
function highEntry(j: number, g: Cells, sub: Cells): number {
  return Math.exp((j - 2 ** g.bits) * g.h + sub.h / 2);
}

/** Entry i of the high form's fine table: e^δ over sub-cell i. */
function subEntry(i: number, sub: Cells): number {
  return midpoint(i * sub.h, (i + 1) * sub.h);
}

/** The float form each degree implements (for x ≤ 0), as at scales ≥ 9. */
export function expApprox(x: number, degree: "high" | "low"): number {
  const s = 9;
  if (degree === "low") {
    const g = lowCells(s);
    const j = Math.floor((x - g.h / 2) / g.h) + 2 ** g.bits;
    return j >= 0 ? lowEntry(j, g) : 0;
  }
  const g = highCells(s);
  const sub = highSubCells(s);
  const y = x - sub.h / 2;
  const j = Math.floor(y / g.h) + 2 ** g.bits;
  if (j < 0) return 0;
  const i = Math.floor((y - (j - 2 ** g.bits) * g.h) / sub.h);
  return highEntry(j, g, sub) * subEntry(i, sub);
}

/** A public table of `count` entries at scale s. */
function table(count: number, scale: number, entry: (j: number) => number): BigUint64Array {
  return BigUint64Array.from({ length: count }, (_, j) => BigInt(Math.round(entry(j) * 2 ** scale)));
}

export interface ExpOptions extends NonlinearOptions {
  /**
   * Scale q of the output (default: the ring's scale s; s ≤ q ≤ s + 6). Entries rounded at scale s err by up to half
   * an ulp each, and the same entry serves every input in its cell, so a sum of many e^x (softmax's row sums) drifts
   * by many ulps. The low form's table is at scale q; the high form's two tables at s + ⌈(q − s)/2⌉, each bit there
   * halving the drift, and their product drops 2·that − q bits: s when q − s is even, so that its truncation costs
   * no more than at q = s.
   */
  scale?: number;
}

/** e^x on fixed-point values x ≤ 0 (ring scale 4 ≤ s ≤ 14; needs l ≥ 2s + 8), at scale `opts.scale`. Exact twin of the protocol. */
export async function exp(E: Fx, x: Lanes, ring: Ring, opts: ExpOptions = {}): Promise<Lanes> {
  const degree = opts.degree ?? "high";
  const s = ring.scale;
  const q = opts.scale ?? s;
  if (s < 4 || s > 14 || ring.bits < 2 * s + 8) throw new RangeError(`exp: needs a ring scale in [4, 14] and at least 2·scale + 8 bits, got ${ring}`);
  // q ≤ s + 6 keeps the output ring (q + 2 bits) within l ≥ 2s + 8.
  if (!Number.isInteger(q) || q < s || q > s + 6) throw new RangeError(`exp: scale must be an integer in [${s}, ${s + 6}], got ${opts.scale}`);
  return E.scope(`exp.${degree}`, async () => {
    const fine = degree === "low" ? lowCells(s) : highSubCells(s);
    const coarse = degree === "low" ? fine : highCells(s);
    // Shifted by half the finest cell: x = 0 falls inside the last cell; the cell index mod 2^bits picks the entry.
    const t = s - coarse.p;
    const shifted = E.addConst(x, -(1n << BigInt(s - fine.p - 1)), ring);
    const { cell, inRange } = await E.segment(shifted, t, coarse.bits + 1, ring);
    // Entries are below 1 (2^q at scale q): q + 2 bits keep the top bit clear for the extension.
    const out = new Ring(q + 2);
    let e: Lanes;
    if (degree === "low") {
      e = await E.lookup(table(2 ** coarse.bits, q, (j) => lowEntry(j, coarse)), cell, coarse.bits, out);
    } else {
      // δ = shifted − 2^t·cell ∈ [0, 2^t) on every lane, exactly and locally; its sub-cell is floor(δ / 2^(t − u)).
      const u = fine.bits;
      const deltaRing = new Ring(t + 1);
      const delta = reduceTo(sub(shifted, mulPublic(cell, 1n << BigInt(t), ring), ring), deltaRing);
      const i = await E.trunc(delta, t - u, deltaRing, "nonneg");
      const tq = s + Math.ceil((q - s) / 2);
      const drop = 2 * tq - q;
      const small = new Ring(2 * tq + 2);
      const hi = await E.lookup(table(2 ** coarse.bits, tq, (j) => highEntry(j, coarse, fine)), cell, coarse.bits, small);
      const lo = await E.lookup(table(2 ** u, tq, (j) => subEntry(j, fine)), i, u, small);
      // hi ≤ 2^tq and lo < 1.29·2^tq: the product stays below 2^(2tq+1). Rounded to nearest (half an ulp added before
      // the truncation): a floor would bias every e^x low by half an ulp, and softmax's row sums by half an ulp per key.
      const product = E.addConst(await E.mul(hi, lo, small), 1n << BigInt(drop - 1), small);
      e = reduceTo(await E.trunc(product, drop, small, "nonneg"), out);
    }
    return E.extendNonneg(await E.mux(inRange, e, out), out, ring);
  });
}
