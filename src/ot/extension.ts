// The IKNP matrix step shared by 1-of-2 OT extension (128 columns) and the KKRT/KKOT 1-of-N extension
// (256 columns). The extension receiver holds both seeds of every base OT and the sender one seed per column,
// chosen by its secret s. Per batch of m OTs (m a multiple of 128):
//   receiver: t_j = G(k0_j), u_j = t_j ⊕ G(k1_j) ⊕ d_j       (d_j: column j of the receiver's input matrix)
//   sender:   q_j = G(k^{s_j}_j) ⊕ s_j·u_j = t_j ⊕ s_j·d_j
// and the 128 × m blocks are transposed so that row i is the i-th OT's 16-byte share: q^i = t^i ⊕ (d^i ∧ s).
// Only the first n bits of each u_j travel when a batch holds n < m real OTs, rows back to back, so a batch costs
// exactly width·n bits. The seeded PRGs run on, so no pad is ever used twice.
import type { Prg } from "../core/prg.js";
import { transpose128 } from "../core/transpose.js";
import { KernelScratch, xorKernel } from "../core/scratch.js";

/** OTs per column block of the transposition. */
const BLOCK_BITS = 128;

/** Rounds n up to a multiple of 128. */
export function padded(n: number): number {
  return Math.ceil(n / BLOCK_BITS) * BLOCK_BITS;
}

/** The extension receiver of `width` columns (a multiple of 128). */
export class ExtensionReceiver {
  readonly width: number;
  private readonly matrix = new KernelScratch();
  private readonly out = new KernelScratch();
  private readonly pad = new KernelScratch();

  /** g0[j], g1[j]: PRGs seeded with both keys of base OT j. */
  constructor(
    private readonly g0: Prg[],
    private readonly g1: Prg[],
  ) {
    if (g0.length !== g1.length || g0.length % BLOCK_BITS !== 0) {
      throw new RangeError(`ExtensionReceiver: needs the same multiple of 128 PRGs on both sides, got ${g0.length} and ${g1.length}`);
    }
    this.width = g0.length;
  }

  /** Reserves the kernel memory of a batch of m OTs; callers holding kernel views call it before taking them. */
  reserve(m: number): void {
    reserveBatch(this.matrix, this.out, this.width, m);
    this.pad.reserve(m >>> 3);
  }

  /**
   * One batch of m OTs carrying n ≤ m real ones. `column(j)` is d_j, m/8 bytes in kernel memory. Writes u (width
   * rows of n bits) into `wire` from byte `at` and returns the transposed t: width/128 arrays of m rows of 16 bytes.
   */
  expand(m: number, n: number, column: (j: number) => Uint8Array, wire: Uint8Array, at: number): Uint8Array[] {
    const rowBytes = m >>> 3;
    this.reserve(m);
    const mat = this.matrix.view(this.width * rowBytes);
    const pad = this.pad.view(rowBytes);
    // A full batch's rows are whole bytes; a partial one packs its rows at bit offsets.
    const full = n === m;
    for (let j = 0; j < this.width; j++) {
      const row = mat.subarray(j * rowBytes, (j + 1) * rowBytes);
      this.g0[j].fill(row);
      this.g1[j].fill(pad);
      xorKernel(pad, pad, row);
      xorKernel(pad, pad, column(j));
      if (full) wire.set(pad, at + j * rowBytes);
      else writeBits(wire, 8 * at + j * n, pad, n);
    }
    return transposeBlocks(mat, this.out.view(this.width * rowBytes), this.width, m);
  }
}

/** The extension sender: its secret s (width bits) and one PRG per column. */
export class ExtensionSender {
  readonly width: number;
  private readonly matrix = new KernelScratch();
  private readonly out = new KernelScratch();
  private readonly row = new KernelScratch();

  /** s: width/8 bytes, bit j = s_j; g[j] is seeded with k^{s_j}_j. */
  constructor(
    readonly s: Uint8Array,
    private readonly g: Prg[],
  ) {
    if (g.length % BLOCK_BITS !== 0 || s.length * 8 !== g.length) {
      throw new RangeError(`ExtensionSender: needs a multiple of 128 PRGs and as many bits of s, got ${g.length} and ${s.length * 8}`);
    }
    this.width = g.length;
  }

  /** Reserves the kernel memory of a batch of m OTs; callers holding kernel views call it before taking them. */
  reserve(m: number): void {
    reserveBatch(this.matrix, this.out, this.width, m);
    this.row.reserve(m >>> 3);
  }

  /** The sender's side of `expand`: reads u from `wire` at `at`, returns the transposed q blocks. */
  expand(m: number, n: number, wire: Uint8Array, at: number): Uint8Array[] {
    const rowBytes = m >>> 3;
    this.reserve(m);
    const mat = this.matrix.view(this.width * rowBytes);
    const u = this.row.view(rowBytes);
    u.fill(0);
    const full = n === m;
    for (let j = 0; j < this.width; j++) {
      const row = mat.subarray(j * rowBytes, (j + 1) * rowBytes);
      this.g[j].fill(row);
      if ((this.s[j >>> 3] >>> (j & 7)) & 1) {
        if (full) u.set(wire.subarray(at + j * rowBytes, at + (j + 1) * rowBytes));
        else readBits(wire, 8 * at + j * n, u, n);
        xorKernel(row, row, u);
      }
    }
    return transposeBlocks(mat, this.out.view(this.width * rowBytes), this.width, m);
  }
}

function reserveBatch(matrix: KernelScratch, out: KernelScratch, width: number, m: number): void {
  matrix.reserve(width * (m >>> 3));
  out.reserve(width * (m >>> 3));
}

/**
 * dst bits [bit, bit + n) = src bits [0, n). The bits below `bit` in its byte are kept and the rest of the last
 * byte written is cleared, so rows written in order need no zeroed buffer.
 */
function writeBits(dst: Uint8Array, bit: number, src: Uint8Array, n: number): void {
  const at = bit >>> 3;
  const full = n >>> 3;
  const tail = n & 7 ? src[full] & ((1 << (n & 7)) - 1) : -1;
  const shift = bit & 7;
  if (shift === 0) {
    dst.set(src.subarray(0, full), at);
    if (tail >= 0) dst[at + full] = tail;
    return;
  }
  let carry = dst[at] & ((1 << shift) - 1);
  for (let k = 0; k < full; k++) {
    const v = src[k];
    dst[at + k] = carry | (v << shift);
    carry = v >>> (8 - shift);
  }
  let end = at + full;
  if (tail >= 0) {
    dst[end++] = carry | (tail << shift);
    carry = tail >>> (8 - shift);
  }
  if (end < dst.length) dst[end] = carry;
}

/** dst bytes [0, ⌈n/8⌉) = src bits [bit, bit + n), the bits past n cleared. */
function readBits(src: Uint8Array, bit: number, dst: Uint8Array, n: number): void {
  const at = bit >>> 3;
  const bytes = (n + 7) >>> 3;
  const shift = bit & 7;
  if (shift === 0) dst.set(src.subarray(at, at + bytes));
  else for (let k = 0; k < bytes; k++) dst[k] = (src[at + k] >>> shift) | (((src[at + k + 1] ?? 0) << (8 - shift)) & 0xff);
  if (n & 7) dst[bytes - 1] &= (1 << (n & 7)) - 1;
}

/** Transposes each 128-row block of `mat` into its own m × 16-byte part of `out`. */
function transposeBlocks(mat: Uint8Array, out: Uint8Array, width: number, m: number): Uint8Array[] {
  const blockBytes = BLOCK_BITS * (m >>> 3);
  const blocks: Uint8Array[] = [];
  for (let b = 0; b < width / BLOCK_BITS; b++) {
    const part = out.subarray(b * blockBytes, (b + 1) * blockBytes);
    blocks.push(transpose128(mat.subarray(b * blockBytes, (b + 1) * blockBytes), m, part));
  }
  return blocks;
}
