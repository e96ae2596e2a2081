// The Half-Tree correlated GGM tree (Guo et al., EUROCRYPT 2023) for single-point COT, batched over many trees.
// Blocks are 16 bytes, handled as 4 little-endian u32 words.
//   H(x) = π(σ(x)) ⊕ σ(x), π a fixed-key AES (public key: the session's salted AES), σ the linear orthomorphism
//   σ(lo ‖ hi) = hi ‖ (lo ⊕ hi) on the 64-bit halves (σ and σ ⊕ id are both invertible).
//   Sender, per tree: level 1 = (s, s ⊕ Δ) for a random root s; every node p of level ℓ < d has children
//   left = H(p), right = p ⊕ left. So every level XORs to Δ, and K0_ℓ (the XOR of the level's left children) is
//   the only secret per level: the right children XOR to K0_ℓ ⊕ Δ.
//   With one base COT per level (sender q_ℓ, receiver t_ℓ = q_ℓ ⊕ b_ℓ·Δ) the sender sends c_ℓ = q_ℓ ⊕ K0_ℓ and
//   the receiver gets t_ℓ ⊕ c_ℓ = K^{b_ℓ}_ℓ: the XOR of the level's nodes on side b_ℓ, i.e. the sibling of its path.
//   The punctured path is α_ℓ = ¬b_ℓ, MSB first; leaf index α = Σ α_ℓ·2^(d−ℓ) (natural order).
//   The receiver rebuilds every node off the path (it expands its junk path node too and overwrites the sibling),
//   and its punctured leaf is the XOR of all its other leaves, = v_α ⊕ Δ since the leaves XOR to Δ.
//   Finally every leaf's LSB is cleared and the receiver's punctured leaf gets LSB 1, so that with LSB(Δ) = 1 the
//   receiver's leaf LSB is its noise bit: w = v ⊕ e_α·Δ, LSB(v) = 0.
// Nodes of a tree live in its 2^d-block region; level ℓ occupies blocks [0, 2^ℓ) and is expanded in place.
// The level step runs in the WASM SIMD kernel (assembly/ferret.ts: σ and the combine) on a working copy of the batch
// in kernel memory, copied out once at the end unless the output is that copy (CggmScratch.kernelNodes);
// `useKernel = false` runs the TypeScript twin in place.
import type { Aes } from "../../core/aes.js";
import { wasm } from "../../core/wasm.js";
import { KernelScratch } from "../../core/scratch.js";

/** σ of one block (4 words at `i` of src) into dst at `o`. */
function sigmaAt(src: Uint32Array, i: number, dst: Uint32Array, o: number): void {
  const l0 = src[i], l1 = src[i + 1], h0 = src[i + 2], h1 = src[i + 3];
  dst[o] = h0;
  dst[o + 1] = h1;
  dst[o + 2] = l0 ^ h0;
  dst[o + 3] = l1 ^ h1;
}

/** dst = σ(src), `blocks` blocks (exported for tests and the plain twin). */
export function sigma(src: Uint32Array, dst: Uint32Array, blocks: number): void {
  for (let b = 0, i = 0; b < blocks; b++, i += 4) sigmaAt(src, i, dst, i);
}

/** Reusable buffers of a tree batch: σ of a level's parents and their AES images. */
export class CggmScratch {
  private inBytes = new Uint8Array(0);
  private outBytes = new Uint8Array(0);
  /** Per tree: XOR of the level's left (0) and right (1) children, 8 words. */
  sums = new Uint32Array(0);
  /** False: the TypeScript twin (tests compare the two). */
  useKernel = true;
  private readonly kNodes = new KernelScratch();
  private readonly kSig = new KernelScratch();
  private readonly kEnc = new KernelScratch();
  private readonly kSums = new KernelScratch();

  views(blocks: number, trees: number): { sIn: Uint8Array; sOut: Uint8Array; w: Uint32Array; a: Uint32Array } {
    if (this.inBytes.length < 16 * blocks) {
      this.inBytes = new Uint8Array(16 * blocks);
      this.outBytes = new Uint8Array(16 * blocks);
    }
    if (this.sums.length < 8 * trees) this.sums = new Uint32Array(8 * trees);
    const sIn = this.inBytes.subarray(0, 16 * blocks);
    const sOut = this.outBytes.subarray(0, 16 * blocks);
    return { sIn, sOut, w: new Uint32Array(sIn.buffer, 0, 4 * blocks), a: new Uint32Array(sOut.buffer, 0, 4 * blocks) };
  }

  /** The kernel working copy of `trees` trees of depth d (reserving every kernel buffer first). */
  kernelNodes(trees: number, depth: number): Uint32Array {
    const bytes = (16 * trees) << depth;
    this.kNodes.reserve(bytes);
    this.kSig.reserve(bytes >>> 1);
    this.kEnc.reserve(bytes >>> 1);
    this.kSums.reserve(32 * trees);
    if (this.sums.length < 8 * trees) this.sums = new Uint32Array(8 * trees);
    const v = this.kNodes.view(bytes);
    return new Uint32Array(v.buffer, v.byteOffset, bytes >>> 2);
  }

  /** The kernel level step over `nodes` (a view from `kernelNodes`). */
  kernelLevel(aes: Aes, nodes: Uint32Array, treeWords: number, trees: number, level: number): void {
    const k = wasm().k;
    const parents = 2 ** level;
    const bytes = 16 * parents * trees;
    const sig = this.kSig.view(bytes);
    const enc = this.kEnc.view(bytes);
    const base = nodes.byteOffset;
    for (let b = 0; b < trees; b++) k.ferretSigma(sig.byteOffset + 16 * parents * b, base + 4 * treeWords * b, parents);
    aes.encryptBlocks(sig, enc);
    const sums = this.kSums.view(32 * trees);
    for (let b = 0; b < trees; b++) {
      const o = 16 * parents * b;
      k.ferretCombine(base + 4 * treeWords * b, sig.byteOffset + o, enc.byteOffset + o, parents, sums.byteOffset + 32 * b);
    }
    this.sums.set(new Uint32Array(sums.buffer, sums.byteOffset, 8 * trees));
  }
}

/**
 * Expands level ℓ (2^ℓ nodes per tree) of `trees` trees into level ℓ + 1, in place, with one AES call for the
 * batch; scratch.sums gets each tree's left and right sums of the new level. (The TypeScript twin of the kernel.)
 */
export function expandLevel(aes: Aes, nodes: Uint32Array, treeWords: number, trees: number, level: number, scratch: CggmScratch): void {
  const parents = 2 ** level;
  const { sIn, sOut, w, a } = scratch.views(parents * trees, trees);
  for (let b = 0, o = 0; b < trees; b++) {
    const base = b * treeWords;
    for (let j = 0; j < parents; j++, o += 4) sigmaAt(nodes, base + 4 * j, w, o);
  }
  aes.encryptBlocks(sIn, sOut);
  const sums = scratch.sums;
  for (let b = 0; b < trees; b++) {
    const base = b * treeWords;
    const o0 = b * parents * 4;
    let l0 = 0, l1 = 0, l2 = 0, l3 = 0, r0 = 0, r1 = 0, r2 = 0, r3 = 0;
    // Descending, so each parent is read before its children overwrite it.
    for (let j = parents - 1; j >= 0; j--) {
      const o = o0 + 4 * j;
      const p = base + 4 * j;
      const c = base + 8 * j;
      const x0 = a[o] ^ w[o], x1 = a[o + 1] ^ w[o + 1], x2 = a[o + 2] ^ w[o + 2], x3 = a[o + 3] ^ w[o + 3];
      const y0 = nodes[p] ^ x0, y1 = nodes[p + 1] ^ x1, y2 = nodes[p + 2] ^ x2, y3 = nodes[p + 3] ^ x3;
      nodes[c] = x0;
      nodes[c + 1] = x1;
      nodes[c + 2] = x2;
      nodes[c + 3] = x3;
      nodes[c + 4] = y0;
      nodes[c + 5] = y1;
      nodes[c + 6] = y2;
      nodes[c + 7] = y3;
      l0 ^= x0; l1 ^= x1; l2 ^= x2; l3 ^= x3;
      r0 ^= y0; r1 ^= y1; r2 ^= y2; r3 ^= y3;
    }
    const s = 8 * b;
    sums[s] = l0; sums[s + 1] = l1; sums[s + 2] = l2; sums[s + 3] = l3;
    sums[s + 4] = r0; sums[s + 5] = r1; sums[s + 6] = r2; sums[s + 7] = r3;
  }
}

/** The working nodes of a batch (kernel copy or `out` itself) and the level step on them. */
function workspace(aes: Aes, depth: number, trees: number, out: Uint32Array, scratch: CggmScratch): { nodes: Uint32Array; level: (l: number) => void; done: () => void } {
  const tw = 4 << depth;
  if (!scratch.useKernel) return { nodes: out, level: (l) => expandLevel(aes, out, tw, trees, l, scratch), done: () => {} };
  const nodes = scratch.kernelNodes(trees, depth);
  // `out` may be the working copy itself (a view from kernelNodes): then the leaves are already in place.
  const inPlace = out.buffer === nodes.buffer && out.byteOffset === nodes.byteOffset;
  return { nodes, level: (l) => scratch.kernelLevel(aes, nodes, tw, trees, l), done: () => inPlace || out.set(nodes.subarray(0, trees * tw)) };
}

/**
 * Sender: builds `trees` trees of depth d into `nodes` (tree b at words [b·4·2^d, (b+1)·4·2^d)) from `roots`
 * (one block per tree) and Δ, and writes each tree's level sums K0_1 … K0_d into `k0` (tree-major, d blocks per
 * tree). Leaves are left with their LSB cleared.
 */
export function cggmSend(aes: Aes, depth: number, trees: number, delta: Uint32Array, roots: Uint32Array, out: Uint32Array, k0: Uint32Array, scratch: CggmScratch): void {
  const tw = 4 << depth;
  const { nodes, level: step, done } = workspace(aes, depth, trees, out, scratch);
  for (let b = 0; b < trees; b++) {
    const n = b * tw;
    const s = 4 * depth * b;
    for (let q = 0; q < 4; q++) {
      nodes[n + q] = roots[4 * b + q];
      nodes[n + 4 + q] = roots[4 * b + q] ^ delta[q];
      k0[s + q] = roots[4 * b + q];
    }
  }
  for (let level = 1; level < depth; level++) {
    step(level);
    for (let b = 0; b < trees; b++) {
      const s = 4 * (depth * b + level);
      for (let q = 0; q < 4; q++) k0[s + q] = scratch.sums[8 * b + q];
    }
  }
  clearLsbs(nodes, trees << depth);
  done();
}

/**
 * Receiver: from K^{b_ℓ}_ℓ (`kb`, tree-major, d blocks per tree) and the bits b_ℓ (`bits[tree·d + ℓ − 1]`),
 * rebuilds every tree, writing the punctured leaves (index α, returned per tree) as v_α ⊕ Δ with LSB 1 and every
 * other leaf as the sender's.
 */
export function cggmRecv(aes: Aes, depth: number, trees: number, kb: Uint32Array, bits: Uint8Array, out: Uint32Array, scratch: CggmScratch): Int32Array {
  const tw = 4 << depth;
  const { nodes, level: step, done } = workspace(aes, depth, trees, out, scratch);
  const path = new Int32Array(trees);
  for (let b = 0; b < trees; b++) {
    const n = b * tw;
    const b1 = bits[depth * b];
    const s = 4 * depth * b;
    // Level 1: the node on side b_1 is K^{b_1}_1 itself; the path node (side ¬b_1) is unknown: junk 0.
    for (let q = 0; q < 4; q++) {
      nodes[n + 4 * b1 + q] = kb[s + q];
      nodes[n + 4 * (1 - b1) + q] = 0;
    }
    path[b] = 1 - b1;
  }
  for (let level = 1; level < depth; level++) {
    step(level);
    for (let b = 0; b < trees; b++) {
      const bit = bits[depth * b + level];
      const sib = 4 * (2 * path[b] + bit) + b * tw;
      const ss = 8 * b + 4 * bit;
      const s = 4 * (depth * b + level);
      // The side's sum includes the junk child standing at the sibling's place: xor it out, xor K^b in.
      for (let q = 0; q < 4; q++) nodes[sib + q] = kb[s + q] ^ scratch.sums[ss + q] ^ nodes[sib + q];
      path[b] = 2 * path[b] + 1 - bit;
    }
  }
  for (let b = 0; b < trees; b++) {
    const at = b * tw + 4 * path[b];
    // All leaves, the junk one included: the last level's sums with the sibling's fix, i.e. the other side's sum
    // ⊕ K^b of the last level. Xor the junk out.
    const bit = bits[depth * b + depth - 1];
    const s = 4 * (depth * b + depth - 1);
    const ss = 8 * b + 4 * (1 - bit);
    for (let q = 0; q < 4; q++) nodes[at + q] ^= scratch.sums[ss + q] ^ kb[s + q];
  }
  clearLsbs(nodes, trees << depth);
  for (let b = 0; b < trees; b++) nodes[b * tw + 4 * path[b]] |= 1;
  done();
  return path;
}

function clearLsbs(nodes: Uint32Array, blocks: number): void {
  for (let i = 0, o = 0; i < blocks; i++, o += 4) nodes[o] &= ~1;
}
