// The hash of OT extension: Matyas–Meyer–Oseas on the input xored with a tweak,
//   H(i, x) = π(x ⊕ i) ⊕ x ⊕ i,
// one AES call per 128-bit input, with π = AES under the session salt (so hashes of different sessions are
// independent) and a tweak i that no other hash of the session uses. Semi-honest OT extension needs H to be
// correlation robust: H(x_k ⊕ Δ) pseudorandom for a secret Δ and inputs x_k that are not chosen adversarially (every
// input here is the output of an honest party's PRG or base OTs). With π a random permutation, H(i, x ⊕ Δ) is masked
// by π at a point that holds Δ, which only a query guessing Δ reaches; the tweak keeps equal inputs of different OTs
// apart. This is the hash SCI uses (π(x) ⊕ x, there without a tweak). It is not Guo–Katz–Wang–Yu's tweakable CCR
// hash, whose second call defends against a malicious receiver choosing its inputs: that needs the two-call form
// back (SECURITY.md). The tweak of an OT is a 16-byte block of little-endian words:
//   [index mod 2^32, ⌊index / 2^32⌋, instance, stage]
// where index counts the OTs of its extension instance from 0 (both parties consume them in the same order), the
// instance tells apart the four extensions of a session (0, 1: IKNP with the server or the client as sender; 2, 3:
// 1-of-N likewise; on Ferret 0, 1 are its derandomised COTs and 4, 5 its 1-of-N keys) and the stage the two
// halves of a 256-bit input, or the key (bit j of the choice) of a Ferret 1-of-N. Both messages of an OT share its
// tweak, as in GKWY's OT extension: the receiver knows one of them. 256-bit inputs (the 1-of-N extension) are
// chained, H(i, a ‖ b) = H((i, 1), H((i, 0), a) ⊕ b): a foreign pad's input hides 128 bits of s over its two halves,
// and a guess must get both halves right together (2^128 work) to reach the second call's input.
// A batch of n inputs costs one AES call over all of it and two xor passes (the tweak, made in the kernel, and the
// feed-forward); the 1-of-N sender's pads fuse the codewords, tweaks and chaining of both halves into two passes.
import type { Aes } from "../core/aes.js";
import type { Role } from "../net/channel.js";
import { wasm } from "../core/wasm.js";
import { xorKernel } from "../core/scratch.js";

export type ExtensionKind = "iknp" | "kkot" | "keys";

/** Keys of a Ferret 1-of-N: log2 of the largest N. */
export const KEY_STAGES = 8;

const TWEAK_BYTES = 16;

/** Checks an input or output of `bytes` bytes (default: its own length): whole runs of a batch, in kernel memory. */
function checkRuns(fn: string, field: string, a: Uint8Array, runBytes: number, bytes = a.length): void {
  if (!(a instanceof Uint8Array)) throw new TypeError(`OtHash.${fn}: ${field} must be a Uint8Array`);
  if (a.length !== bytes) throw new RangeError(`OtHash.${fn}: ${field} must be ${bytes} bytes, got ${a.length}`);
  if (bytes === 0 || bytes % runBytes !== 0) {
    throw new RangeError(`OtHash.${fn}: ${field} must hold whole runs of the batch (${runBytes} bytes), got ${bytes} bytes`);
  }
  if (!wasm().owns(a)) throw new RangeError(`OtHash.${fn}: ${field} must lie in kernel memory`);
}

/**
 * The hash of one extension instance of a session: its tweaks number the instance's OTs in the order they are
 * extended. Inputs and outputs lie in kernel memory, where the xor runs.
 */
export class OtHash {
  /** Word 2 of every tweak: kind and sending party of the extension. */
  readonly instance: number;
  private readonly stages: number;
  /** Index of the next OT to be batched. */
  private next = 0;
  /** Index of the current batch's first OT, and its OTs (0 before the first batch). */
  private first = 0;
  private count = 0;

  /** `aes`: π, keyed with the session salt. `sender`: the party that is extension sender in this instance. */
  constructor(
    private readonly aes: Aes,
    kind: ExtensionKind,
    sender: Role,
  ) {
    if (kind !== "iknp" && kind !== "kkot" && kind !== "keys") throw new TypeError(`OtHash: kind must be "iknp", "kkot" or "keys", got ${String(kind)}`);
    if (sender !== "server" && sender !== "client") throw new TypeError(`OtHash: sender must be "server" or "client", got ${String(sender)}`);
    this.instance = { iknp: 0, kkot: 2, keys: 4 }[kind] | (sender === "client" ? 1 : 0);
    this.stages = { iknp: 1, kkot: 2, keys: KEY_STAGES }[kind];
  }

  /** Starts the next batch: the following `count` OTs of the instance. */
  batch(count: number): void {
    this.batchAt(this.next, count);
    this.next += count;
  }

  /** Reserves the indices of the next n OTs, for batches hashed later with `batchAt`; returns the first index. */
  reserve(n: number): number {
    if (!Number.isSafeInteger(n) || n < 0 || !Number.isSafeInteger(this.next + n)) throw new RangeError(`OtHash.reserve: cannot reserve ${n} OTs`);
    const first = this.next;
    this.next += n;
    return first;
  }

  /** Starts a batch of the `count` OTs from index `first` (reserved before), as `batch` does for the next ones. */
  batchAt(first: number, count: number): void {
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`OtHash.batch: count must be a positive integer, got ${count}`);
    if (!Number.isSafeInteger(first + count)) throw new RangeError("OtHash.batch: the OT index would pass 2^53");
    this.first = first;
    this.count = count;
  }

  /** dst = H(i, src) blockwise, src one or more runs of `count` blocks: block k of a run belongs to the batch's OT k. */
  hash(src: Uint8Array, dst: Uint8Array): void {
    const runBytes = this.runBytes("hash");
    checkRuns("hash", "src", src, runBytes);
    checkRuns("hash", "dst", dst, runBytes, src.length);
    this.stage(src, dst, 0);
  }

  /** dst = H(i, a ‖ b) for 256-bit inputs split into 16-byte halves (runs as in `hash`); `a` is overwritten. */
  hashPairs(a: Uint8Array, b: Uint8Array, dst: Uint8Array): void {
    if (this.stages !== 2) throw new Error("OtHash.hashPairs: only the 1-of-N extension hashes 256-bit inputs");
    const runBytes = this.runBytes("hashPairs");
    checkRuns("hashPairs", "a", a, runBytes);
    checkRuns("hashPairs", "b", b, runBytes, a.length);
    checkRuns("hashPairs", "dst", dst, runBytes, a.length);
    this.stage(a, a, 0);
    xorKernel(a, a, b);
    this.stage(a, dst, 1);
  }

  /**
   * The 1-of-N sender's pads of the batch, instance-major: out[i·N + x] = H(i, (qa_i ⊕ a_x) ‖ (qb_i ⊕ b_x)) for
   * x < N, where a_x ‖ b_x = codes[32x, 32x + 32) (the codewords masked by s). `hashPairs` of every x's inputs, with
   * the code, the tweaks and the chaining fused into two kernel passes around the AES calls; `work` (N blocks per
   * OT) is overwritten.
   */
  codedPairs(qa: Uint8Array, qb: Uint8Array, codes: Uint8Array, N: number, work: Uint8Array, out: Uint8Array): void {
    if (this.stages !== 2) throw new Error("OtHash.codedPairs: only the 1-of-N extension hashes 256-bit inputs");
    const runBytes = this.runBytes("codedPairs");
    checkRuns("codedPairs", "qa", qa, runBytes);
    checkRuns("codedPairs", "qb", qb, runBytes);
    checkRuns("codedPairs", "codes", codes, 32, 32 * N);
    checkRuns("codedPairs", "work", work, runBytes, N * runBytes);
    checkRuns("codedPairs", "out", out, runBytes, N * runBytes);
    const [lo, hi] = this.firstWords();
    const k = wasm().k;
    k.codedFirst(work.byteOffset, qa.byteOffset, codes.byteOffset, this.count, N, lo, hi, this.instance);
    this.aes.encryptBlocks(work, out);
    k.codedSecond(work.byteOffset, out.byteOffset, qb.byteOffset, codes.byteOffset, this.count, N, lo, hi, this.instance);
    this.aes.hashBlocks(work, out);
  }

  /** dst = H((i, stage), src) blockwise (runs as in `hash`): the hash of key `stage` of a Ferret 1-of-N. */
  hashStage(src: Uint8Array, dst: Uint8Array, stage: number): void {
    if (this.stages !== KEY_STAGES) throw new Error("OtHash.hashStage: only a Ferret 1-of-N hashes by key");
    if (!Number.isInteger(stage) || stage < 0 || stage >= KEY_STAGES) throw new RangeError(`OtHash.hashStage: stage must be an integer in [0, ${KEY_STAGES}), got ${stage}`);
    const runBytes = this.runBytes("hashStage");
    checkRuns("hashStage", "src", src, runBytes);
    checkRuns("hashStage", "dst", dst, runBytes, src.length);
    this.stage(src, dst, stage);
  }

  /**
   * The streams of `count` hashes (16 bytes each, in kernel memory) stretched to `blocks` blocks each, as
   * G(h) = (π(h ⊕ 0) ⊕ h ⊕ 0, π(h ⊕ 1) ⊕ h ⊕ 1, …) with the first word of h xored with the block number: a PRG on a
   * pseudorandom h in the same ideal-permutation model as the hash. `out` (count·blocks blocks, kernel memory) gets
   * them hash by hash.
   */
  stretch(h: Uint8Array, count: number, blocks: number, out: Uint8Array): void {
    if (!(h instanceof Uint8Array) || h.length !== 16 * count || !wasm().owns(h)) throw new RangeError(`OtHash.stretch: h must be ${count} blocks in kernel memory`);
    if (!(out instanceof Uint8Array) || out.length !== 16 * count * blocks || !wasm().owns(out)) throw new RangeError(`OtHash.stretch: out must be ${count * blocks} blocks in kernel memory`);
    wasm().k.keyedBlocks(out.byteOffset, h.byteOffset, count, blocks);
    this.aes.hashBlocks(out, out);
  }

  /** Bytes of one run: a block per OT of the current batch. */
  private runBytes(fn: string): number {
    if (this.count === 0) throw new Error(`OtHash.${fn}: call batch() first`);
    return TWEAK_BYTES * this.count;
  }

  /** dst = π(src ⊕ i) ⊕ src ⊕ i with the tweaks of `stage`: the MMO hash of src ⊕ i, the tweaks made by the kernel. */
  private stage(src: Uint8Array, dst: Uint8Array, stage: number): void {
    const [lo, hi] = this.firstWords();
    wasm().k.xorTweaks(dst.byteOffset, src.byteOffset, src.length / (TWEAK_BYTES * this.count), this.count, lo, hi, this.instance, stage);
    this.aes.hashBlocks(dst, dst);
  }

  /** The batch's first OT index as the tweak's two low words. */
  private firstWords(): [number, number] {
    const lo = this.first % 2 ** 32;
    return [lo, (this.first - lo) / 2 ** 32];
  }
}
