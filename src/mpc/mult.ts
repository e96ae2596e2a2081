// Products over Z_2^l: by public constants (local) and of two shared values by Gilboa-style correlated OTs
// (SCI's hadamard product). Bit i of one party's share selects the other party's share, sent only to l − i bits
// because it is multiplied by 2^i; the COTs are built on random OTs so each one carries exactly its own width.
import type { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { ProtocolError } from "../net/errors.js";

const TWO32 = 4294967296;
/** Random OTs per call: bounds the 16-byte OT messages held at once (64 MiB per message array). */
const MAX_OTS = 1 << 22;

function checkValues(x: BigUint64Array, field: string): void {
  if (!(x instanceof BigUint64Array)) throw new TypeError(`${field}: expected a BigUint64Array`);
}

/** The lanes of a u64 array as little-endian u32 pairs, without copying. */
function words(a: BigUint64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}

/** 16-byte OT messages as u32 words (a copy only if the bytes are not 4-byte aligned). */
function blockWords(b: Uint8Array): Uint32Array {
  const a = b.byteOffset & 3 ? b.slice() : b;
  return new Uint32Array(a.buffer, a.byteOffset, a.length >>> 2);
}

function lowMask(bits: number): number {
  return bits >= 32 ? 0xffffffff : (1 << bits) - 1;
}

/** Values of varying bit widths (≤ 32 per call) packed back to back, least significant bit first. */
class BitStream {
  pos = 0;
  constructor(readonly buf: Uint32Array) {}

  write(v: number, bits: number): void {
    const word = this.pos >>> 5;
    const off = this.pos & 31;
    this.buf[word] |= v << off;
    if (off + bits > 32) this.buf[word + 1] |= v >>> (32 - off);
    this.pos += bits;
  }

  read(bits: number): number {
    const word = this.pos >>> 5;
    const off = this.pos & 31;
    let v = this.buf[word] >>> off;
    if (off + bits > 32) v |= this.buf[word + 1] << (32 - off);
    this.pos += bits;
    return (v & lowMask(bits)) >>> 0;
  }
}

/** Accumulates ±(value << shift) mod 2^64 per lane in two float halves (exact: at most 64 terms of < 2^32 each). */
class Accumulator {
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  constructor(n: number) {
    this.lo = new Float64Array(n);
    this.hi = new Float64Array(n);
  }

  add(e: number, lo: number, hi: number, shift: number, sign: number): void {
    let l: number;
    let h: number;
    if (shift === 0) {
      l = lo;
      h = hi;
    } else if (shift < 32) {
      l = (lo << shift) >>> 0;
      h = ((hi << shift) | (lo >>> (32 - shift))) >>> 0;
    } else {
      l = 0;
      h = (lo << (shift - 32)) >>> 0;
    }
    this.lo[e] += sign * l;
    this.hi[e] += sign * h;
  }

  /** The lanes reduced mod 2^l. */
  toRing(ring: Ring): BigUint64Array {
    const n = this.lo.length;
    const out = new BigUint64Array(n);
    const w = words(out);
    for (let e = 0; e < n; e++) {
      const carry = Math.floor(this.lo[e] / TWO32);
      w[2 * e] = this.lo[e] - carry * TWO32;
      w[2 * e + 1] = ((this.hi[e] + carry) % TWO32) + TWO32;
    }
    return ring.reduceArray(out);
  }
}

/** Bit positions and total payload bits of a cross term over n lanes; position i carries l − shift − i bits. */
function layout(n: number, ring: Ring, shift: number): { positions: number; bits: number } {
  const positions = ring.bits - shift;
  return { positions, bits: (n * positions * (positions + 1)) / 2 };
}

/** Lanes per OT call so that one call stays within MAX_OTS random OTs. */
function chunkLanes(ring: Ring): number {
  return Math.max(1, Math.floor(MAX_OTS / ring.bits));
}

/**
 * Sender side of a cross term: returns this party's share of 2^shift · x_peer · y, where the peer holds x_peer and
 * chooses with its bits. Per random OT (m0, m1) it sends t = m0 + y − m1 mod 2^w and keeps −m0·2^(i+shift).
 */
async function crossSend(p: Party, y: BigUint64Array, ring: Ring, shift: number, tag: string): Promise<BigUint64Array> {
  const n = y.length;
  const { positions, bits } = layout(n, ring, shift);
  if (n * positions === 0) return new BigUint64Array(n);
  const { m0, m1 } = await p.ot.rotSend(n * positions);
  const a = blockWords(m0);
  const b = blockWords(m1);
  const d = words(y);
  const stream = new BitStream(new Uint32Array(Math.ceil(bits / 32) + 1));
  const acc = new Accumulator(n);
  for (let i = 0; i < positions; i++) {
    const width = positions - i;
    const wLo = Math.min(width, 32);
    const wHi = width - wLo;
    const mLo = lowMask(wLo);
    const mHi = lowMask(wHi);
    for (let e = 0, k = i * n * 4; e < n; e++, k += 4) {
      const sum = a[k] + d[2 * e] - b[k];
      const lo = sum >>> 0;
      stream.write(lo & mLo, wLo);
      if (wHi > 0) stream.write((a[k + 1] + d[2 * e + 1] - b[k + 1] + (sum - lo) / TWO32) & mHi, wHi);
      acc.add(e, a[k], a[k + 1], i + shift, -1);
    }
  }
  p.ch.send(tag, new Uint8Array(stream.buf.buffer, 0, Math.ceil(bits / 8)));
  return acc.toRing(ring);
}

/** Receiver side of a cross term: chooses with the bits of x and returns its share of 2^shift · x · y_peer. */
async function crossRecv(p: Party, x: BigUint64Array, ring: Ring, shift: number, tag: string): Promise<BigUint64Array> {
  const n = x.length;
  const { positions, bits } = layout(n, ring, shift);
  if (n * positions === 0) return new BigUint64Array(n);
  const xw = words(x);
  const choices = new Uint8Array(Math.ceil((n * positions) / 8));
  for (let i = 0, k = 0; i < positions; i++) {
    const word = i >>> 5;
    const bit = i & 31;
    for (let e = 0; e < n; e++, k++) choices[k >>> 3] |= ((xw[2 * e + word] >>> bit) & 1) << (k & 7);
  }
  const mb = blockWords(await p.ot.rotRecv(choices, n * positions));
  const payload = await p.ch.recv(tag);
  const bytes = Math.ceil(bits / 8);
  if (payload.length !== bytes) throw new ProtocolError(`${tag}: expected ${bytes} bytes, got ${payload.length}`);
  const padded = new Uint8Array(Math.ceil(bits / 32) * 4 + 4);
  padded.set(payload);
  const stream = new BitStream(new Uint32Array(padded.buffer));
  const acc = new Accumulator(n);
  for (let i = 0, k = 0; i < positions; i++) {
    const width = positions - i;
    const wLo = Math.min(width, 32);
    const wHi = width - wLo;
    for (let e = 0; e < n; e++, k++) {
      const tLo = stream.read(wLo);
      const tHi = wHi > 0 ? stream.read(wHi) : 0;
      const q = 4 * k;
      if ((choices[k >>> 3] >>> (k & 7)) & 1) {
        const sum = tLo + mb[q];
        acc.add(e, sum >>> 0, (tHi + mb[q + 1] + (sum >= TWO32 ? 1 : 0)) >>> 0, i + shift, 1);
      } else {
        acc.add(e, mb[q], mb[q + 1], i + shift, 1);
      }
    }
  }
  return acc.toRing(ring);
}

/** Runs `fn` on consecutive slices of at most `size` lanes of the given arrays and concatenates the results. */
async function chunked(arrays: BigUint64Array[], size: number, fn: (parts: BigUint64Array[]) => Promise<BigUint64Array>): Promise<BigUint64Array> {
  const n = arrays[0].length;
  if (n <= size) return fn(arrays);
  const out = new BigUint64Array(n);
  for (let start = 0; start < n; start += size) {
    out.set(await fn(arrays.map((a) => a.subarray(start, start + size))), start);
  }
  return out;
}

/** x · c mod 2^l, locally, for a public scalar or a public vector c (same length as x). */
export function mulPublic(x: BigUint64Array, c: bigint | BigUint64Array, ring: Ring): BigUint64Array {
  checkValues(x, "mulPublic: x");
  const mask = ring.mask;
  const out = new BigUint64Array(x.length);
  if (typeof c === "bigint") {
    const cm = c & mask;
    for (let i = 0; i < x.length; i++) out[i] = (x[i] * cm) & mask;
    return out;
  }
  checkValues(c, "mulPublic: c");
  if (c.length !== x.length) throw new RangeError(`mulPublic: c has length ${c.length}, x has length ${x.length}`);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] * c[i]) & mask;
  return out;
}

/**
 * Shares of x · y mod 2^l, elementwise. The cross terms x_s·y_c and x_c·y_s are one batch of Gilboa COTs in each
 * direction, run concurrently: 2·l·(128 + (l + 1)/2) bits per product, two rounds.
 */
export async function mult(p: Party, x: BigUint64Array, y: BigUint64Array, ring: Ring): Promise<BigUint64Array> {
  checkValues(x, "mult: x");
  checkValues(y, "mult: y");
  if (x.length !== y.length) throw new RangeError(`mult: x and y differ in length (${x.length} and ${y.length})`);
  return p.scope("mult", () =>
    chunked([x, y], chunkLanes(ring), async ([xs, ys]) => {
      const [sent, got] = await Promise.all([crossSend(p, ys, ring, 0, "mult.cross"), crossRecv(p, xs, ring, 0, "mult.cross")]);
      const mask = ring.mask;
      for (let i = 0; i < xs.length; i++) sent[i] = (sent[i] + got[i] + xs[i] * ys[i]) & mask;
      return sent;
    }),
  );
}

/** Shares of x² mod 2^l: x_s² + x_c² locally and one cross term 2·x_s·x_c (the server chooses): half of `mult`. */
export async function square(p: Party, x: BigUint64Array, ring: Ring): Promise<BigUint64Array> {
  checkValues(x, "square: x");
  return p.scope("square", () =>
    chunked([x], chunkLanes(ring), async ([xs]) => {
      const cross = p.isServer ? await crossRecv(p, xs, ring, 1, "square.cross") : await crossSend(p, xs, ring, 1, "square.cross");
      const mask = ring.mask;
      for (let i = 0; i < xs.length; i++) cross[i] = (cross[i] + xs[i] * xs[i]) & mask;
      return cross;
    }),
  );
}
