// The primal-LPN local linear code of Ferret: output i of a round gets XORed with LPN_D = 10 blocks of the k-block
// LPN secret (the round's first k base COTs) at public pseudo-random positions, drawn with replacement and not
// de-duplicated. The positions come from AES under a public 16-byte seed, in counter mode over a counter that is a
// function of (round, tree), so any range of trees can be encoded in any order (and on any thread):
//   block j of tree `tree` of round `round` = AES_seed([j, tree, round, LPN_DOMAIN] as little-endian u32 words),
//   index m of leaf i = word 10·i + m of the tree's blocks (little-endian u32), masked with k − 1.
// A tree of 2^d leaves uses 10·2^d words = 2.5·2^d AES blocks: more AES than the tree itself, so the receiver,
// which needs the words twice (to predict its choice bits, then to encode), keeps the predicted batches' words in
// kernel memory until their encode (`keep`).
// The counters, the gather and the choice-bit gather run in the WASM kernels (assembly/ferret.ts) in kernel memory:
// the secret is copied in once per round (`setSecret`); outputs already in kernel memory are encoded in place.
// `lpnGather` and `lpnBits` are the plain twins.
import type { Aes } from "../../core/aes.js";
import { wasm } from "../../core/wasm.js";
import { KernelScratch } from "../../core/scratch.js";
import { LPN_D } from "./params.js";

/** Word 3 of every counter block: "LPN\0" in ASCII, little-endian. */
export const LPN_DOMAIN = 0x004e504c;

/** Index words kept for encodes ahead: at most this many bytes (≈ 800k outputs at 40 bytes each). */
const KEEP_BYTES = 32 << 20;

interface Kept {
  round: number;
  first: number;
  trees: number;
  buf: KernelScratch;
}

/** The index stream of trees [firstTree, firstTree + trees) of a round, and the encoder over it. */
export class LpnEncoder {
  readonly mask: number;
  private readonly wordsPerTree: number;
  /** Kernel memory: the secret, counters, index words of the batch at hand, and outputs passed from outside it. */
  private readonly kSecret = new KernelScratch();
  private readonly kCtr = new KernelScratch();
  private readonly kIdx = new KernelScratch();
  private readonly kOut = new KernelScratch();
  private secretBytes = 0;
  /** Index words computed ahead by `keep`, oldest first, and spare buffers for them. */
  private readonly kept: Kept[] = [];
  private readonly pool: KernelScratch[] = [];
  private keptBytes = 0;
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

  /** The raw index words (before masking) of the trees, 10·2^d per tree (a new array; exported for tests). */
  indexWords(round: number, firstTree: number, trees: number): Uint32Array {
    const bytes = this.idxBytes(trees);
    this.kIdx.reserve(bytes);
    this.wordsInto(round, firstTree, trees, this.kIdx);
    return new Uint32Array(this.kIdx.view(bytes).slice().buffer);
  }

  private idxBytes(trees: number): number {
    return 4 * this.wordsPerTree * trees;
  }

  /** Fills `buf` (reserved to the trees' size) with their index words, through the counter kernel and one AES pass. */
  private wordsInto(round: number, firstTree: number, trees: number, buf: KernelScratch): void {
    const bytes = this.idxBytes(trees);
    this.kCtr.reserve(bytes);
    const ctr = this.kCtr.view(bytes);
    wasm().k.ferretCounters(ctr.byteOffset, firstTree, trees, round, this.wordsPerTree >>> 2, LPN_DOMAIN);
    this.aes.encryptBlocks(ctr, buf.view(bytes));
  }

  /** Reserves the kernel memory an encode of `trees` trees uses, so that views taken after it stay attached. */
  reserve(trees: number): void {
    this.kCtr.reserve(this.idxBytes(trees));
    this.kIdx.reserve(this.idxBytes(trees));
  }

  /**
   * The index words of trees [firstTree, firstTree + trees) of `round`, also kept for their `encode` (which must
   * come in the same order as the `keep`s) while under KEEP_BYTES: a pointer into kernel memory, valid until the
   * next call on this encoder.
   */
  keep(round: number, firstTree: number, trees: number): number {
    const bytes = this.idxBytes(trees);
    if (this.keptBytes + bytes > KEEP_BYTES) {
      this.kIdx.reserve(bytes);
      this.wordsInto(round, firstTree, trees, this.kIdx);
      return this.kIdx.view(0).byteOffset;
    }
    const buf = this.pool.pop() ?? new KernelScratch();
    buf.reserve(bytes);
    this.wordsInto(round, firstTree, trees, buf);
    this.kept.push({ round, first: firstTree, trees, buf });
    this.keptBytes += bytes;
    return buf.view(0).byteOffset;
  }

  /** Drops the oldest kept batch, its buffer back to the pool (its contents stay until the next `keep`). */
  private release(): void {
    const head = this.kept.shift()!;
    this.keptBytes -= this.idxBytes(head.trees);
    this.pool.push(head.buf);
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
   * the one last given to `setSecret` when the kernel is used). With the kernel, `out` in kernel memory is encoded
   * in place; call `reserve(trees)` before taking its view.
   */
  encode(round: number, firstTree: number, trees: number, secret: Uint32Array, out: Uint32Array): void {
    const outputs = trees << this.depth;
    if (!this.useKernel) {
      lpnGather(out, secret, this.indexWords(round, firstTree, trees), outputs, this.mask);
      return;
    }
    if (this.secretBytes !== 4 * secret.length) throw new Error("LpnEncoder.encode: call setSecret with this round's secret first");
    const w = wasm();
    const inPlace = w.owns(out);
    if (!inPlace) this.kOut.reserve(16 * outputs);
    // A kept batch is used once, in order; one not kept (past KEEP_BYTES) is computed here. Batches kept after their
    // encode began (the predictor reached them while the receiver awaited their corrections) are dropped unused.
    while (this.kept.length > 0 && (this.kept[0].round < round || (this.kept[0].round === round && this.kept[0].first < firstTree))) this.release();
    const head = this.kept[0];
    let idx: number;
    if (head !== undefined && head.round === round && head.first === firstTree && head.trees === trees) {
      this.release();
      idx = head.buf.view(0).byteOffset;
    } else {
      this.reserve(trees);
      this.wordsInto(round, firstTree, trees, this.kIdx);
      idx = this.kIdx.view(0).byteOffset;
    }
    const secretPtr = this.kSecret.view(0).byteOffset;
    if (inPlace) {
      w.k.ferretLpnGather(out.byteOffset, secretPtr, idx, outputs, this.mask);
      return;
    }
    const kOut = this.kOut.view(16 * outputs);
    new Uint32Array(kOut.buffer, kOut.byteOffset, 4 * outputs).set(out.subarray(0, 4 * outputs));
    w.k.ferretLpnGather(kOut.byteOffset, secretPtr, idx, outputs, this.mask);
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

/** The gather on bits (twin of the ferretLpnBits kernel): bit i of out = ⊕_m bit idx[10i + m] & mask of `bits`. */
export function lpnBits(out: Uint8Array, bits: Uint8Array, idx: Uint32Array, outputs: number, mask: number): void {
  out.fill(0, 0, (outputs + 7) >>> 3);
  for (let i = 0, p = 0; i < outputs; i++) {
    let c = 0;
    for (let m = 0; m < LPN_D; m++, p++) {
      const j = idx[p] & mask;
      c ^= bits[j >>> 3] >>> (j & 7);
    }
    out[i >>> 3] |= (c & 1) << (i & 7);
  }
}
