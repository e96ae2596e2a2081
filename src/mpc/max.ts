// Row-wise maximum and argmax of shared values by a tournament tree: each level compares disjoint pairs of every
// row with one batched DReLU and keeps the larger with one batched MUX, so ⌈log2 cols⌉ levels in all.
import type { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { drelu } from "./drelu.js";
import { mux } from "./mux.js";
import { getBit, packedLength, setBit } from "../core/bits.js";

function checkShape(x: BigUint64Array, rows: number, cols: number, field: string): void {
  if (!(x instanceof BigUint64Array)) throw new TypeError(`${field}: x must be a BigUint64Array`);
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`${field}: rows must be a non-negative integer, got ${rows}`);
  if (!Number.isInteger(cols) || cols < 1) throw new RangeError(`${field}: cols must be a positive integer, got ${cols}`);
  if (x.length !== rows * cols) throw new RangeError(`${field}: x has ${x.length} values, expected rows·cols = ${rows * cols}`);
}

/** One level of the tree: the left − right differences of every pair, and the next level's values before the MUX. */
interface Level {
  /** diffs[l·pairs + q] = left − right of lane l for pair q. */
  diffs: BigUint64Array;
  /** Per lane: the right element of each pair (the MUX adds the chosen difference to it), then an odd last column. */
  out: BigUint64Array[];
  pairs: number;
}

// The loops live in plain functions: V8 optimises them at once, unlike loops inside async functions.

function split(cur: BigUint64Array[], rows: number, c: number, mask: bigint): Level {
  const half = c >>> 1;
  const next = (c + 1) >>> 1;
  const pairs = rows * half;
  const diffs = new BigUint64Array(cur.length * pairs);
  const out = cur.map(() => new BigUint64Array(rows * next));
  for (let l = 0; l < cur.length; l++) {
    const v = cur[l];
    const o = out[l];
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < half; j++) {
        const right = v[r * c + 2 * j + 1];
        diffs[l * pairs + r * half + j] = (v[r * c + 2 * j] - right) & mask;
        o[r * next + j] = right;
      }
      if (c & 1) o[r * next + half] = v[r * c + c - 1];
    }
  }
  return { diffs, out, pairs };
}

/** The first `pairs` bits of ge repeated once per lane. */
function repeatBits(ge: Uint8Array, pairs: number, lanes: number): Uint8Array {
  const sel = new Uint8Array(packedLength(lanes * pairs));
  for (let l = 0; l < lanes; l++) for (let q = 0; q < pairs; q++) if (getBit(ge, q)) setBit(sel, l * pairs + q, 1);
  return sel;
}

function join(level: Level, picked: BigUint64Array, rows: number, c: number, mask: bigint): BigUint64Array[] {
  const half = c >>> 1;
  const next = (c + 1) >>> 1;
  level.out.forEach((o, l) => {
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < half; j++) o[r * next + j] = (o[r * next + j] + picked[l * level.pairs + r * half + j]) & mask;
    }
  });
  return level.out;
}

/**
 * Runs the tree over `lanes`: lanes[0] holds the compared values, further lanes (same layout) follow the winner.
 * Ties keep the left (lower-index) element. Comparison is exact while the differences stay below 2^(l−1) in absolute value.
 */
async function tournament(p: Party, lanes: BigUint64Array[], rows: number, cols: number, ring: Ring): Promise<BigUint64Array[]> {
  let cur = lanes;
  for (let c = cols; c > 1; c = (c + 1) >>> 1) {
    const level = split(cur, rows, c, ring.mask);
    const ge = await drelu(p, level.diffs.subarray(0, level.pairs), ring);
    // The same selector bit drives every lane: one MUX call for all of them.
    const picked = await mux(p, repeatBits(ge, level.pairs, cur.length), level.diffs, ring);
    cur = join(level, picked, rows, c, ring.mask);
  }
  return cur;
}

/**
 * Shares of the maximum of each row of the row-major rows × cols matrix x (signed values; exact while any two values
 * of a row differ by less than 2^(l−1)).
 */
export async function max(p: Party, x: BigUint64Array, rows: number, cols: number, ring: Ring): Promise<BigUint64Array> {
  checkShape(x, rows, cols, "max");
  return p.scope("max", async () => (await tournament(p, [x], rows, cols, ring))[0]);
}

/**
 * Shares of each row's maximum and (in `ring`) of its column index; ties give the lowest index. The index lane starts as
 * the public column number (server share j, client share 0) and follows the winner through the tree, which costs one
 * extra MUX lane per level and no extra round. Needs cols ≤ 2^(l−1).
 */
export async function argmax(p: Party, x: BigUint64Array, rows: number, cols: number, ring: Ring): Promise<{ index: BigUint64Array; max: BigUint64Array }> {
  checkShape(x, rows, cols, "argmax");
  if (BigInt(cols) > ring.half) throw new RangeError(`argmax: cols = ${cols} does not fit in a signed ${ring.bits}-bit ring`);
  return p.scope("argmax", async () => {
    const index = new BigUint64Array(rows * cols);
    if (p.isServer) for (let i = 0; i < index.length; i++) index[i] = BigInt(i % cols);
    const [m, idx] = await tournament(p, [x, index], rows, cols, ring);
    return { index: idx, max: m };
  });
}
