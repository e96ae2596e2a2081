// The primal-LPN local linear code of Ferret: output i of a round gets XORed with LPN_D = 10 blocks of the k-block
// LPN secret (the round's first k base COTs) at public pseudo-random positions, drawn with replacement and not
// de-duplicated. The positions come from AES under a public 16-byte seed, in counter mode over a counter that is a
// function of (round, tree), so any range of trees can be encoded in any order (and on any thread):
//   block j of tree `tree` of round `round` = AES_seed([j, tree, round, LPN_DOMAIN] as little-endian u32 words),
//   index m of leaf i = word 10·i + m of the tree's blocks (little-endian u32), masked with k − 1.
// A tree of 2^d leaves uses 10·2^d words = 2.5·2^d AES blocks.
// The gather runs in the WASM SIMD kernel (assembly/ferret.ts) on copies in kernel memory: the secret is copied in
// once per round (`setSecret`), each batch's outputs in and out (16 bytes per output); `lpnGather` is its plain twin.
import type { Aes } from "../../core/aes.js";
import { wasm } from "../../core/wasm.js";
import { KernelScratch } from "../../core/scratch.js";
import { LPN_D } from "./params.js";

/** Word 3 of every counter block: "LPN\0" in ASCII, little-endian. */
export const LPN_DOMAIN = 0x004e504c;

/** The index stream of trees [firstTree, firstTree + trees) of a round, and the encoder over it. */
export class LpnEncoder {
  private ctr = new Uint8Array(0);
  private idx = new Uint8Array(0);
  readonly mask: number;
  private readonly wordsPerTree: number;
  /** Kernel memory: the secret, the batch's outputs and its index words. */
  private readonly kSecret = new KernelScratch();
  private readonly kOut = new KernelScratch();
  private readonly kIdx = new KernelScratch();
  private secretBytes = 0;
  /** False: use the TypeScript gather (tests compare the two). */
  useKernel = true;

  /** `aes`: AES under the public LPN seed. k = 2^logk, trees of 2^depth leaves. */
  constructor(
    private readonly aes: Aes,
    logk: number,
    readonly depth: number,
  ) {
    this.mask = 2 ** logk - 1;
    this.wordsPerTree = LPN_D << depth;
  }

  /** The raw index words (before masking) of the trees, 10·2^d per tree (exported for tests). */
  indexWords(round: number, firstTree: number, trees: number): Uint32Array {
    const ctr = this.counters(round, firstTree, trees);
    this.aes.encryptBlocks(ctr, this.idx.subarray(0, ctr.length));
    return new Uint32Array(this.idx.buffer, 0, ctr.length >>> 2);
  }

  /** The counter blocks of the trees (a view of a reused buffer). */
  private counters(round: number, firstTree: number, trees: number): Uint8Array {
    const words = this.wordsPerTree * trees;
    const bytes = 4 * words;
    if (this.ctr.length < bytes) {
      this.ctr = new Uint8Array(bytes);
      this.idx = new Uint8Array(bytes);
    }
    const c = new Uint32Array(this.ctr.buffer, 0, words);
    const blocksPerTree = this.wordsPerTree >>> 2;
    for (let b = 0, o = 0; b < trees; b++) {
      for (let j = 0; j < blocksPerTree; j++, o += 4) {
        c[o] = j;
        c[o + 1] = firstTree + b;
        c[o + 2] = round;
        c[o + 3] = LPN_DOMAIN;
      }
    }
    return this.ctr.subarray(0, bytes);
  }

  /** Copies the round's LPN secret (k blocks) into kernel memory for `encode`. */
  setSecret(secret: Uint32Array): void {
    this.secretBytes = 4 * secret.length;
    this.kSecret.reserve(this.secretBytes);
    const v = this.kSecret.view(this.secretBytes);
    new Uint32Array(v.buffer, v.byteOffset, secret.length).set(secret);
  }

  /**
   * out[i] ^= ⊕_{m < 10} secret[idx(i, m)] for the 2^d·trees leaves of trees [firstTree, firstTree + trees) of
   * `round`, out holding those leaves in order (4 words per block), secret the k-block LPN secret (which must be
   * the one last given to `setSecret` when the kernel is used).
   */
  encode(round: number, firstTree: number, trees: number, secret: Uint32Array, out: Uint32Array): void {
    const outputs = trees << this.depth;
    if (!this.useKernel) {
      lpnGather(out, secret, this.indexWords(round, firstTree, trees), outputs, this.mask);
      return;
    }
    if (this.secretBytes !== 4 * secret.length) throw new Error("LpnEncoder.encode: call setSecret with this round's secret first");
    const w = wasm();
    const idxBytes = 4 * this.wordsPerTree * trees;
    // Reserve everything before taking views: growing the memory detaches views.
    this.kOut.reserve(16 * outputs);
    this.kIdx.reserve(idxBytes);
    const ctr = this.counters(round, firstTree, trees);
    const idx = this.kIdx.view(idxBytes);
    this.aes.encryptBlocks(ctr, idx);
    const kOut = this.kOut.view(16 * outputs);
    new Uint32Array(kOut.buffer, kOut.byteOffset, 4 * outputs).set(out.subarray(0, 4 * outputs));
    w.k.ferretLpnGather(kOut.byteOffset, this.kSecret.view(0).byteOffset, idx.byteOffset, outputs, this.mask);
    out.set(new Uint32Array(kOut.buffer, kOut.byteOffset, 4 * outputs));
  }
}

/** The gather: out block i ^= secret blocks at idx[10i … 10i + 9] & mask. */
export function lpnGather(out: Uint32Array, secret: Uint32Array, idx: Uint32Array, outputs: number, mask: number): void {
  for (let i = 0, o = 0, p = 0; i < outputs; i++, o += 4) {
    let x0 = out[o], x1 = out[o + 1], x2 = out[o + 2], x3 = out[o + 3];
    for (let m = 0; m < LPN_D; m++, p++) {
      const s = 4 * (idx[p] & mask);
      x0 ^= secret[s];
      x1 ^= secret[s + 1];
      x2 ^= secret[s + 2];
      x3 ^= secret[s + 3];
    }
    out[o] = x0;
    out[o + 1] = x1;
    out[o + 2] = x2;
    out[o + 3] = x3;
  }
}
