// The operations a fixed-point function is written in, with two implementations: `PlainFx` computes on plaintext
// ring elements (the fixed-point twin) and `SecureFx` on secret shares (the two-party protocol). Each function in this
// folder is written once against `Fx`, so the twin computes exactly what the protocol computes: both use the same
// exact truncation (floor), exact products mod 2^l, the same comparisons and the same lookup tables.
import type { Ring } from "../core/ring.js";
import * as kernels from "../core/kernels.js";
import type { Party } from "../mpc/party.js";
import { b2a } from "../mpc/b2a.js";
import { getBit, packedLength } from "../core/bits.js";
import { lessThanPublic } from "../mpc/compare.js";
import { drelu } from "../mpc/drelu.js";
import { lowBits } from "../mpc/extend.js";
import { extendNonneg } from "../mpc/extend-nonneg.js";
import { lut } from "../mpc/lut.js";
import { max } from "../mpc/max.js";
import { scaleRows } from "../mpc/matmul.js";
import { mult, square } from "../mpc/mult.js";
import { mux } from "../mpc/mux.js";
import { checkSegment, segment, type Segment } from "../mpc/segment.js";
import { truncate, truncatedRing, type SignHint } from "../mpc/truncate.js";

/** Ring elements (values or shares) in u64 lanes; bit vectors packed (values or XOR shares). */
export type Lanes = BigUint64Array;
export type Bits = Uint8Array;

export interface Fx {
  /** Runs `fn` in a named counter scope (protocol only). */
  scope<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** x + c for a public constant c, or a public vector c of x's length (the server adds it to its share). */
  addConst(x: Lanes, c: bigint | Lanes, ring: Ring): Lanes;
  /** floor(x / 2^s), x read as signed; `sign` promises the sign of every lane (cheaper when known). */
  trunc(x: Lanes, s: number, ring: Ring, sign?: SignHint): Promise<Lanes>;
  mul(x: Lanes, y: Lanes, ring: Ring): Promise<Lanes>;
  square(x: Lanes, ring: Ring): Promise<Lanes>;
  /** x[r, c]·v[r] for a rows × cols matrix x and one factor per row (far cheaper than `mul` on a broadcast v). */
  mulRows(x: Lanes, v: Lanes, rows: number, cols: number, ring: Ring): Promise<Lanes>;
  /** [x ≥ 0] (signed). */
  drelu(x: Lanes, ring: Ring): Promise<Bits>;
  /** [x < c] for a public c (signed; |x − c| < 2^(l−1)). */
  lessThanConst(x: Lanes, c: bigint, ring: Ring): Promise<Bits>;
  /** sel ? x : 0. */
  mux(sel: Bits, x: Lanes, ring: Ring): Promise<Lanes>;
  /** Arithmetic form of bits, in `ring`. */
  b2a(bits: Bits, n: number, ring: Ring): Promise<Lanes>;
  /** table[x mod 2^m] (the table is public), in `outRing`. */
  lookup(table: Lanes, x: Lanes, m: number, outRing: Ring): Promise<Lanes>;
  /** Row maxima of a rows × cols matrix (signed). */
  rowMax(x: Lanes, rows: number, cols: number, ring: Ring): Promise<Lanes>;
  /** The cell floor(x / 2^t) (in Z_2^(l−t)), [the cell fits in m signed bits] and [x ≥ 0], in one pass. */
  segment(x: Lanes, t: number, m: number, ring: Ring): Promise<Segment>;
  /** The same integer in the larger ring `to`; x must lie in [0, 2^(from.bits−1)) on every lane. */
  extendNonneg(x: Lanes, from: Ring, to: Ring): Promise<Lanes>;
}

// Local operations that are the same on values and on shares. The lane arithmetic runs in the SIMD ring kernels
// (assembly/ring.ts): a BigInt per lane in a TypeScript loop costs far more than copying the lanes in and out.

export function add(x: Lanes, y: Lanes, ring: Ring): Lanes {
  if (x.length !== y.length) throw new RangeError(`add: lengths differ (${x.length} and ${y.length})`);
  return kernels.add(x, y, ring.bits);
}

export function sub(x: Lanes, y: Lanes, ring: Ring): Lanes {
  if (x.length !== y.length) throw new RangeError(`sub: lengths differ (${x.length} and ${y.length})`);
  return kernels.sub(x, y, ring.bits);
}

export function neg(x: Lanes, ring: Ring): Lanes {
  return kernels.neg(x, ring.bits);
}

/** Re-reads lanes of a ring in a smaller one (mod 2^to.bits): local and exact for shares. */
export function reduceTo(x: Lanes, to: Ring): Lanes {
  return lowBits(x, to.bits);
}

/** Each row's value repeated over its `cols` lanes. */
export function broadcastRows(x: Lanes, rows: number, cols: number): Lanes {
  const out = new BigUint64Array(rows * cols);
  for (let r = 0; r < rows; r++) out.fill(x[r], r * cols, (r + 1) * cols);
  return out;
}

/** A vector repeated as each of `rows` rows. */
export function tileRows(v: Lanes, rows: number): Lanes {
  const out = new BigUint64Array(rows * v.length);
  for (let r = 0; r < rows; r++) out.set(v, r * v.length);
  return out;
}

/** Row sums of a rows × cols matrix (mod 2^l). */
export function rowSum(x: Lanes, rows: number, cols: number, ring: Ring): Lanes {
  const out = new BigUint64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0n;
    for (let c = 0; c < cols; c++) s += x[r * cols + c];
    out[r] = s & ring.mask;
  }
  return out;
}

/** x + c mod 2^l; a bigint c of any sign or size gives the same lanes as (x + c) & mask. */
function addPublic(x: Lanes, c: bigint | Lanes, ring: Ring): Lanes {
  if (typeof c === "bigint") return kernels.addScalar(x, c, ring.bits);
  if (c.length !== x.length) throw new RangeError(`addConst: constant vector has length ${c.length}, x has ${x.length}`);
  return kernels.add(x, c, ring.bits);
}

function mapBits(n: number, f: (i: number) => boolean): Bits {
  const out = new Uint8Array(packedLength(n));
  for (let i = 0; i < n; i++) if (f(i)) out[i >>> 3] |= 1 << (i & 7);
  return out;
}

/** The fixed-point twin: the same operations on plaintext ring elements. */
export class PlainFx implements Fx {
  scope<T>(_name: string, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  addConst(x: Lanes, c: bigint | Lanes, ring: Ring): Lanes {
    return addPublic(x, c, ring);
  }

  async trunc(x: Lanes, s: number, ring: Ring): Promise<Lanes> {
    const out = new BigUint64Array(x.length);
    const sh = BigInt(s);
    for (let i = 0; i < x.length; i++) out[i] = (ring.signed(x[i]) >> sh) & ring.mask;
    return out;
  }

  async mul(x: Lanes, y: Lanes, ring: Ring): Promise<Lanes> {
    const out = new BigUint64Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = (x[i] * y[i]) & ring.mask;
    return out;
  }

  square(x: Lanes, ring: Ring): Promise<Lanes> {
    return this.mul(x, x, ring);
  }

  async mulRows(x: Lanes, v: Lanes, rows: number, cols: number, ring: Ring): Promise<Lanes> {
    if (x.length !== rows * cols || v.length !== rows) throw new RangeError(`mulRows: expected ${rows}·${cols} lanes and ${rows} factors, got ${x.length} and ${v.length}`);
    return this.mul(x, broadcastRows(v, rows, cols), ring);
  }

  async drelu(x: Lanes, ring: Ring): Promise<Bits> {
    return mapBits(x.length, (i) => x[i] < ring.half);
  }

  async lessThanConst(x: Lanes, c: bigint, ring: Ring): Promise<Bits> {
    const cs = ring.signed(c & ring.mask);
    return mapBits(x.length, (i) => ring.signed(x[i]) < cs);
  }

  async mux(sel: Bits, x: Lanes): Promise<Lanes> {
    const out = new BigUint64Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = getBit(sel, i) ? x[i] : 0n;
    return out;
  }

  async b2a(bits: Bits, n: number): Promise<Lanes> {
    const out = new BigUint64Array(n);
    for (let i = 0; i < n; i++) out[i] = BigInt(getBit(bits, i));
    return out;
  }

  async lookup(table: Lanes, x: Lanes, m: number, outRing: Ring): Promise<Lanes> {
    const out = new BigUint64Array(x.length);
    const low = (1n << BigInt(m)) - 1n;
    for (let i = 0; i < x.length; i++) out[i] = table[Number(x[i] & low)] & outRing.mask;
    return out;
  }

  async rowMax(x: Lanes, rows: number, cols: number, ring: Ring): Promise<Lanes> {
    const out = new BigUint64Array(rows);
    for (let r = 0; r < rows; r++) {
      let best = ring.signed(x[r * cols]);
      for (let c = 1; c < cols; c++) {
        const v = ring.signed(x[r * cols + c]);
        if (v > best) best = v;
      }
      out[r] = best & ring.mask;
    }
    return out;
  }

  /** The protocol's ring steps on values, so that every lane (in range or not) gets the protocol's bits. */
  async segment(x: Lanes, t: number, m: number, ring: Ring): Promise<Segment> {
    checkSegment(t, m, ring, "segment");
    const cellRing = truncatedRing(ring, t);
    const cell = await this.trunc(x, t, ring).then((c) => reduceTo(c, cellRing));
    const b = BigInt(cellRing.bits - m - 1);
    const M = BigInt(m);
    const low = (1n << b) - 1n;
    const inRange = new Uint8Array(packedLength(x.length));
    const nonneg = new Uint8Array(packedLength(x.length));
    for (let i = 0; i < x.length; i++) {
      const u = (cell[i] + (1n << (M - 1n))) & cellRing.mask;
      const w = ((u >> M) - 1n) & ((1n << (b + 1n)) - 1n);
      const allOnes = (w & low) === low;
      const ge = ((w >> b) === 0n) !== (allOnes && ((u >> (M - 1n)) & 1n) === 1n);
      if (allOnes) inRange[i >>> 3] |= 1 << (i & 7);
      if (ge) nonneg[i >>> 3] |= 1 << (i & 7);
    }
    return { cell, cellRing, inRange, nonneg };
  }

  async extendNonneg(x: Lanes, from: Ring, to: Ring): Promise<Lanes> {
    if (to.bits < from.bits) throw new RangeError(`extendNonneg: to has ${to.bits} bits, fewer than from (${from.bits})`);
    return x.slice();
  }
}

/** The two-party protocol: every operation on shares, through the party's channel and OTs. */
export class SecureFx implements Fx {
  constructor(readonly p: Party) {}

  scope<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.p.scope(name, fn);
  }

  addConst(x: Lanes, c: bigint | Lanes, ring: Ring): Lanes {
    return this.p.isServer ? addPublic(x, c, ring) : x.slice();
  }

  trunc(x: Lanes, s: number, ring: Ring, sign?: SignHint): Promise<Lanes> {
    return truncate(this.p, x, s, ring, { sign });
  }

  mul(x: Lanes, y: Lanes, ring: Ring): Promise<Lanes> {
    return mult(this.p, x, y, ring);
  }

  square(x: Lanes, ring: Ring): Promise<Lanes> {
    return square(this.p, x, ring);
  }

  mulRows(x: Lanes, v: Lanes, rows: number, cols: number, ring: Ring): Promise<Lanes> {
    return scaleRows(this.p, x, v, rows, cols, ring);
  }

  drelu(x: Lanes, ring: Ring): Promise<Bits> {
    return drelu(this.p, x, ring);
  }

  lessThanConst(x: Lanes, c: bigint, ring: Ring): Promise<Bits> {
    return lessThanPublic(this.p, x, c, ring);
  }

  mux(sel: Bits, x: Lanes, ring: Ring): Promise<Lanes> {
    return mux(this.p, sel, x, ring);
  }

  b2a(bits: Bits, n: number, ring: Ring): Promise<Lanes> {
    return b2a(this.p, bits, n, ring);
  }

  lookup(table: Lanes, x: Lanes, m: number, outRing: Ring): Promise<Lanes> {
    return lut(this.p, table, x, m, outRing);
  }

  rowMax(x: Lanes, rows: number, cols: number, ring: Ring): Promise<Lanes> {
    return max(this.p, x, rows, cols, ring);
  }

  segment(x: Lanes, t: number, m: number, ring: Ring): Promise<Segment> {
    return segment(this.p, x, t, m, ring);
  }

  extendNonneg(x: Lanes, from: Ring, to: Ring): Promise<Lanes> {
    return extendNonneg(this.p, x, from, to);
  }
}

/** A real constant at the ring's scale (or at `scale`), rounded to nearest, as a ring element. */
export function fixedConst(v: number, ring: Ring, scale = ring.scale): bigint {
  return BigInt(Math.round(v * 2 ** scale)) & ring.mask;
}
