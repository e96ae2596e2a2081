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
import { ferretShape, LPN_D, type FerretParams, type FerretShape } from "./params.js";
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
  /** The user output buffer of one batch. */
  protected readonly out: Uint8Array;
  /** Rounds started (the current round's number) and the next user tree of the round. */
  round = 0;
  protected cursor = 0;
  /** COTs produced but not yet taken by `take` (16 bytes each): whole batches, the first from `offset` on. */
  private readonly chunks: Uint8Array[] = [];
  private offset = 0;
  private bufferedBytes = 0;

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
    this.out = new Uint8Array(16 * this.batch * this.shape.leaves);
  }

  /** COTs handed out per round (all but the refill trees'). */
  get cotsPerRound(): number {
    return this.shape.userCots;
  }

  protected startLpn(seed: Uint8Array): void {
    this.lpn = new LpnEncoder(aesOn(seed, this.aes.backend), this.params.logk, this.params.depth);
  }

  /** Produces trees [first, first + trees) of the current round into `nodes`. */
  protected abstract produce(first: number, trees: number, nodes: Uint32Array): Promise<void>;

  /** A plan starting from the stream's present state. */
  plan(): FerretPlan {
    return new FerretPlan(this.shape.userTrees, this.batch, this.shape.leaves, this.cursor, this.buffered);
  }

  /** COTs produced and not yet taken (by `take`). */
  get buffered(): number {
    return this.bufferedBytes >>> 4;
  }

  /** Produces batches until at least `target` COTs are buffered (each batch's corrections go out as it is made). */
  async fill(target: number): Promise<void> {
    while (this.buffered < target) {
      const batch = (await this.nextBlocks()).slice();
      this.chunks.push(batch);
      this.bufferedBytes += batch.length;
    }
  }

  /** Exactly n blocks (a new array), producing as needed; the rest stays buffered for the next call. */
  protected async takeBlocks(n: number, method: string): Promise<Uint8Array> {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${method}: n must be a non-negative integer, got ${n}`);
    await this.fill(n);
    const out = new Uint8Array(16 * n);
    for (let o = 0; o < out.length; ) {
      const chunk = this.chunks[0];
      const part = chunk.subarray(this.offset, this.offset + Math.min(out.length - o, chunk.length - this.offset));
      out.set(part, o);
      o += part.length;
      this.offset += part.length;
      if (this.offset === chunk.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    }
    this.bufferedBytes -= out.length;
    return out;
  }

  protected async nextBlocks(): Promise<Uint8Array> {
    const s = this.shape;
    if (this.cursor === s.userTrees) await this.refill();
    const trees = Math.min(this.batch, s.userTrees - this.cursor);
    const view = this.out.subarray(0, 16 * trees * s.leaves);
    await this.produce(this.cursor, trees, u32(view));
    this.cursor += trees;
    return view;
  }

  /** The round's last trees, into the spare buffer, which becomes the next round's base. */
  private async refill(): Promise<void> {
    const s = this.shape;
    const treeWords = 4 * s.leaves;
    for (let first = s.userTrees; first < this.params.t; first += this.batch) {
      const trees = Math.min(this.batch, this.params.t - first);
      const at = (first - s.userTrees) * treeWords;
      await this.produce(first, trees, this.spare.subarray(at, at + trees * treeWords));
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

/**
 * The receiver's choice bits, ahead of its COTs. Leaf i of a tree gets e_i ⊕ ⊕_m x[idx(i, m)]: e_i = 1 at the
 * punctured leaf alone, whose path is ¬b_ℓ of the tree's level COTs, and x the LSBs of the LPN secret's COTs; the
 * next round's base bits are those of the refill trees. So a party can send b ⊕ c before the corrections arrive.
 */
export class ChoicePredictor {
  private round = 0;
  private cursor = 0;
  /** Predicted bits (one byte each) not yet handed out. */
  private pending: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly params: FerretParams,
    private readonly shape: FerretShape,
    private readonly batch: number,
    private readonly lpn: LpnEncoder,
    /** The current round's base COTs' choice bits, one byte each. */
    private base: Uint8Array,
  ) {}

  /** The next n choice bits, packed LSB-first. */
  next(n: number): Uint8Array {
    const parts: Uint8Array[] = [];
    let have = this.pending.length;
    parts.push(this.pending);
    while (have < n) {
      const b = this.nextBatch();
      parts.push(b);
      have += b.length;
    }
    const all = parts.length === 1 ? parts[0] : concatBits(parts, have);
    const out = new Uint8Array((n + 7) >>> 3);
    for (let i = 0; i < n; i++) out[i >>> 3] |= all[i] << (i & 7);
    this.pending = all.subarray(n);
    return out;
  }

  private nextBatch(): Uint8Array {
    const s = this.shape;
    if (this.cursor === s.userTrees) {
      const refill = concatBits(this.trees(s.userTrees, this.params.t - s.userTrees), s.refillTrees * s.leaves);
      this.base = refill.subarray(0, s.m);
      this.round++;
      this.cursor = 0;
    }
    const trees = Math.min(this.batch, s.userTrees - this.cursor);
    const [bits] = this.trees(this.cursor, trees);
    this.cursor += trees;
    return bits;
  }

  /** The bits of trees [first, first + count) of the round, in batches of `batch` trees (as produced). */
  private trees(first: number, count: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const { k, leaves } = this.shape;
    const d = this.params.depth;
    const mask = this.lpn.mask;
    for (let from = first; from < first + count; from += this.batch) {
      const trees = Math.min(this.batch, first + count - from);
      const idx = this.lpn.indexWords(this.round, from, trees);
      const bits = new Uint8Array(trees * leaves);
      for (let j = 0; j < trees; j++) {
        const lv = k + (from + j) * d;
        let alpha = 1 - this.base[lv];
        for (let l = 1; l < d; l++) alpha = 2 * alpha + 1 - this.base[lv + l];
        for (let i = 0, o = j * leaves, p = LPN_D * o; i < leaves; i++, o++) {
          let c = i === alpha ? 1 : 0;
          for (let m = 0; m < LPN_D; m++, p++) c ^= this.base[idx[p] & mask];
          bits[o] = c;
        }
      }
      out.push(bits);
    }
    return out;
  }
}

function concatBits(parts: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p.subarray(0, Math.min(p.length, n - o)), o);
    o += p.length;
    if (o >= n) break;
  }
  return out;
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

  /** The next batch of COTs: q blocks (16 bytes each), a view valid until the next call. Do not mix with `take`. */
  next(): Promise<Uint8Array> {
    return this.nextBlocks();
  }

  /** Exactly n COTs (a new array of 16n bytes); the rest of the last batch is kept for the next call. */
  take(n: number): Promise<Uint8Array> {
    return this.takeBlocks(n, "FerretCotSender.take");
  }

  protected async produce(first: number, trees: number, nodes: Uint32Array): Promise<void> {
    const { k } = this.shape;
    const d = this.params.depth;
    if (this.roots.length < 16 * trees) {
      this.roots = new Uint8Array(16 * trees);
      this.k0 = new Uint32Array(4 * d * trees);
      this.wire = new Uint8Array(16 * d * trees);
    }
    const roots = this.prg.fill(this.roots.subarray(0, 16 * trees));
    cggmSend(this.aes, d, trees, this.deltaWords, u32(roots), nodes, this.k0, this.scratch);
    // c = q ⊕ K0 for each level's base COT: the tree COTs of trees [first, first + trees) are contiguous.
    const words = 4 * d * trees;
    const c = u32(this.wire.subarray(0, 4 * words));
    const q = this.base.subarray(4 * (k + first * d));
    for (let i = 0; i < words; i++) c[i] = q[i] ^ this.k0[i];
    this.link.send(this.wire.subarray(0, 4 * words));
    this.lpn.encode(this.round, first, trees, this.base.subarray(0, 4 * k), nodes);
  }
}

/** The COT receiver: blocks t = q ⊕ b·Δ with b = LSB(t). */
export class FerretCotReceiver extends FerretBase {
  private bits = new Uint8Array(0);
  private kb = new Uint32Array(0);
  private choiceBits = new Uint8Array(0);

  private constructor(ch: Channel, params: FerretParams, opts: FerretOptions) {
    super(ch, params, opts);
  }

  /**
   * The choice bits of the COTs from the next `take` on, computed ahead of the corrections (call it before any
   * `take`): they depend only on this side's base COTs and the public LPN code.
   */
  choices(): ChoicePredictor {
    if (this.round !== 0 || this.cursor !== 0 || this.buffered !== 0) throw new Error("FerretCotReceiver.choices: call it before the first take");
    const bits = new Uint8Array(this.shape.m);
    for (let i = 0; i < bits.length; i++) bits[i] = this.base[4 * i] & 1;
    return new ChoicePredictor(this.params, this.shape, this.batch, this.lpn, bits);
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
   * The next batch of COTs: t blocks (16 bytes each) and the choice bits (LSB(t), packed LSB-first); views valid
   * until the next call. Do not mix with `take`.
   */
  async next(): Promise<{ t: Uint8Array; choices: Uint8Array }> {
    const t = await this.nextBlocks();
    const n = t.length >>> 4;
    if (this.choiceBits.length < (n + 7) >>> 3) this.choiceBits = new Uint8Array((n + 7) >>> 3);
    const choices = this.choiceBits.subarray(0, (n + 7) >>> 3);
    choices.fill(0);
    for (let i = 0; i < n; i++) choices[i >>> 3] |= (t[16 * i] & 1) << (i & 7);
    return { t, choices };
  }

  /** Exactly n COTs: t (a new array of 16n bytes) and the choice bits LSB(t), packed LSB-first. */
  async take(n: number): Promise<{ t: Uint8Array; choices: Uint8Array }> {
    const t = await this.takeBlocks(n, "FerretCotReceiver.take");
    const choices = new Uint8Array((n + 7) >>> 3);
    for (let i = 0; i < n; i++) choices[i >>> 3] |= (t[16 * i] & 1) << (i & 7);
    return { t, choices };
  }

  protected async produce(first: number, trees: number, nodes: Uint32Array): Promise<void> {
    const { k } = this.shape;
    const d = this.params.depth;
    const words = 4 * d * trees;
    const frame = await this.link.recv(4 * words);
    if (frame.length !== 4 * words) throw new ProtocolError(`${this.tag}.c: expected ${4 * words} bytes, got ${frame.length}`);
    if (this.bits.length < d * trees) {
      this.bits = new Uint8Array(d * trees);
      this.kb = new Uint32Array(words);
    }
    // The frame may sit at any multiple of 8 in a shared slab: read it through a copy-free view when aligned.
    const c = frame.byteOffset % 4 === 0 ? u32(frame) : u32(frame.slice());
    const t = this.base.subarray(4 * (k + first * d));
    for (let i = 0; i < words; i++) this.kb[i] = t[i] ^ c[i];
    for (let j = 0; j < d * trees; j++) this.bits[j] = t[4 * j] & 1;
    cggmRecv(this.aes, d, trees, this.kb, this.bits, nodes, this.scratch);
    this.lpn.encode(this.round, first, trees, this.base.subarray(0, 4 * k), nodes);
  }
}
