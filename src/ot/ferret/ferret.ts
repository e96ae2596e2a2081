// Semi-honest Ferret (Yang–Weng–Lan–Zhang–Wang, CCS 2020), shaped like emp-ot v1: primal LPN with regular noise,
// one Half-Tree cGGM tree per bin (cggm.ts), the d = 10 local linear code (lpn.ts), streamed a batch of trees at a
// time, with the round's last trees refilling the next round's base COTs, and a bootstrap from IKNP (bootstrap.ts).
//
// Output convention (random COT): the sender holds Δ (16 bytes, LSB(Δ) = 1) and gets blocks q with LSB(q) = 0; the
// receiver gets blocks t = q ⊕ b·Δ, so its (pseudo-random) choice bit b is LSB(t), also handed out bit-packed
// LSB-first like OtPack's choices. This is our IKNP correlation q ⊕ t = b·s with s = Δ, plus emp's LSB convention.
//
// A round with parameters (t, k, d) consumes M = k + t·d base COTs: blocks [0, k) are the LPN secret, blocks
// k + tree·d + ℓ − 1 the COT of level ℓ of tree `tree`. Trees [0, userTrees) go to the user, the last
// refillTrees = ⌈M/2^d⌉ trees become the next round's base COTs (their first M blocks). Only the sender talks after
// setup: per batch of trees, one frame of d blocks per tree (tag `${tag}.c`, or through FerretOptions.link).
import type { Aes } from "../../core/aes.js";
import { aesOn } from "../../core/aes.js";
import type { Channel } from "../../net/channel.js";
import type { Prg } from "../../core/prg.js";
import { ProtocolError } from "../../net/errors.js";
import { CggmScratch, cggmRecv, cggmSend } from "./cggm.js";
import { LpnEncoder } from "./lpn.js";
import { wasm } from "../../core/wasm.js";
import { copyBits } from "../../core/bits.js";
import { KernelScratch } from "../../core/scratch.js";
import { ferretShape, type FerretParams, type FerretShape } from "./params.js";
import { iknpCotReceiver, iknpCotSender, type BaseCotReceiver, type BaseCotSender } from "./bootstrap.js";

/** Leaves per batch of trees when not given: 2^15 blocks (512 KiB). */
const BATCH_LEAVES = 1 << 15;

export interface FerretOptions {
  /**
   * The fixed-key permutation π of the tree hash: public, the same for both parties. In a session:
   * ferretTreeAes(salt, backend) (keys.ts), a key derived from the session salt apart from the OT hash's.
   */
  aes: Aes;
  /** Frame tag prefix; two instances on one channel (one per direction) need different tags. Default "ferret". */
  tag?: string;
  /** Trees per `next()`; default: 2^15 leaves' worth (at least 1, at most the user trees of a round). */
  treesPerCall?: number;
  /**
   * Where the trees' corrections travel after setup; default: frames `${tag}.c` on the channel. OtPack routes them
   * among its OT frames, which may interleave with them in any order.
   */
  link?: CorrectionLink;
}

/** The path of the corrections, sender to receiver, in production order. */
export interface CorrectionLink {
  send(c: Uint8Array): void;
  /** The next `bytes` bytes of corrections (one batch's). */
  recv(bytes: number): Promise<Uint8Array>;
}

function u32(b: Uint8Array): Uint32Array {
  return new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
}

/** A produced batch: its blocks and, on the receiver, their choice bits (LSBs, packed LSB-first). */
interface Chunk {
  blocks: Uint8Array;
  bits?: Uint8Array;
}

/** The LSBs of n 16-byte blocks (4 words each), packed LSB-first: the receiver's choice bits. */
function packLsbs(words: Uint32Array, n: number): Uint8Array {
  const bits = new Uint8Array((n + 7) >>> 3);
  for (let i = 0; i < n; i++) bits[i >>> 3] |= (words[4 * i] & 1) << (i & 7);
  return bits;
}

/** State common to both sides. */
abstract class FerretBase {
  readonly shape: FerretShape;
  readonly tag: string;
  readonly batch: number;
  protected readonly aes: Aes;
  protected readonly link: CorrectionLink;
  protected lpn!: LpnEncoder;
  protected readonly scratch = new CggmScratch();
  /** Ping-pong base buffers, refillTrees·2^d blocks each; `base` holds this round's M base COTs. */
  protected base: Uint32Array;
  protected spare: Uint32Array;
  /** The user output buffer of one batch when the trees are built by the TypeScript twin. */
  private out = new Uint32Array(0);
  /** Rounds started (the current round's number) and the next user tree of the round. */
  round = 0;
  protected cursor = 0;
  /** COTs produced but not yet taken by `take`: whole batches, the first from block `offset` on. */
  private readonly chunks: Chunk[] = [];
  private offset = 0;
  private bufferedCots = 0;
  /** Result buffers `takeChunk` made, and one handed back by `recycle` for the next take that fits. */
  private readonly made = new WeakSet<ArrayBufferLike>();
  private reuse: Uint8Array | undefined;

  constructor(
    protected readonly ch: Channel,
    readonly params: FerretParams,
    opts: FerretOptions,
  ) {
    this.shape = ferretShape(params);
    this.aes = opts.aes;
    this.tag = opts.tag ?? "ferret";
    const tag = `${this.tag}.c`;
    this.link = opts.link ?? { send: (c) => ch.send(tag, c), recv: async () => ch.recv(tag) };
    const per = opts.treesPerCall ?? Math.max(1, Math.floor(BATCH_LEAVES / this.shape.leaves));
    if (!Number.isInteger(per) || per < 1) throw new RangeError(`Ferret: treesPerCall must be a positive integer, got ${per}`);
    this.batch = Math.min(per, this.shape.userTrees);
    const refillBlocks = this.shape.refillTrees * this.shape.leaves;
    this.base = new Uint32Array(4 * refillBlocks);
    this.spare = new Uint32Array(4 * refillBlocks);
  }

  /** COTs handed out per round (all but the refill trees'). */
  get cotsPerRound(): number {
    return this.shape.userCots;
  }

  protected startLpn(seed: Uint8Array): void {
    this.lpn = new LpnEncoder(aesOn(seed, this.aes.backend), this.params.logk, this.params.depth);
  }

  /** The corrections of a batch of `trees` trees: sent (sender) or received (receiver). */
  protected abstract corrections(first: number, trees: number): Promise<Uint8Array>;

  /**
   * Builds trees [first, first + trees) of the current round from their corrections into `into`, or when it is
   * undefined, into working memory (kernel memory with the kernels: no copies on the way), and returns the leaves'
   * words. Synchronous from the corrections to the use of the leaves: an await in between would let other code
   * allocate kernel memory and detach the view.
   */
  protected abstract build(first: number, trees: number, frame: Uint8Array, into?: Uint32Array): Uint32Array;

  /**
   * Where a user batch is built: the tree kernel's working copy, reserved together with the LPN encoder's buffers
   * (so that no allocation detaches it before the batch is done), or the TypeScript twin's buffer. Take it after
   * any await.
   */
  protected workNodes(trees: number): Uint32Array {
    const words = 4 * trees * this.shape.leaves;
    if (!this.scratch.useKernel) {
      if (this.out.length < words) this.out = new Uint32Array(words);
      return this.out.subarray(0, words);
    }
    this.lpn.reserve(trees);
    return this.scratch.kernelNodes(trees, this.params.depth);
  }

  /** A plan starting from the stream's present state. */
  plan(): FerretPlan {
    return new FerretPlan(this.shape.userTrees, this.batch, this.shape.leaves, this.cursor, this.buffered);
  }

  /** COTs produced and not yet taken (by `take`). */
  get buffered(): number {
    return this.bufferedCots;
  }

  /** Produces batches until at least `target` COTs are buffered (each batch's corrections go out as it is made). */
  async fill(target: number): Promise<void> {
    while (this.buffered < target) {
      const chunk = (await this.nextChunk())!;
      this.chunks.push(chunk);
      this.bufferedCots += chunk.blocks.length >>> 4;
    }
  }

  /**
   * Exactly n blocks, producing as needed, and their bits if the chunks carry them; the rest stays buffered for the
   * next call. A view of one chunk when the n blocks lie in it (chunks are never written after production), else
   * a new array, into which whole batches are built straight from kernel memory.
   */
  protected async takeChunk(n: number, method: string): Promise<Chunk> {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${method}: n must be a non-negative integer, got ${n}`);
    if (n === 0) return { blocks: new Uint8Array(0), bits: new Uint8Array(0) };
    const head = this.chunks[0];
    if (head !== undefined && this.offset + n <= head.blocks.length >>> 4) {
      const out = this.slice(head, this.offset, n);
      this.bufferedCots -= n;
      this.advance(n);
      return out;
    }
    const blocks = this.resultBuffer(16 * n);
    let bits: Uint8Array | undefined;
    const put = (c: Chunk, from: number, count: number, o: number) => {
      blocks.set(c.blocks.subarray(16 * from, 16 * (from + count)), 16 * o);
      if (c.bits) copyBits((bits ??= new Uint8Array((n + 7) >>> 3)), o, c.bits, from, count);
    };
    for (let o = 0; o < n; ) {
      if (this.chunks.length === 0) {
        // A batch that fits goes straight into the result; one that does not is buffered, and taken from below.
        const chunk = await this.nextChunk((c) => {
          const count = c.blocks.length >>> 4;
          if (count > n - o) return false;
          put(c, 0, count, o);
          o += count;
          return true;
        });
        if (chunk !== undefined) {
          this.chunks.push(chunk);
          this.bufferedCots += chunk.blocks.length >>> 4;
        }
        continue;
      }
      const chunk = this.chunks[0];
      const count = Math.min(n - o, (chunk.blocks.length >>> 4) - this.offset);
      put(chunk, this.offset, count, o);
      o += count;
      this.bufferedCots -= count;
      this.advance(count);
    }
    return { blocks, bits };
  }

  /** A buffer for a take's result: the recycled one if it fits (writing fresh pages costs more than the copy). */
  private resultBuffer(bytes: number): Uint8Array {
    const r = this.reuse;
    if (r !== undefined && r.length >= bytes) {
      this.reuse = undefined;
      return r.subarray(0, bytes);
    }
    const b = new Uint8Array(bytes);
    this.made.add(b.buffer);
    return b;
  }

  /**
   * Hands back the blocks of a take once the caller is done with them: a later take may overwrite them. Views of
   * buffered batches are left alone.
   */
  recycle(blocks: Uint8Array): void {
    if (!this.made.has(blocks.buffer)) return;
    if (this.reuse === undefined || this.reuse.length < blocks.buffer.byteLength) this.reuse = new Uint8Array(blocks.buffer);
  }

  /** Blocks [from, from + n) of a chunk and their bits (views, or a new array for bits not in whole bytes). */
  private slice(chunk: Chunk, from: number, n: number): Chunk {
    const blocks = chunk.blocks.subarray(16 * from, 16 * (from + n));
    if (!chunk.bits) return { blocks };
    if ((from & 7) === 0 && (n & 7) === 0) return { blocks, bits: chunk.bits.subarray(from >>> 3, (from + n) >>> 3) };
    const bits = new Uint8Array((n + 7) >>> 3);
    copyBits(bits, 0, chunk.bits, from, n);
    return { blocks, bits };
  }

  private advance(n: number): void {
    this.offset += n;
    if (this.chunks.length > 0 && this.offset === this.chunks[0].blocks.length >>> 4) {
      this.chunks.shift();
      this.offset = 0;
    }
  }

  /**
   * The next user batch: handed to `use` as views (valid during the call only), and as a new chunk unless `use`
   * returns true (it has used them).
   */
  protected async nextChunk(use?: (views: Chunk) => boolean): Promise<Chunk | undefined> {
    const s = this.shape;
    if (this.cursor === s.userTrees) await this.refill();
    const trees = Math.min(this.batch, s.userTrees - this.cursor);
    const frame = await this.corrections(this.cursor, trees);
    const nodes = this.build(this.cursor, trees, frame);
    this.cursor += trees;
    const chunk = this.chunkOf(nodes);
    if (use?.(chunk)) return undefined;
    chunk.blocks = chunk.blocks.slice();
    return chunk;
  }

  /** The chunk of a batch's leaves (views). */
  protected abstract chunkOf(nodes: Uint32Array): Chunk;

  /** The round's last trees, into the spare buffer, which becomes the next round's base. */
  private async refill(): Promise<void> {
    const s = this.shape;
    const treeWords = 4 * s.leaves;
    for (let first = s.userTrees; first < this.params.t; first += this.batch) {
      const trees = Math.min(this.batch, this.params.t - first);
      const at = (first - s.userTrees) * treeWords;
      this.build(first, trees, await this.corrections(first, trees), this.spare.subarray(at, at + trees * treeWords));
    }
    [this.base, this.spare] = [this.spare, this.base];
    this.lpn.setSecret(this.base.subarray(0, 4 * s.k));
    this.round++;
    this.cursor = 0;
  }
}

/**
 * The counts of a stream after the fills and takes planned so far, apart from the stream: production is
 * deterministic in its amounts, so both parties can tell at call time, before any of it runs, when corrections will
 * have to flow.
 */
export class FerretPlan {
  constructor(
    private readonly userTrees: number,
    private readonly batch: number,
    private readonly leaves: number,
    private cursor: number,
    /** COTs buffered once the planned operations have run. */
    public buffered: number,
  ) {}

  /** Plans `fill(target)`; true if it produces anything. */
  fill(target: number): boolean {
    const produces = this.buffered < target;
    while (this.buffered < target) {
      if (this.cursor === this.userTrees) this.cursor = 0;
      const trees = Math.min(this.batch, this.userTrees - this.cursor);
      this.cursor += trees;
      this.buffered += trees * this.leaves;
    }
    return produces;
  }

  /** Plans `take(n)`. */
  take(n: number): void {
    this.fill(n);
    this.buffered -= n;
  }
}

/** What the predictor reads of its receiver. */
interface PredictorSource {
  /** The receiver's round. */
  readonly round: number;
  /** The LSBs of the receiver's current base COTs (M bits, packed LSB-first). */
  baseBits(): Uint8Array;
}

/**
 * The receiver's choice bits, ahead of its COTs. Leaf i of a tree gets e_i ⊕ ⊕_m x[idx(i, m)]: e_i = 1 at the
 * punctured leaf alone, whose path is ¬b_ℓ of the tree's level COTs, and x the LSBs of the LPN secret's COTs; the
 * next round's base bits are those of the refill trees. So a party can send b ⊕ c before the corrections arrive.
 * The predictor walks the receiver's batches in production order: a batch the receiver has already produced gives
 * its bits as they are (`produced`); one it has not is computed (ferretLpnBits kernel), and its index words are
 * kept for the receiver's encode of it, so they are computed once either way.
 */
export class ChoicePredictor {
  private round = 0;
  private cursor = 0;
  /** The user batch being handed out (packed bits, a whole number of bytes) and the next bit of it. */
  private part: Uint8Array = new Uint8Array(0);
  private at = 0;
  /** User batches walked, and produced by the receiver. */
  private walked = 0;
  private producedBatches = 0;
  /** Bits of the user batches the receiver has produced ahead of this walk, in order: batches [walked, produced). */
  private readonly ahead: Uint8Array[] = [];
  /** Kernel memory: the packed base bits of round `baseRound`, the next round's being computed, a batch's bits. */
  private kBase = new KernelScratch();
  private kNext = new KernelScratch();
  private readonly kBits = new KernelScratch();
  private baseRound = -1;

  constructor(
    private readonly params: FerretParams,
    private readonly shape: FerretShape,
    private readonly batch: number,
    private readonly lpn: LpnEncoder,
    private readonly src: PredictorSource,
  ) {
    const baseBytes = (shape.refillTrees * shape.leaves) >>> 3;
    this.kBase.reserve(baseBytes);
    this.kNext.reserve(baseBytes);
    this.kBits.reserve((batch * shape.leaves) >>> 3);
  }

  /** The receiver's bits of its next user batch, produced before this walk reached it. */
  produced(bits: Uint8Array): void {
    // A batch whose production was under way when the walk computed it is already handed out.
    if (this.producedBatches++ >= this.walked) this.ahead.push(bits);
  }

  /** The next n choice bits, packed LSB-first. */
  next(n: number): Uint8Array {
    const out = new Uint8Array((n + 7) >>> 3);
    for (let o = 0; o < n; ) {
      if (this.at === 8 * this.part.length) {
        this.part = this.nextBatch();
        this.at = 0;
      }
      const c = Math.min(8 * this.part.length - this.at, n - o);
      copyBits(out, o, this.part, this.at, c);
      o += c;
      this.at += c;
    }
    return out;
  }

  private nextBatch(): Uint8Array {
    const s = this.shape;
    if (this.cursor === s.userTrees) {
      // The next round's base bits: computed from the refill trees unless the receiver has produced those already
      // (its base then gives them, when needed).
      if (this.src.round <= this.round) {
        for (let first = s.userTrees; first < this.params.t; first += this.batch) {
          const trees = Math.min(this.batch, this.params.t - first);
          this.compute(first, trees, this.kNext, ((first - s.userTrees) * s.leaves) >>> 3);
        }
        [this.kBase, this.kNext] = [this.kNext, this.kBase];
        this.baseRound = this.round + 1;
      }
      this.round++;
      this.cursor = 0;
    }
    const trees = Math.min(this.batch, s.userTrees - this.cursor);
    const first = this.cursor;
    this.cursor += trees;
    this.walked++;
    const ready = this.ahead.shift();
    if (ready !== undefined) return ready;
    this.compute(first, trees, this.kBits, 0);
    return this.kBits.view(((trees * s.leaves) >>> 3)).slice();
  }

  /** The packed bits of trees [first, first + trees) of the walk's round, into `into` from byte `at`. */
  private compute(first: number, trees: number, into: KernelScratch, at: number): void {
    const { k, leaves } = this.shape;
    const d = this.params.depth;
    if (this.baseRound !== this.round) {
      if (this.src.round !== this.round) throw new Error(`ChoicePredictor: no base bits for round ${this.round} (the receiver is in round ${this.src.round})`);
      const bits = this.src.baseBits();
      this.kBase.view(bits.length).set(bits);
      this.baseRound = this.round;
    }
    const idx = this.lpn.keep(this.round, first, trees);
    const base = this.kBase.view(0).byteOffset;
    const out = into.view(0).byteOffset + at;
    wasm().k.ferretLpnBits(out, base, idx, trees * leaves, this.lpn.mask);
    // The noise: one bit per tree at its punctured leaf.
    const bits = wasm().u8(base, (this.shape.m + 7) >>> 3);
    const dst = wasm().u8(out, (trees * leaves) >>> 3);
    const bit = (i: number) => (bits[i >>> 3] >>> (i & 7)) & 1;
    for (let j = 0; j < trees; j++) {
      const lv = k + (first + j) * d;
      let alpha = 1 - bit(lv);
      for (let l = 1; l < d; l++) alpha = 2 * alpha + 1 - bit(lv + l);
      const i = j * leaves + alpha;
      dst[i >>> 3] ^= 1 << (i & 7);
    }
  }
}

/** The COT sender: Δ, and blocks q with LSB 0. */
export class FerretCotSender extends FerretBase {
  readonly delta: Uint8Array;
  private readonly deltaWords: Uint32Array;
  private readonly prg: Prg;
  private roots = new Uint8Array(0);
  private k0 = new Uint32Array(0);
  private wire = new Uint8Array(0);

  private constructor(ch: Channel, prg: Prg, params: FerretParams, opts: FerretOptions, delta: Uint8Array) {
    super(ch, params, opts);
    this.prg = prg;
    this.delta = delta.slice();
    if ((this.delta[0] & 1) !== 1) throw new RangeError("FerretCotSender: the base COTs' Δ must have its LSB set");
    this.deltaWords = u32(this.delta);
  }

  /**
   * Sets up a sender: base COTs from `base` (default: a fresh IKNP instance, tag `${tag}.iknp`), then the public LPN
   * seed (chosen here, sent in one 16-byte frame), then the first round's M base COTs. The peer calls
   * FerretCotReceiver.create at the same point.
   */
  static async create(ch: Channel, prg: Prg, params: FerretParams, opts: FerretOptions, base?: BaseCotSender): Promise<FerretCotSender> {
    const tag = opts.tag ?? "ferret";
    const src = base ?? (await iknpCotSender(ch, prg, `${tag}.iknp`));
    const f = new FerretCotSender(ch, prg, params, opts, src.delta);
    const seed = prg.bytes(16);
    ch.send(`${tag}.seed`, seed);
    f.startLpn(seed);
    const m = f.shape.m;
    const q = u32(await src.cots(m));
    // Normalise to LSB(q) = 0: q ⊕ LSB(q)·Δ; the receiver's choice becomes LSB(t).
    const d = f.deltaWords;
    const b = f.base;
    for (let i = 0, o = 0; i < m; i++, o += 4) {
      const mask = -(q[o] & 1);
      b[o] = q[o] ^ (d[0] & mask);
      b[o + 1] = q[o + 1] ^ (d[1] & mask);
      b[o + 2] = q[o + 2] ^ (d[2] & mask);
      b[o + 3] = q[o + 3] ^ (d[3] & mask);
    }
    f.lpn.setSecret(b.subarray(0, 4 * f.shape.k));
    return f;
  }

  /** The next batch of COTs: q blocks (16 bytes each), a new array. Do not mix with `take`. */
  async next(): Promise<Uint8Array> {
    return (await this.nextChunk())!.blocks;
  }

  /** Exactly n COTs (16n bytes, a view of no other COTs' bytes); the rest of the last batch is kept for the next call. */
  async take(n: number): Promise<Uint8Array> {
    return (await this.takeChunk(n, "FerretCotSender.take")).blocks;
  }

  protected chunkOf(nodes: Uint32Array): Chunk {
    return { blocks: new Uint8Array(nodes.buffer, nodes.byteOffset, 4 * nodes.length) };
  }

  /** The sender builds its trees first: their corrections come out of the build, and go out with it. */
  protected async corrections(): Promise<Uint8Array> {
    return this.wire.subarray(0, 0);
  }

  protected build(first: number, trees: number, _frame: Uint8Array, into?: Uint32Array): Uint32Array {
    const { k } = this.shape;
    const d = this.params.depth;
    if (this.roots.length < 16 * trees) {
      this.roots = new Uint8Array(16 * trees);
      this.k0 = new Uint32Array(4 * d * trees);
      this.wire = new Uint8Array(16 * d * trees);
    }
    const roots = this.prg.fill(this.roots.subarray(0, 16 * trees));
    const nodes = into ?? this.workNodes(trees);
    cggmSend(this.aes, d, trees, this.deltaWords, u32(roots), nodes, this.k0, this.scratch);
    // c = q ⊕ K0 for each level's base COT: the tree COTs of trees [first, first + trees) are contiguous.
    const words = 4 * d * trees;
    const c = u32(this.wire.subarray(0, 4 * words));
    const q = this.base.subarray(4 * (k + first * d));
    for (let i = 0; i < words; i++) c[i] = q[i] ^ this.k0[i];
    this.link.send(this.wire.subarray(0, 4 * words));
    this.lpn.encode(this.round, first, trees, this.base.subarray(0, 4 * k), nodes);
    return nodes;
  }
}

/** The COT receiver: blocks t = q ⊕ b·Δ with b = LSB(t). */
export class FerretCotReceiver extends FerretBase {
  private bits = new Uint8Array(0);
  private kb = new Uint32Array(0);
  private predictor: ChoicePredictor | undefined;
  /** Kernel memory for a batch's packed choice bits. */
  private readonly kBits = new KernelScratch();

  private constructor(ch: Channel, params: FerretParams, opts: FerretOptions) {
    super(ch, params, opts);
  }

  /**
   * The choice bits of the COTs from the next `take` on, computed ahead of the corrections (call it before any
   * `take`, and predict every COT before taking it): they depend only on this side's base COTs and the public LPN
   * code.
   */
  choices(): ChoicePredictor {
    if (this.round !== 0 || this.cursor !== 0 || this.buffered !== 0 || this.predictor) throw new Error("FerretCotReceiver.choices: call it once, before the first take");
    this.predictor = new ChoicePredictor(this.params, this.shape, this.batch, this.lpn, this);
    return this.predictor;
  }

  /** The LSBs of this round's base COTs (M bits, packed LSB-first), for the predictor. */
  baseBits(): Uint8Array {
    return packLsbs(this.base, this.shape.m);
  }

  static async create(ch: Channel, prg: Prg, params: FerretParams, opts: FerretOptions, base?: BaseCotReceiver): Promise<FerretCotReceiver> {
    const tag = opts.tag ?? "ferret";
    const src = base ?? (await iknpCotReceiver(ch, prg, `${tag}.iknp`));
    const f = new FerretCotReceiver(ch, params, opts);
    const seed = await ch.recv(`${tag}.seed`);
    if (seed.length !== 16) throw new ProtocolError(`${tag}.seed: expected 16 bytes, got ${seed.length}`);
    f.startLpn(seed);
    f.base.set(u32(await src.cots(f.shape.m)));
    f.lpn.setSecret(f.base.subarray(0, 4 * f.shape.k));
    return f;
  }

  /**
   * The next batch of COTs: t blocks (16 bytes each) and the choice bits (LSB(t), packed LSB-first), new arrays.
   * Do not mix with `take`.
   */
  async next(): Promise<{ t: Uint8Array; choices: Uint8Array }> {
    const { blocks, bits } = (await this.nextChunk())!;
    return { t: blocks, choices: bits! };
  }

  /** Exactly n COTs: t (16n bytes, a view of no other COTs' bytes) and the choice bits LSB(t), packed LSB-first. */
  async take(n: number): Promise<{ t: Uint8Array; choices: Uint8Array }> {
    const { blocks, bits } = await this.takeChunk(n, "FerretCotReceiver.take");
    return { t: blocks, choices: bits! };
  }

  /** The batch's leaves with their LSBs packed (by the kernel in kernel memory), which the predictor also gets. */
  protected chunkOf(nodes: Uint32Array): Chunk {
    const n = nodes.length >>> 2;
    const bytes = (n + 7) >>> 3;
    let bits: Uint8Array;
    if (wasm().owns(nodes)) {
      // Reserved with the nodes (workNodes), so the nodes' view stays attached.
      const k = this.kBits.view(bytes);
      wasm().k.ferretLsbs(k.byteOffset, nodes.byteOffset, n);
      bits = k.slice();
    } else {
      bits = packLsbs(nodes, n);
    }
    this.predictor?.produced(bits);
    return { blocks: new Uint8Array(nodes.buffer, nodes.byteOffset, 4 * nodes.length), bits };
  }

  protected override workNodes(trees: number): Uint32Array {
    this.kBits.reserve((trees * this.shape.leaves + 7) >>> 3);
    return super.workNodes(trees);
  }

  protected async corrections(_first: number, trees: number): Promise<Uint8Array> {
    const bytes = 16 * this.params.depth * trees;
    const frame = await this.link.recv(bytes);
    if (frame.length !== bytes) throw new ProtocolError(`${this.tag}.c: expected ${bytes} bytes, got ${frame.length}`);
    return frame;
  }

  protected build(first: number, trees: number, frame: Uint8Array, into?: Uint32Array): Uint32Array {
    const { k } = this.shape;
    const d = this.params.depth;
    const words = 4 * d * trees;
    if (this.bits.length < d * trees) {
      this.bits = new Uint8Array(d * trees);
      this.kb = new Uint32Array(words);
    }
    // The frame may sit at any multiple of 8 in a shared slab: read it through a copy-free view when aligned.
    const c = frame.byteOffset % 4 === 0 ? u32(frame) : u32(frame.slice());
    const t = this.base.subarray(4 * (k + first * d));
    for (let i = 0; i < words; i++) this.kb[i] = t[i] ^ c[i];
    for (let j = 0; j < d * trees; j++) this.bits[j] = t[4 * j] & 1;
    const nodes = into ?? this.workNodes(trees);
    cggmRecv(this.aes, d, trees, this.kb, this.bits, nodes, this.scratch);
    this.lpn.encode(this.round, first, trees, this.base.subarray(0, 4 * k), nodes);
    return nodes;
  }
}
