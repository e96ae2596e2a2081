// Products over Z_2^l: by public constants (local) and of two shared values by Gilboa-style correlated OTs
// (SCI's hadamard product). Bit i of one party's share selects the other party's share, sent only to l − i bits
// because it is multiplied by 2^i; the COTs are built on random OTs so each one carries exactly its own width.
import type { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { checkShares } from "./extend.js";
import { add, mul } from "../core/kernels.js";
import { kernelBlocks, mpcKernels } from "../core/mpc-kernels.js";
import { wasm } from "../core/wasm.js";
import type { RotRecvBlocks } from "../ot/index.js";
import { choiceBits, packedBlock, positions, packInto, recvBytes, words } from "./gilboa.js";

/** Random OTs per call: bounds the 16-byte OT messages held at once (64 MiB per message array). */
const MAX_OTS = 1 << 22;

/** Lanes per OT call so that one call stays within MAX_OTS random OTs. */
function chunkLanes(ring: Ring): number {
  return Math.max(1, Math.floor(MAX_OTS / ring.bits));
}

/**
 * Sender side of a cross term: returns this party's share of 2^shift · x_peer · y, where the peer holds x_peer and
 * chooses with its bits. Per random OT (m0, m1) at position i it sends t = m0 + y − m1 mod 2^w and keeps −m0·2^(i+shift).
 * The positions run in the kernel on the OT messages where the OT left them, the sums staying there.
 */
async function crossSend(p: Party, y: BigUint64Array, ring: Ring, shift: number, tag: string): Promise<BigUint64Array> {
  const n = y.length;
  const pos = positions(n, ring, shift);
  if (n * pos.length === 0) return new BigUint64Array(n);
  const rot = await p.ot.rotSendBlocks(n * pos.length);
  const k = mpcKernels();
  const w = wasm();
  const blocks = kernelBlocks([8 * n, 8 * n, 8 * n, packedBlock(n, pos[0].width)]);
  const [acc, t, yk, packed] = blocks.ptrs;
  try {
    w.u64(acc, n).fill(0n);
    w.u64(yk, n).set(y);
    let frame: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < pos.length; i++) {
      k.gilboaSend(acc, t, rot.m0 + 16 * i * n, rot.m1 + 16 * i * n, yk, n, pos[i].shift);
      k.packBitLanes(packed, t, n, pos[i].width);
      frame = packInto(frame, pos[i], w.u8(packed, pos[i].bytes), p, tag);
    }
    k.ringNeg(acc, acc, n, ring.bits);
    return w.u64(acc, n).slice();
  } finally {
    blocks.free();
    rot.free();
  }
}

/** Receiver side of a cross term: chooses with the bits of x and returns its share of 2^shift · x · y_peer. */
async function crossRecv(p: Party, x: BigUint64Array, ring: Ring, shift: number, tag: string): Promise<BigUint64Array> {
  const n = x.length;
  const pos = positions(n, ring, shift);
  if (n * pos.length === 0) return new BigUint64Array(n);
  const k = mpcKernels();
  const w = wasm();
  const choiceBytes = Math.ceil((n * pos.length) / 8);
  // Kernel blocks stay valid across the awaits below; views are taken afresh after each.
  const blocks = kernelBlocks([8 * n, choiceBytes, packedBlock(n, pos[0].width)]);
  const [acc, choices, packed] = blocks.ptrs;
  let rot: RotRecvBlocks | undefined;
  try {
    const chosen = choiceBits(words(x), n, pos.length);
    w.u8(choices, choiceBytes).set(chosen);
    rot = await p.ot.rotRecvBlocks(chosen, n * pos.length);
    w.u64(acc, n).fill(0n);
    let frame: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < pos.length; i++) {
      if (pos[i].offset === 0) frame = await recvBytes(p, tag, pos[i].frameBytes);
      w.u8(packed, pos[i].bytes).set(frame.subarray(pos[i].offset, pos[i].offset + pos[i].bytes));
      k.gilboaRecv(acc, rot.m + 16 * i * n, choices, i * n, packed, n, pos[i].shift, pos[i].width);
    }
    k.ringReduce(acc, acc, n, ring.bits);
    return w.u64(acc, n).slice();
  } finally {
    blocks.free();
    rot?.free();
  }
}

/** acc + other + x·y mod 2^l per lane, in place in acc, by the ring kernels. */
function addProducts(acc: BigUint64Array, other: BigUint64Array | undefined, x: BigUint64Array, y: BigUint64Array, bits: number): BigUint64Array {
  if (other) add(acc, other, bits, acc);
  return add(acc, mul(x, y, bits), bits, acc);
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
      return addProducts(sent, got, xs, ys, ring.bits);
    }),
  );
}

/** Shares of x² mod 2^l: x_s² + x_c² locally and one cross term 2·x_s·x_c (the server chooses): half of `mult`. */
export async function square(p: Party, x: BigUint64Array, ring: Ring): Promise<BigUint64Array> {
  checkShares(x, "square: x");
  return p.scope("square", () =>
    chunked([x], chunkLanes(ring), async ([xs]) => {
      const cross = p.isServer ? await crossRecv(p, xs, ring, 1, "square.cross") : await crossSend(p, xs, ring, 1, "square.cross");
      return addProducts(cross, undefined, xs, xs, ring.bits);
    }),
  );
}
