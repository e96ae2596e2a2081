// Permute+Share from share translation (Chase–Ghosh–Poburinnaya, Asiacrypt 2020), one block of T = n rows.
//
// The helper holds an n × n matrix of pseudorandom rows X[j][i] = G(leaf i of GGM tree j) (expand.ts's G); the
// permuter, whose permutation puts input row src[j] at output position j, learns every entry but X[j][src[j]]
// through tree j punctured at src[j] (ggm.ts; ⌈log2 n⌉ random OTs per tree). With a_i = Σ_j X[j][i] and
// b_j = Σ_i X[j][i], the permuter computes Δ_j = a_{src[j]} − b_j from its own entries: the one it lacks occurs in
// both sums and cancels. Online the helper sends x_H − a, the permuter takes x_P[src[j]] + (x_H − a)[src[j]] + Δ_j
// = x[src[j]] − b_j, and the helper b_j. That is n·w·ℓ bits where the switching network sends S(n)·w·ℓ, for
// n²·w lanes of PRG per party. x_H − a is uniform to the permuter (every column holds one entry it lacks), and the
// helper sees only random-OT traffic.
import type { Ring } from "../core/ring.js";
import type { Party, Role } from "../mpc/party.js";
import { getBit, packedLength, setBit } from "../core/bits.js";
import { sub } from "../core/kernels.js";
import { lanesBytes, packLanes, unpackLanes } from "../core/lanes.js";
import { wasm } from "../core/wasm.js";
import { kernelBlocks } from "../core/mpc-kernels.js";
import { ProtocolError } from "../net/errors.js";
import { expandHash } from "./expand.js";
import { ggmExpand, ggmPunctured } from "./ggm.js";

/** Levels of each tree: enough leaves for n rows. */
export function translationDepth(n: number): number {
  return Math.max(1, Math.ceil(Math.log2(n)));
}

/**
 * Input-independent set-up, both parties at the same point: the leaves of n trees of 2^depth leaves (16 bytes each;
 * the permuter's leaf src[j] of tree j is zero). `src` is the permuter's.
 */
export async function translationLeaves(p: Party, n: number, permuter: Role, src?: Uint32Array): Promise<Uint8Array> {
  const depth = translationDepth(n);
  const ots = n * depth;
  const backend = p.prg.backend;
  if (p.role === permuter) {
    if (!src || src.length !== n) throw new RangeError(`translationLeaves: the permuter needs src of ${n} rows`);
    // Level h's OT takes the sum of the side off the path: one minus the path's bit there.
    const choices = new Uint8Array(packedLength(ots));
    for (let j = 0; j < n; j++) for (let h = 0; h < depth; h++) setBit(choices, j * depth + h, 1 - ((src[j] >>> (depth - 1 - h)) & 1));
    const keys = await p.ot.rotRecv(choices, ots);
    const sums = await p.ch.recv("prune.translate");
    if (sums.length !== 32 * ots) throw new ProtocolError(`prune.translate: expected ${32 * ots} bytes of level sums, got ${sums.length}`);
    const offPath = new Uint8Array(16 * ots);
    for (let o = 0; o < ots; o++) {
      const c = getBit(choices, o);
      for (let q = 0; q < 16; q++) offPath[16 * o + q] = sums[32 * o + 16 * c + q] ^ keys[16 * o + q];
    }
    return ggmPunctured(src, offPath, depth, backend);
  }
  const { leaves, sums } = ggmExpand(p.prg.bytes(16 * n), n, depth, backend);
  const { m0, m1 } = await p.ot.rotSend(ots);
  for (let o = 0; o < ots; o++) {
    for (let q = 0; q < 16; q++) {
      sums[32 * o + q] ^= m0[16 * o + q];
      sums[32 * o + 16 + q] ^= m1[16 * o + q];
    }
  }
  p.ch.send("prune.translate", sums);
  return leaves;
}

interface TranslateKernels {
  keyedBlocks(dst: number, keys: number, count: number, perKey: number): void;
  pruneAccumulate(col: number, sum: number, x: number, n: number, w: number, stride: number): void;
}

/**
 * The matrix's column sums (n × w: a, or the permuter's sums without its missing entries) and row sums (n × w: b,
 * or likewise), mod 2^l. The permuter passes src, whose entries X[j][src[j]] it zeroes. G runs here in kernel
 * memory, tree by tree, as expand.ts's expandKeys computes it (reduced mod 2^l only once summed).
 */
function matrixSums(leaves: Uint8Array, n: number, w: number, ring: Ring, p: Party, src?: Uint32Array): { cols: BigUint64Array; rows: BigUint64Array } {
  const width = 2 ** translationDepth(n);
  const perKey = Math.ceil(w / 2);
  const stride = 2 * perKey;
  const hash = expandHash(p.prg.backend); // keyed before any kernel view is taken: keying may grow the memory
  const k = wasm();
  const kernels = k.k as unknown as TranslateKernels;
  const blocks = 16 * n * perKey;
  const scratch = kernelBlocks([16 * n, blocks, blocks, 8 * n * w, 8 * n * w]);
  const [keys, inputs, x, cols, rows] = scratch.ptrs;
  try {
    k.u8(cols, 8 * n * w).fill(0);
    k.u8(rows, 8 * n * w).fill(0);
    for (let j = 0; j < n; j++) {
      k.u8(keys, 16 * n).set(leaves.subarray(16 * j * width, 16 * (j * width + n)));
      kernels.keyedBlocks(inputs, keys, n, perKey);
      hash.hashBlocks(k.u8(inputs, blocks), k.u8(x, blocks));
      if (src) k.u8(x + 16 * perKey * src[j], 8 * w).fill(0);
      kernels.pruneAccumulate(cols, rows + 8 * j * w, x, n, w, stride);
    }
    const mask = ring.mask;
    return { cols: k.u64(cols, n * w).map((v) => v & mask), rows: k.u64(rows, n * w).map((v) => v & mask) };
  } finally {
    scratch.free();
  }
}

/** Shares of the rows (n × w lanes) with output j holding input row src[j]; the permuter passes src. */
export async function translateShares(p: Party, leaves: Uint8Array, permuter: Role, rows: BigUint64Array, n: number, w: number, ring: Ring, src?: Uint32Array): Promise<BigUint64Array> {
  const l = ring.bits;
  const mask = ring.mask;
  const { cols, rows: rowSums } = matrixSums(leaves, n, w, ring, p, p.role === permuter ? src : undefined);
  if (p.role !== permuter) {
    p.ch.send("prune.permute", packLanes(sub(rows, cols, l), n * w, l));
    return rowSums;
  }
  const bytes = await p.ch.recv("prune.permute");
  if (bytes.length !== lanesBytes(n * w, l)) throw new ProtocolError(`prune.permute: expected ${lanesBytes(n * w, l)} bytes of masked rows, got ${bytes.length}`);
  const masked = unpackLanes(bytes, n * w, l, new BigUint64Array(n * w));
  const out = new BigUint64Array(n * w);
  for (let j = 0; j < n; j++) {
    const from = src![j] * w;
    for (let t = 0; t < w; t++) out[j * w + t] = (rows[from + t] + masked[from + t] + cols[from + t] - rowSums[j * w + t]) & mask;
  }
  return out;
}
