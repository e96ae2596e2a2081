// AND of XOR-shared bit vectors with bit triples made from 1-of-16 OTs.
//
// A triple is (a, b, c) with c = a ∧ b, each XOR-shared. The server is the OT sender: the client's choice is
// (a_C, b_C) of two triples at once (4 bits, so one 1-of-16 OT yields two triples), and message j carries
// r ⊕ a_S·b_C(j) ⊕ a_C(j)·b_S per triple, the cross terms masked by the server's random r. Then
// c_S = a_S·b_S ⊕ r and c_C = a_C·b_C ⊕ message. Cost: 288 bits per two triples (256 from the client, 16·2
// from the server), plus 4 bits per AND when the triple is used.
import type { Party } from "./party.js";
import { getBit as bit, packedLength } from "../core/bits.js";
import { ProtocolError } from "../net/errors.js";
import { wasm } from "../core/wasm.js";
import { mpcKernels } from "../core/mpc-kernels.js";

/** XOR shares of a ∧ b = c, bit-packed; bit i of each vector belongs to triple i. */
export interface BitTriples {
  a: Uint8Array;
  b: Uint8Array;
  c: Uint8Array;
  /** Number of triples. */
  n: number;
}

/** Messages per 1-of-16 OT and their width in bits. */
export const TRIPLE_N = 16;
export const TRIPLE_BITS = 2;

/** Number of 1-of-16 OTs that yield `m` triples. */
export function tripleOts(m: number): number {
  return (m + 1) >>> 1;
}

/**
 * Server side of triple generation: writes the 16 two-bit messages of each of the `tripleOts(m)` OTs into
 * `msgs32`, packed as `otNSendPacked` takes them (one word per OT), from OT `at`.
 */
export function tripleSend(p: Party, m: number, msgs32: Uint32Array, at: number): BitTriples {
  const len = packedLength(m + 1);
  const a = p.prg.bytes(len);
  const b = p.prg.bytes(len);
  const r = p.prg.bytes(len);
  const c = new Uint8Array(len);
  for (let i = 0; i < len; i++) c[i] = (a[i] & b[i]) ^ r[i];
  tripleMessages(a, b, r, tripleOts(m), msgs32, at);
  return trimTriples(a, b, c, m);
}

/** The 16 messages of each of `ots` triple OTs (bits 2k, 2k + 1 of a, b, r for OT k), into words o on of msgs32. */
function tripleMessages(a: Uint8Array, b: Uint8Array, r: Uint8Array, ots: number, msgs32: Uint32Array, o: number): void {
  const out = new Uint8Array(msgs32.buffer, msgs32.byteOffset + 4 * o, 4 * ots);
  const w = wasm();
  w.lend([out, a, b, r], [out], (pm, pa, pb, pr) => mpcKernels(w).tripleMessages(pm, pa, pb, pr, ots));
}

/** Client side, first half: draws its a, b and writes one choice byte per OT into `choices` from index `at`. */
export function tripleChoose(p: Party, m: number, choices: Uint8Array, at: number): { a: Uint8Array; b: Uint8Array } {
  const len = packedLength(m + 1);
  const a = p.prg.bytes(len);
  const b = p.prg.bytes(len);
  const ots = tripleOts(m);
  for (let k = 0; k < ots; k++) {
    const i0 = 2 * k;
    choices[at + k] = bit(a, i0) | (bit(b, i0) << 1) | (bit(a, i0 + 1) << 2) | (bit(b, i0 + 1) << 3);
  }
  return { a, b };
}

/** Client side, second half: turns the received messages (Uint32Array view, OTs from `at`) into triples. */
export function tripleFinish(ab: { a: Uint8Array; b: Uint8Array }, m: number, recv32: Uint32Array, at: number): BitTriples {
  const { a, b } = ab;
  const c = new Uint8Array(a.length);
  const ots = tripleOts(m);
  for (let k = 0; k < ots; k++) {
    const msg = recv32[2 * (at + k)];
    const i0 = 2 * k;
    const c0 = (bit(a, i0) & bit(b, i0)) ^ (msg & 1);
    const c1 = (bit(a, i0 + 1) & bit(b, i0 + 1)) ^ ((msg >>> 1) & 1);
    c[i0 >>> 3] |= (c0 | (c1 << 1)) << (i0 & 7);
  }
  return trimTriples(a, b, c, m);
}

function trimTriples(a: Uint8Array, b: Uint8Array, c: Uint8Array, m: number): BitTriples {
  const len = packedLength(m);
  return { a: a.subarray(0, len), b: b.subarray(0, len), c: c.subarray(0, len), n: m };
}

/** `m` fresh bit triples (one batch of 1-of-16 OTs; the server sends). */
export async function bitTriples(p: Party, m: number): Promise<BitTriples> {
  if (!Number.isInteger(m) || m < 0) throw new RangeError(`bitTriples: m must be a non-negative integer, got ${m}`);
  const ots = tripleOts(m);
  if (p.isServer) {
    // One word per OT (16 two-bit messages), every one written, so the reused lanes need no clearing.
    const { lanes, release } = p.tripleLanes.take(Math.ceil(ots / 2));
    try {
      const msgs = new Uint32Array(lanes.buffer, lanes.byteOffset, ots);
      const t = tripleSend(p, m, msgs, 0);
      if (ots > 0) await p.ot.otNSendPacked(new Uint8Array(msgs.buffer, msgs.byteOffset, 4 * ots), ots, TRIPLE_N, TRIPLE_BITS);
      return t;
    } finally {
      release();
    }
  }
  const choices = new Uint8Array(ots);
  const ab = tripleChoose(p, m, choices, 0);
  const recv = ots > 0 ? await p.ot.otNRecv(choices, TRIPLE_N, TRIPLE_BITS) : new BigUint64Array(0);
  return tripleFinish(ab, m, new Uint32Array(recv.buffer, recv.byteOffset, recv.length * 2), 0);
}

/**
 * Consumes triples in order. Every AND takes a whole number of bytes of them, so callers pad their vectors to
 * multiples of 8 bits.
 */
export class TriplePool {
  private used = 0;
  constructor(private readonly t: BitTriples) {}

  /** The next `bytes` bytes of a, b and c. */
  take(bytes: number): BitTriples {
    const end = this.used + bytes;
    if (end * 8 > this.t.n + 7) throw new RangeError(`TriplePool: ${bytes * 8} triples requested, ${this.t.n - this.used * 8} left`);
    const s = { a: this.t.a.subarray(this.used, end), b: this.t.b.subarray(this.used, end), c: this.t.c.subarray(this.used, end), n: bytes * 8 };
    this.used = end;
    return s;
  }
}

/**
 * x ∧ y for packed XOR shares of equal byte length, using triples of the same length: both parties open
 * d = x ⊕ a and e = y ⊕ b in one message, then z = c ⊕ d·b ⊕ e·a ⊕ (server only) d·e.
 */
export async function andWithTriples(p: Party, t: BitTriples, x: Uint8Array, y: Uint8Array): Promise<Uint8Array> {
  const len = x.length;
  if (y.length !== len) throw new RangeError(`and: x has ${len} bytes but y has ${y.length}`);
  if (t.a.length < len) throw new RangeError(`and: ${len} bytes of triples needed, ${t.a.length} given`);
  const mine = masked(t, x, y);
  p.ch.send("and.open", mine);
  const theirs = await p.ch.recv("and.open");
  if (theirs.length !== 2 * len) throw new ProtocolError(`and.open: expected ${2 * len} bytes from the peer, got ${theirs.length}`);
  return andShares(t, mine, theirs, p.isServer);
}

// The loops live in plain functions: V8 optimises them at once, unlike loops inside async functions.

/** x ⊕ a followed by y ⊕ b. */
function masked(t: BitTriples, x: Uint8Array, y: Uint8Array): Uint8Array {
  const len = x.length;
  const out = new Uint8Array(2 * len);
  for (let i = 0; i < len; i++) {
    out[i] = x[i] ^ t.a[i];
    out[len + i] = y[i] ^ t.b[i];
  }
  return out;
}

function andShares(t: BitTriples, mine: Uint8Array, theirs: Uint8Array, server: boolean): Uint8Array {
  const len = mine.length >>> 1;
  const z = new Uint8Array(len);
  const s = server ? 0xff : 0;
  for (let i = 0; i < len; i++) {
    const d = mine[i] ^ theirs[i];
    const e = mine[len + i] ^ theirs[len + i];
    z[i] = t.c[i] ^ (d & t.b[i]) ^ (e & t.a[i]) ^ (d & e & s);
  }
  return z;
}

/** XOR shares of x ∧ y for `n` packed XOR-shared bits. One OT batch and one exchange. */
export async function and(p: Party, x: Uint8Array, y: Uint8Array, n: number): Promise<Uint8Array> {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`and: n must be a non-negative integer, got ${n}`);
  const len = packedLength(n);
  if (x.length < len) throw new RangeError(`and: x needs ${len} bytes for ${n} bits, got ${x.length}`);
  if (y.length < len) throw new RangeError(`and: y needs ${len} bytes for ${n} bits, got ${y.length}`);
  return p.scope("and", async () => {
    const t = await bitTriples(p, len * 8);
    const z = await andWithTriples(p, t, x.subarray(0, len), y.subarray(0, len));
    if (n & 7) z[len - 1] &= (1 << (n & 7)) - 1;
    return z;
  });
}
