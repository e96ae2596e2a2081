// Product of two shared matrices: A·B = A_s·B_s + A_c·B_c + A_s·B_c + A_c·B_s. The local terms use the WASM matrix
// kernel; each cross term is a Gilboa product with vector correlations: bit i of A_j[r,t] chooses, by one random OT,
// between two pads for the whole row B_{1−j}[t,:], sent to l − i bits per entry. The pads are the OT messages
// expanded by the fixed-key AES hash. Per cross term: m·k·l OTs (128 bits each) plus m·k·n·l·(l + 1)/2 bits.
import type { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { add, matmul, mul } from "../core/kernels.js";
import { fixedKeyAes, type Aes } from "../core/aes.js";
import { kernelBlocks, mpcKernels } from "../core/mpc-kernels.js";
import { wasm } from "../core/wasm.js";
import { Scratch, words as byteWords } from "../core/scratch.js";
import { blockWords, choiceBits, packedBlock, positions, packInto, recvBytes, words } from "./gilboa.js";

/** Expanded pad values held at once per message array (8 MiB). */
const MAX_VALUES = 1 << 20;

function checkMatrix(a: BigUint64Array, rows: number, cols: number, field: string): void {
  if (!(a instanceof BigUint64Array)) throw new TypeError(`matmulShares: ${field} must be a BigUint64Array`);
  if (a.length !== rows * cols) throw new RangeError(`matmulShares: ${field} has ${a.length} values, expected ${rows}·${cols} = ${rows * cols}`);
}

/** Pad values per OT message: n rounded up to whole 128-bit blocks. */
function stride(n: number): number {
  return 2 * Math.ceil(n / 2);
}

/**
 * Expands each 16-byte OT message m_j into stride(n) u64 values H(m_j ⊕ c), c = 0, 1, …: value v of message j is the
 * u32 pair at words 2·(j·stride(n) + v).
 */
function expand(aes: Aes, msgs: Uint8Array, n: number, scratch: Scratch): Uint32Array {
  const input = tweaked(blockWords(msgs), stride(n) >>> 1, scratch);
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  aes.hashBlocks(bytes, bytes);
  return input;
}

// A public constant of its own, so that the pad expansion never evaluates the OT hash on related inputs.
const EXPANSION_KEY = Uint8Array.from([0x63, 0x69, 0x70, 0x68, 0x65, 0x72, 0x70, 0x72, 0x75, 0x6e, 0x65, 0x2f, 0x6d, 0x6d, 0x2f, 0x31]);
/** The fixed-key permutation of the pad expansion, H(x) = π(x) ⊕ x, on the backend of the party's PRG. */
function expansionAes(p: Party): Aes {
  return fixedKeyAes(EXPANSION_KEY, p.prg.backend);
}

// The loops below live in plain functions: V8 optimises them at once, unlike loops inside async functions.

/** Block (j, c) = message j with its first word xored with the counter c, for c < blocks. */
function tweaked(m: Uint32Array, blocks: number, scratch: Scratch): Uint32Array {
  const count = m.length >>> 2;
  const out = byteWords(scratch.get(count * blocks * 16));
  for (let j = 0, o = 0; j < count; j++) {
    const w0 = m[4 * j];
    const w1 = m[4 * j + 1];
    const w2 = m[4 * j + 2];
    const w3 = m[4 * j + 3];
    for (let c = 0; c < blocks; c++, o += 4) {
      out[o] = w0 ^ c;
      out[o + 1] = w1;
      out[o + 2] = w2;
      out[o + 3] = w3;
    }
  }
  return out;
}

/** The bytes of u32 words, for copying into kernel memory. */
function bytesOf(w: Uint32Array): Uint8Array {
  return new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
}

/**
 * Sender of the cross term A_peer·B: returns its share, −Σ 2^i·pad0 per output entry. With `perLane`, every product
 * A[r, j]·B[j, :] is its own output row (m = 1: the rows of B scaled by the entries of A, unsummed). The pads of
 * each position are expanded from the OT messages where the OT left them into kernel memory, where the sums stay.
 */
async function crossSend(p: Party, B: BigUint64Array, m: number, k: number, n: number, ring: Ring, tag: string, perLane = false): Promise<BigUint64Array> {
  const lanes = m * k;
  const pos = positions(lanes * n, ring, 0);
  const rot = await p.ot.rotSendBlocks(lanes * pos.length);
  const [s0, s1] = p.matmulPads;
  const aes = expansionAes(p);
  const block = 16 * lanes;
  const vs = stride(n);
  const outLanes = (perLane ? lanes : m) * n;
  const kern = mpcKernels();
  const w = wasm();
  const blocks = kernelBlocks([8 * outLanes, 8 * lanes * n, 8 * lanes * vs, 8 * lanes * vs, 8 * k * n, packedBlock(lanes * n, pos[0].width)]);
  const [acc, t, x0k, x1k, bk, packed] = blocks.ptrs;
  try {
    w.u64(acc, outLanes).fill(0n);
    w.u64(bk, k * n).set(B);
    let frame: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < pos.length; i++) {
      // Pads are expanded one bit position at a time (memory stays at lanes·n values per message array), and no await
      // interrupts the loop, so all frames leave in one flight.
      w.u8(x0k, 8 * lanes * vs).set(bytesOf(expand(aes, w.u8(rot.m0 + i * block, block), n, s0)));
      w.u8(x1k, 8 * lanes * vs).set(bytesOf(expand(aes, w.u8(rot.m1 + i * block, block), n, s1)));
      kern.gilboaRowsSend(acc, t, x0k, x1k, bk, m, k, n, vs, pos[i].shift, perLane ? 1 : 0);
      kern.packBitLanes(packed, t, lanes * n, pos[i].width);
      frame = packInto(frame, pos[i], w.u8(packed, pos[i].bytes), p, tag);
    }
    kern.ringNeg(acc, acc, outLanes, ring.bits);
    return w.u64(acc, outLanes).slice();
  } finally {
    blocks.free();
    rot.free();
  }
}

/** Receiver of the cross term A·B_peer: chooses with the bits of A and returns its share (`perLane` as crossSend). */
async function crossRecv(p: Party, A: BigUint64Array, m: number, k: number, n: number, ring: Ring, tag: string, perLane = false): Promise<BigUint64Array> {
  const lanes = m * k;
  const pos = positions(lanes * n, ring, 0);
  const choices = choiceBits(words(A), lanes, pos.length);
  const rot = await p.ot.rotRecvBlocks(choices, lanes * pos.length);
  const aes = expansionAes(p);
  const vs = stride(n);
  const outLanes = (perLane ? lanes : m) * n;
  const kern = mpcKernels();
  const w = wasm();
  // Kernel blocks stay valid across the awaits below; views are taken afresh after each.
  const blocks = kernelBlocks([8 * outLanes, choices.length, 8 * lanes * vs, packedBlock(lanes * n, pos[0].width)]);
  const [acc, ch, xbk, packed] = blocks.ptrs;
  try {
    w.u64(acc, outLanes).fill(0n);
    w.u8(ch, choices.length).set(choices);
    let frame: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < pos.length; i++) {
      if (pos[i].offset === 0) frame = await recvBytes(p, tag, pos[i].frameBytes);
      w.u8(packed, pos[i].bytes).set(frame.subarray(pos[i].offset, pos[i].offset + pos[i].bytes));
      w.u8(xbk, 8 * lanes * vs).set(bytesOf(expand(aes, w.u8(rot.m + 16 * i * lanes, 16 * lanes), n, p.matmulPads[2])));
      kern.gilboaRowsRecv(acc, xbk, ch, i * lanes, packed, lanes, perLane ? 1 : k, n, vs, pos[i].shift, pos[i].width);
    }
    kern.ringReduce(acc, acc, outLanes, ring.bits);
    return w.u64(acc, outLanes).slice();
  } finally {
    blocks.free();
    rot.free();
  }
}

/** out + a + b mod 2^l, in place in out (a is overwritten). */
function addShares(out: BigUint64Array, a: BigUint64Array, b: BigUint64Array, bits: number): void {
  add(out, add(a, b, bits, a), bits, out);
}

/** Shares of A·B mod 2^l for shared row-major A (m×k) and B (k×n); returns C row-major (m×n). Two rounds per chunk of rows. */
export async function matmulShares(p: Party, A: BigUint64Array, B: BigUint64Array, m: number, k: number, n: number, ring: Ring): Promise<BigUint64Array> {
  for (const [name, v] of [["m", m], ["k", k], ["n", n]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`matmulShares: ${name} must be a non-negative integer, got ${v}`);
  }
  checkMatrix(A, m, k, "A");
  checkMatrix(B, k, n, "B");
  return p.scope("matmul", async () => {
    const out = matmul(A, B, m, k, n, ring.bits);
    if (m * k * n === 0) return out;
    const rows = Math.max(1, Math.floor(MAX_VALUES / (k * stride(n))));
    for (let r0 = 0; r0 < m; r0 += rows) {
      const r1 = Math.min(m, r0 + rows);
      const part = A.subarray(r0 * k, r1 * k);
      const [sent, got] = await Promise.all([
        crossSend(p, B, r1 - r0, k, n, ring, "matmul.cross"),
        crossRecv(p, part, r1 - r0, k, n, ring, "matmul.cross"),
      ]);
      addShares(out.subarray(r0 * n, r1 * n), sent, got, ring.bits);
    }
    return out;
  });
}

/** out + x[r, c]·v[r] mod 2^l per lane, in place in out (the local term of each party). */
function scaleLocal(out: BigUint64Array, x: BigUint64Array, v: BigUint64Array, n: number, bits: number): BigUint64Array {
  const spread = new BigUint64Array(x.length);
  for (let r = 0; r < v.length; r++) spread.fill(v[r], r * n, (r + 1) * n);
  return add(out, mul(x, spread, bits, spread), bits, out);
}

/**
 * Shares of x[r, c]·v[r] for a shared rows × cols matrix x and a shared vector v of one value per row (LayerNorm's and
 * softmax's per-row factors). Each party chooses with the bits of its own v share, once per row and bit, between
 * pads for the whole row of the other's x: per cross term rows·l OTs plus rows·cols·l·(l + 1)/2 bits, so about
 * l·(l + 1) bits per element against 2·l·(128 + (l + 1)/2) for an elementwise product. Two rounds per chunk of rows.
 */
export async function scaleRows(p: Party, x: BigUint64Array, v: BigUint64Array, rows: number, cols: number, ring: Ring): Promise<BigUint64Array> {
  for (const [name, w] of [["rows", rows], ["cols", cols]] as const) {
    if (!Number.isSafeInteger(w) || w < 0) throw new RangeError(`scaleRows: ${name} must be a non-negative integer, got ${w}`);
  }
  if (!(x instanceof BigUint64Array) || x.length !== rows * cols) throw new RangeError(`scaleRows: x must be a BigUint64Array of rows·cols = ${rows * cols} values`);
  if (!(v instanceof BigUint64Array) || v.length !== rows) throw new RangeError(`scaleRows: v must be a BigUint64Array of rows = ${rows} values`);
  return p.scope("scaleRows", async () => {
    const out = new BigUint64Array(rows * cols);
    if (rows * cols === 0) return out;
    const chunk = Math.max(1, Math.floor(MAX_VALUES / stride(cols)));
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      const r1 = Math.min(rows, r0 + chunk);
      const xs = x.subarray(r0 * cols, r1 * cols);
      const [sent, got] = await Promise.all([
        crossSend(p, xs, 1, r1 - r0, cols, ring, "scaleRows.cross", true),
        crossRecv(p, v.subarray(r0, r1), 1, r1 - r0, cols, ring, "scaleRows.cross", true),
      ]);
      addShares(out.subarray(r0 * cols, r1 * cols), sent, got, ring.bits);
    }
    return scaleLocal(out, x, v, cols, ring.bits);
  });
}
