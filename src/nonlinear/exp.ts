// e^x for x ≤ 0.
//  - high: range reduction (I-BERT, as BOLT): x = −k·ln2 + p with k = floor(−x/ln2) and p ∈ (−ln2, 0], so
//    e^x = e^p · 2^(−k). 2^(−k) comes from a 32-entry lookup table on k (x is first clipped to ≥ −CLIP, where e^x is
//    below half an ulp at any scale ≤ 14, so k ≤ 21 fits 5 bits); e^p ≈ 0.3585·(p + 1.353)² + 0.344, one secret
//    square. Max relative error 0.31% in float.
//  - low (ours): e^x read from a 256-entry table on cells of 1/32 over [−8, 0) (shifted by half a cell so that x = 0
//    lies inside), 0 below: one segment (the cell and the range test, about a DReLU) and one lookup, no products.
//    Each entry is the midpoint of e^x over its cell: max relative error tanh(1/64) = 1.6% (at scale ≥ 7), and
//    below −8 an absolute error under e^−8 = 3.4e-4.
import { Ring } from "../core/ring.js";
import { mulPublic } from "../mpc/mult.js";
import { add, fixedConst, reduceTo, type Fx, type Lanes } from "./engine.js";
import { combine } from "./magnitude.js";
import type { NonlinearOptions } from "./gelu.js";

const CLIP = 14;
const TABLE_BITS = 5;
const HIGH = { a: 0.3585, b: 1.353, c: 0.344 };
/** The low form's cells of 2^−p (p ≤ 5, and half a cell must be an ulp at least) covering [−2^3, 0). */
function lowCells(scale: number): { p: number; bits: number; h: number } {
  const p = Math.min(5, scale - 2);
  return { p, bits: p + 3, h: 2 ** -p };
}

/** Midpoint of e^x over cell c, which holds x ∈ [(c + ½)·h, (c + 3/2)·h) ∩ (−∞, 0]. */
function lowEntry(c: number, h: number): number {
  const a = (c + 0.5) * h;
  return (Math.exp(a) + Math.exp(Math.min(a + h, 0))) / 2;
}

/** The float form each degree implements (for x ≤ 0; the low form as at scales ≥ 7). */
export function expApprox(x: number, degree: "high" | "low"): number {
  if (degree === "low") {
    const { bits, h } = lowCells(7);
    const c = Math.floor((x - h / 2) / h);
    return c >= -(2 ** bits) ? lowEntry(c, h) : 0;
  }
  const xc = Math.max(x, -CLIP);
  const k = Math.floor(-xc / Math.LN2);
  const p = xc + k * Math.LN2;
  return (HIGH.a * (p + HIGH.b) ** 2 + HIGH.c) * 2 ** -k;
}

/** e^x on fixed-point values x ≤ 0 (ring scale 2 ≤ s ≤ 14; needs l ≥ 2s + 8). Exact twin of the protocol. */
export async function exp(E: Fx, x: Lanes, ring: Ring, opts: NonlinearOptions = {}): Promise<Lanes> {
  const degree = opts.degree ?? "high";
  const s = ring.scale;
  if (s < 2 || s > 14 || ring.bits < 2 * s + 8) throw new RangeError(`exp: needs a ring scale in [2, 14] and at least 2·scale + 8 bits, got ${ring}`);
  return E.scope(`exp.${degree}`, async () => (degree === "high" ? expHigh(E, x, ring) : expLow(E, x, ring)));
}

async function expHigh(E: Fx, x: Lanes, ring: Ring): Promise<Lanes> {
  const s = ring.scale;
  // xc = max(x, −CLIP) = −CLIP + mux(x ≥ −CLIP, x + CLIP).
  const clip = fixedConst(CLIP, ring);
  const shifted = E.addConst(x, clip, ring);
  const inside = E.notBits(await E.lessThanConst(shifted, 0n, ring), x.length);
  const xc = E.addConst(await E.mux(inside, shifted, ring), -clip, ring);
  // k = floor(xc · (−1/ln2)) ≥ 0, read at scale 2s; p = xc + k·ln2 ∈ (−ln2, 0] (up to rounding).
  const k = await E.trunc(mulPublic(xc, fixedConst(-1 / Math.LN2, ring), ring), 2 * s, ring, "nonneg");
  const p = add(xc, mulPublic(k, fixedConst(Math.LN2, ring), ring), ring);
  // From here every value is below 2^(2s+1) and non-negative: the products run in Z_2^(2s+3), where shares are
  // reduced locally and exactly, and only e^x is extended back (Gilboa products cost in proportion to the ring's bits).
  const small = new Ring(Math.min(ring.bits, 2 * s + 3), s);
  const q = reduceTo(E.addConst(p, fixedConst(HIGH.b, ring), ring), small); // q ∈ (0.66, 1.353]
  const q2 = await E.trunc(await E.square(q, small), s, small, "nonneg");
  const ep = await E.trunc(E.addConst(combine([q2], [fixedConst(HIGH.a, small)], small), fixedConst(HIGH.c, small, 2 * s), small), s, small, "nonneg");
  const table = new BigUint64Array(1 << TABLE_BITS);
  for (let j = 0; j < table.length; j++) table[j] = j <= s ? 1n << BigInt(s - j) : 0n;
  const pow = await E.lookup(table, k, TABLE_BITS, small); // 2^(−k) at scale s
  return E.extendNonneg(await E.trunc(await E.mul(ep, pow, small), s, small, "nonneg"), small, ring);
}

async function expLow(E: Fx, x: Lanes, ring: Ring): Promise<Lanes> {
  const s = ring.scale;
  const { p, bits, h } = lowCells(s);
  // Entry j is cell j − 2^bits: the cell index mod 2^bits, for the cells of [−8, 0).
  const table = new BigUint64Array(1 << bits);
  for (let j = 0; j < table.length; j++) table[j] = BigInt(Math.round(lowEntry(j - table.length, h) * 2 ** s));
  // Entries are below 1 (2^s at scale s): s + 2 bits keep the top bit clear for the extension.
  const small = new Ring(s + 2);
  const t = s - p;
  const { cell, inRange } = await E.segment(E.addConst(x, -(1n << BigInt(t - 1)), ring), t, bits + 1, ring);
  const e = await E.mux(inRange, await E.lookup(table, cell, bits, small), small);
  return E.extendNonneg(e, small, ring);
}
