// Products over Z_2^l: by public constants (local) and of two shared values by Gilboa-style correlated OTs
// (SCI's hadamard product). Bit i of one party's share selects the other party's share, sent only to l − i bits
// because it is multiplied by 2^i; the COTs are built on random OTs so each one carries exactly its own width.
import type { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { checkShares } from "./extend.js";
import { packLanes, unpackLanes } from "../core/lanes.js";
import { blockWords, choiceBits, positions, packInto, recvBytes, shlHi, shlLo, toRing, TWO32, words } from "./gilboa.js";

/** Random OTs per call: bounds the 16-byte OT messages held at once (64 MiB per message array). */
const MAX_OTS = 1 << 22;

/**
 * Position with shift `shift` of the sender, for the n random OTs from word q0 of m0 (a) and m1 (b): the pads
 * tw[e] = m0 + y − m1 (mod 2^64, as u32 pairs) and acc += m0 << shift, in one pass over the OT messages.
 */
function senderPass(a: Uint32Array, b: Uint32Array, d: Uint32Array, tw: Uint32Array, accLo: Float64Array, accHi: Float64Array, q0: number, shift: number): void {
  const big = shift >= 32;
  const s = shift & 31;
  for (let e = 0, q = q0; e < accLo.length; e++, q += 4) {
    const a0 = a[q];
    const a1 = a[q + 1];
    const sum = a0 + d[2 * e] - b[q];
    const lo = sum >>> 0;
    tw[2 * e] = lo;
    tw[2 * e + 1] = a1 + d[2 * e + 1] - b[q + 1] + (sum - lo) / TWO32;
    accLo[e] += shlLo(a0, s, big);
    accHi[e] += shlHi(a0, a1, s, big);
  }
}

/**
 * Position with shift `shift` of the receiver, choice bits from bit k0 on: acc += (m_c + c·t) << shift, which is
 * m0 for c = 0 and t + m1 = m0 + y mod 2^width for c = 1.
 */
function receiverPass(mb: Uint32Array, choices: Uint8Array, tw: Uint32Array, accLo: Float64Array, accHi: Float64Array, q0: number, k0: number, shift: number): void {
  const big = shift >= 32;
  const s = shift & 31;
  for (let e = 0, q = q0, k = k0; e < accLo.length; e++, q += 4, k++) {
    const c = (choices[k >>> 3] >>> (k & 7)) & 1;
    const sum = mb[q] + c * tw[2 * e];
    const lo = sum >>> 0;
    const hi = mb[q + 1] + c * tw[2 * e + 1] + (sum - lo) / TWO32;
    accLo[e] += shlLo(lo, s, big);
    accHi[e] += shlHi(lo, hi, s, big);
  }
}

/** Lanes per OT call so that one call stays within MAX_OTS random OTs. */
function chunkLanes(ring: Ring): number {
  return Math.max(1, Math.floor(MAX_OTS / ring.bits));
}

/**
 * Sender side of a cross term: returns this party's share of 2^shift · x_peer · y, where the peer holds x_peer and
 * chooses with its bits. Per random OT (m0, m1) at position i it sends t = m0 + y − m1 mod 2^w and keeps −m0·2^(i+shift).
 */
async function crossSend(p: Party, y: BigUint64Array, ring: Ring, shift: number, tag: string): Promise<BigUint64Array> {
  const n = y.length;
  const pos = positions(n, ring, shift);
  if (n * pos.length === 0) return new BigUint64Array(n);
  const { m0, m1 } = await p.ot.rotSend(n * pos.length);
  const a = blockWords(m0);
  const b = blockWords(m1);
  const d = words(y);
  const t = new BigUint64Array(n);
  const tw = words(t);
  const accLo = new Float64Array(n);
  const accHi = new Float64Array(n);
  let frame: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < pos.length; i++) {
    senderPass(a, b, d, tw, accLo, accHi, 4 * i * n, pos[i].shift);
    frame = packInto(frame, pos[i], packLanes(t, n, pos[i].width), p, tag);
  }
  return toRing(accLo, accHi, -1, ring);
}

/** Receiver side of a cross term: chooses with the bits of x and returns its share of 2^shift · x · y_peer. */
async function crossRecv(p: Party, x: BigUint64Array, ring: Ring, shift: number, tag: string): Promise<BigUint64Array> {
  const n = x.length;
  const pos = positions(n, ring, shift);
  if (n * pos.length === 0) return new BigUint64Array(n);
  const choices = choiceBits(words(x), n, pos.length);
  const mb = blockWords(await p.ot.rotRecv(choices, n * pos.length));
  const t = new BigUint64Array(n);
  const tw = words(t);
  const accLo = new Float64Array(n);
  const accHi = new Float64Array(n);
  let frame: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < pos.length; i++) {
    if (pos[i].offset === 0) frame = await recvBytes(p, tag, pos[i].frameBytes);
    unpackLanes(frame.subarray(pos[i].offset, pos[i].offset + pos[i].bytes), n, pos[i].width, t);
    receiverPass(mb, choices, tw, accLo, accHi, 4 * i * n, i * n, pos[i].shift);
  }
  return toRing(accLo, accHi, 1, ring);
}

/** acc + other + x·y mod 2^l per lane, in place in acc (a plain function, so V8 optimises the loop at once). */
function addProducts(acc: BigUint64Array, other: BigUint64Array | undefined, x: BigUint64Array, y: BigUint64Array, mask: bigint): BigUint64Array {
  if (other) for (let i = 0; i < acc.length; i++) acc[i] += other[i];
  for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] + x[i] * y[i]) & mask;
  return acc;
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
  checkShares(x, "mulPublic: x");
  const mask = ring.mask;
  const out = new BigUint64Array(x.length);
  if (typeof c === "bigint") {
    const cm = c & mask;
    for (let i = 0; i < x.length; i++) out[i] = (x[i] * cm) & mask;
    return out;
  }
  checkShares(c, "mulPublic: c");
  if (c.length !== x.length) throw new RangeError(`mulPublic: c has length ${c.length}, x has length ${x.length}`);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] * c[i]) & mask;
  return out;
}

/**
 * Shares of x · y mod 2^l, elementwise. The cross terms x_s·y_c and x_c·y_s are one batch of Gilboa COTs in each
 * direction, run concurrently: 2·l·(128 + (l + 1)/2) bits per product, two rounds.
 */
export async function mult(p: Party, x: BigUint64Array, y: BigUint64Array, ring: Ring): Promise<BigUint64Array> {
  checkShares(x, "mult: x");
  checkShares(y, "mult: y");
  if (x.length !== y.length) throw new RangeError(`mult: x and y differ in length (${x.length} and ${y.length})`);
  return p.scope("mult", () =>
    chunked([x, y], chunkLanes(ring), async ([xs, ys]) => {
      const [sent, got] = await Promise.all([crossSend(p, ys, ring, 0, "mult.cross"), crossRecv(p, xs, ring, 0, "mult.cross")]);
      return addProducts(sent, got, xs, ys, ring.mask);
    }),
  );
}

/** Shares of x² mod 2^l: x_s² + x_c² locally and one cross term 2·x_s·x_c (the server chooses): half of `mult`. */
export async function square(p: Party, x: BigUint64Array, ring: Ring): Promise<BigUint64Array> {
  checkShares(x, "square: x");
  return p.scope("square", () =>
    chunked([x], chunkLanes(ring), async ([xs]) => {
      const cross = p.isServer ? await crossRecv(p, xs, ring, 1, "square.cross") : await crossSend(p, xs, ring, 1, "square.cross");
      return addProducts(cross, undefined, xs, xs, ring.mask);
    }),
  );
}
