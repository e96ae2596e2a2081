// Softmax over the rows of a rows × cols matrix: subtract the row max (a tree of comparisons), exp (≤ 0 by then), row
// sums, one reciprocal per row, and each row scaled by its reciprocal (a per-row product, about l² bits per element).
// The probabilities stay shared: the pruning score is a local column mean of them.
import type { Ring } from "../core/ring.js";
import { broadcastRows, fixedConst, rowSum, sub, type Fx, type Lanes } from "./engine.js";
import { exp, expApprox } from "./exp.js";
import { reciprocal, reciprocalApprox } from "./reciprocal.js";
import type { Degree } from "./gelu.js";

export interface SoftmaxOptions {
  degree?: Degree;
  /**
   * Public per-row flags (rows lanes, 1 = low degree): the flagged rows take the low-degree exp and reciprocal, the
   * others `degree`. One row max serves both groups, so mixing adds the rounds of one exp and one reciprocal only.
   */
  lowRows?: Uint8Array;
  /**
   * Penalty lanes (rows·cols) subtracted from the scores: 0 for keys to attend to and `PAD_PENALTY` for padding
   * (`paddingMask`). In the protocol they are shares (the client, who knows its padding, shares them).
   */
  mask?: Lanes;
}

/** A penalty that sends a masked score to probability 0 (added before the row max). */
export const PAD_PENALTY = 64;

/** Float softmax of one row (masked entries −∞). */
export function softmaxFloat(row: number[], mask?: number[]): number[] {
  const vals = row.map((v, i) => (mask && !mask[i] ? -Infinity : v));
  const m = Math.max(...vals);
  const e = vals.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** The float form each degree implements for one row. */
export function softmaxApprox(row: number[], degree: Degree, mask?: number[]): number[] {
  const vals = row.map((v, i) => (mask && !mask[i] ? v - PAD_PENALTY : v));
  const m = Math.max(...vals);
  const e = vals.map((v) => expApprox(v - m, degree));
  const inv = reciprocalApprox(e.reduce((a, b) => a + b, 0), degree);
  return e.map((v) => v * inv);
}

/** Row-wise softmax of fixed-point scores (|score| < 2^(l−s−3) after masking); exact twin of the protocol. */
export async function softmax(E: Fx, x: Lanes, rows: number, cols: number, ring: Ring, opts: SoftmaxOptions = {}): Promise<Lanes> {
  const degree = opts.degree ?? "high";
  const low = opts.lowRows;
  if (x.length !== rows * cols) throw new RangeError(`softmax: x has ${x.length} lanes, expected rows·cols = ${rows * cols}`);
  if (opts.mask && opts.mask.length !== x.length) throw new RangeError(`softmax: mask has ${opts.mask.length} lanes, expected ${x.length}`);
  if (low && (!(low instanceof Uint8Array) || low.length !== rows || low.some((f) => f > 1))) throw new RangeError(`softmax: lowRows must be ${rows} flags of 0 or 1`);
  // Rows flagged low under a low default need no split.
  const mixed = low !== undefined && degree !== "low" && low.includes(1);
  return E.scope(`softmax.${mixed ? "mixed" : degree}`, async () => {
    const scores = opts.mask ? sub(x, opts.mask, ring) : x;
    const max = await E.rowMax(scores, rows, cols, ring);
    const shifted = sub(scores, broadcastRows(max, rows, cols), ring);
    if (!mixed) return normalize(E, shifted, rows, cols, ring, degree);
    const out = new BigUint64Array(x.length);
    for (const [d, flag] of [[degree, 0], ["low", 1]] as const) {
      const picked = [...low.keys()].filter((r) => low[r] === flag);
      if (picked.length === 0) continue;
      const part = new BigUint64Array(picked.length * cols);
      picked.forEach((r, i) => part.set(shifted.subarray(r * cols, (r + 1) * cols), i * cols));
      const y = await E.scope(`softmax.${d}`, () => normalize(E, part, picked.length, cols, ring, d));
      picked.forEach((r, i) => out.set(y.subarray(i * cols, (i + 1) * cols), r * cols));
    }
    return out;
  });
}

/**
 * Extra fraction bits of the high form's e^x. At the ring's scale its table entries' rounding, shared by every key in
 * a cell, drifts a sum of 128 keys by up to ~3e-3. Output at s + 4 (tables at s + 2, exp's truncation as at s):
 * within 6e-4 of the float softmax, for about 9 % more bytes on BERT-base's attention.
 */
const FINE_EXP = 4;

/** exp of rows already shifted by their max (≤ 0), each scaled by the reciprocal of its sum. */
async function normalize(E: Fx, shifted: Lanes, rows: number, cols: number, ring: Ring, degree: Degree): Promise<Lanes> {
  const s = ring.scale;
  const q = s + (degree === "high" ? FINE_EXP : 0);
  const e = await exp(E, shifted, ring, { degree, scale: q });
  // Each row sum is ≥ e^0 ≈ 1 (≥ 0.97 in the low form) and ≤ cols·1.001.
  const hi = q + Math.ceil(Math.log2(cols)) + 1;
  const inv = await reciprocal(E, rowSum(e, rows, cols, ring), ring, { lo: q - 1, hi, degree, inScale: q });
  // e·(1/sum) is at scale q + s, below 2^(q + s + 1): exp's ring bound (l ≥ 2s + 8) keeps it clear of the sign bit.
  // Rounded to nearest, as exp's product is.
  return E.trunc(E.addConst(await E.mulRows(e, inv, rows, cols, ring), 1n << BigInt(q - 1), ring), q, ring, "nonneg");
}

/** Mask lanes for a key-padding mask (1 = attend) repeated over `rows` query rows, as public values. */
export function paddingMask(keyMask: ArrayLike<number>, rows: number, ring: Ring): Lanes {
  const cols = keyMask.length;
  const pen = fixedConst(PAD_PENALTY, ring);
  const out = new BigUint64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = keyMask[c] ? 0n : pen;
  return out;
}
