// The OT pack of one party: IKNP extension in both directions (this party is extension sender in one instance and
// extension receiver in the other) and the KKOT 1-of-N extension (λ = 256, Walsh–Hadamard code) in both directions.
// Every call is one flight from the OT receiver and at most one from the OT sender: u, 128 bits per OT (256 for
// 1-of-N), then l bits per OT (COT), 2l (chosen OT), N·l (1-of-N) or nothing (random OT), bit-packed, one frame
// each way. The work runs in batches (2^17 OTs) so memory stays bounded. A party's sends match the peer's receives
// in call order; frames find their call by the batch number in their header (order.ts), so calls may run
// concurrently in any interleaving.
// Every OT output is hashed with the session's salted hash and a tweak of its own (crhash.ts).
//
// On Ferret (`ot: "ferret-b11" | "ferret-b13"`) the rows under the flavours come from a silent OT instead: one
// Ferret instance per direction (its Δ the IKNP sender secret, drawn with LSB 1; bootstrapped from these IKNP
// extensions) streams random COTs, sender q and receiver t = q ⊕ c·Δ with random c. A batch takes its COTs in call
// order and the receiver's request carries d = b ⊕ c, 1 bit per OT; the sender's q ⊕ d·Δ then stands where IKNP's
// q stands, and the hashing and flavours above are the same.
// Frames keep IKNP's pattern, which lets OT calls interleave with any other traffic: the receiver sends its request
// at the call (c is predicted from its own base COTs, ferret.ts ChoicePredictor, before the t arrive) and every
// frame of the sender answers one of the receiver's. The trees' corrections (order.ts, ROUND; ≈ 0.7 bits per OT on
// b11) go out after each batch, keeping min(2^17, a round) COTs produced ahead, in the reply's flight; a batch
// larger than the lead opens with an ask (ASK, header only) answered by its corrections, one round trip more.
// Both parties decide this at the call on a plan of the stream (FerretPlan), so they agree without a message.
// 1-of-N is built from k = log N such COTs per instance, as Naor–Pinkas build 1-of-N from log N 1-of-2 OTs:
// pad_x = ⊕_j F(H_j(q_j ⊕ x_j·Δ), x), F(h, x) the l bits of slot x-without-bit-j of h (stretched by a PRG when the
// N/2 slots exceed 128 bits). Each pad other than the chosen one holds bits of some H_j(q_j ⊕ (1 − c_j)·Δ) that no
// other pad uses. 2k hashes for the sender, k for the receiver; log N bits up and N·l down (the KKOT code's 256 bits
// up are gone).
import type { Channel, Role } from "../net/channel.js";
import type { Prg } from "../core/prg.js";
import { aesOn, type Aes } from "../core/aes.js";
import { wasm } from "../core/wasm.js";
import { ProtocolError } from "../net/errors.js";
import { BaseOtSender, baseOtReceive, KEY_BYTES, POINT_BYTES } from "./base.js";
import { ExtensionReceiver, ExtensionSender, padded } from "./extension.js";
import { OtHash } from "./crhash.js";
import { NONCE_BYTES, sessionSalt } from "./salt.js";
import { lanesBytes, packLanes } from "../core/lanes.js";
import { ASK, HEADER_BYTES, iknpRequestBits, OT_TAG, OtOrder, REPLY, REQUEST, ROUND, writeHeader, type OtKind, type OtRequest, type RequestBits } from "./order.js";
import { FERRET_B11, FERRET_B13, FERRET_TINY, ChoicePredictor, FerretCotReceiver, FerretCotSender, FerretPlan, extensionCotReceiver, extensionCotSender, ferretTreeAes, type FerretParams } from "./ferret/index.js";
import { KernelScratch, Scratch, words, xorKernel } from "../core/scratch.js";
import { kernelBlocks, mpcKernels } from "../core/mpc-kernels.js";
import { CODE_BITS, codeColumns, maskedCodewords, spreadBlock } from "./code.js";

const IKNP_WIDTH = 128;
const KKOT_WIDTH = CODE_BITS;
/**
 * OTs per IKNP batch: PRG rows of 16 KiB, the size node:crypto encrypts fastest per call, which the PRG writes
 * straight into the matrix (2^12 → 2^16 measured ≈6× less PRG time).
 */
const BATCH = 1 << 17;
/**
 * IKNP random OTs per request frame (a multiple of BATCH): a larger call runs as several batches sent in one flight.
 * glibc maps allocations past 32 MiB afresh every time, so a frame of 2.4 M OTs (Gilboa's at 65,536 products of
 * 37 bits) page-faulted on its 38 MB twice per call; frames of 16 MiB are reused from the heap.
 */
export const PART_OTS = 1 << 20;
/** Bytes of s repeated, for xoring s into many rows per kernel call. */
const S_REPEAT_BYTES = 16384;
/**
 * Hash inputs per 1-of-N batch (batch × N): 16,384 instances of 1-of-16, whose PRG rows of 2 KiB and per-column
 * calls cost a quarter of what 4,096 did (65,536 comparisons: both parties' CPU ≈ 0.8 of 2^16, alternated runs).
 */
export const KKOT_BLOCKS = 1 << 18;

/** The OT under the flavours. "ferret-tiny" is an insecure parameter set for tests. */
export type OtChoice = "iknp" | "ferret-b11" | "ferret-b13" | "ferret-tiny";
export const OT_CHOICES: readonly OtChoice[] = ["iknp", "ferret-b11", "ferret-b13", "ferret-tiny"];
/** The OT of sessions and benches that name none. */
export const DEFAULT_OT: OtChoice = "iknp";
/** The OTs a session may run (the tiny Ferret preset is insecure, for tests only). */
export const SECURE_OTS: readonly OtChoice[] = ["ferret-b11", "ferret-b13", "iknp"];

const FERRET: Record<Exclude<OtChoice, "iknp">, FerretParams> = { "ferret-b11": FERRET_B11, "ferret-b13": FERRET_B13, "ferret-tiny": FERRET_TINY };

/** The Ferret parameters of an OT choice (undefined for IKNP). */
export function ferretParamsOf(ot: OtChoice): FerretParams | undefined {
  return ot === "iknp" ? undefined : FERRET[ot];
}

/** Checks an OT choice against `allowed` (default: all); `field` names it in the error. */
export function checkOtChoice(ot: unknown, field = "ot", allowed = OT_CHOICES): OtChoice {
  if (!allowed.includes(ot as OtChoice)) throw new RangeError(`${field} must be one of ${allowed.join(", ")}, got ${String(ot)}`);
  return ot as OtChoice;
}

export interface OtPackOptions {
  /** The OT under the flavours; default "iknp". Both parties must choose the same. */
  ot?: OtChoice;
}

/** Ferret: 1 correction bit per OT, log N per 1-of-N instance. */
const ferretRequestBits: RequestBits = (kind, N) => (kind === "otn" ? 31 - Math.clz32(N) : 1);

/**
 * A send batch: the receiver's request, its number, and on Ferret its COTs (q, 16 bytes each), first hash index and
 * `flush`, which sends the corrections produced ahead after it (call it once the batch's reply is out).
 */
interface SendBatch {
  wire: Uint8Array;
  id: number;
  cots?: Uint8Array;
  first: number;
  flush: () => void;
}

/** Random-OT messages in kernel memory: pointers to 16 bytes per OT, valid until `free`. */
export interface RotSendBlocks {
  m0: number;
  m1: number;
  free: () => void;
}

export interface RotRecvBlocks {
  m: number;
  free: () => void;
}

/** COTs a Ferret direction keeps produced ahead after each batch (at most a round's), so most batches need no ask. */
const AHEAD = 1 << 17;

function request(kind: OtKind, n: number, l = 0, N = 2): OtRequest {
  return { kind, n, l, N };
}

function checkCount(n: number, fn: string, field = "n"): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${fn}: ${field} must be a non-negative integer, got ${n}`);
}

/** Checks l and returns the masks of the low and high 32-bit halves of an l-bit value. */
function checkL(l: number, fn: string): [number, number] {
  if (!Number.isInteger(l) || l < 1 || l > 64) throw new RangeError(`${fn}: l must be an integer in [1, 64], got ${l}`);
  return [l >= 32 ? 0xffffffff : 2 ** l - 1, l <= 32 ? 0 : 2 ** (l - 32) - 1];
}

/**
 * The first `bytes` of a packed reply into kernel memory at ptr (bytes + 8 reserved), zeros after them: the lane
 * kernels read up to 8 bytes past a value.
 */
function copyPacked(ptr: number, frame: Uint8Array, bytes: number): void {
  const p = wasm().u8(ptr, bytes + 8);
  p.set(frame.subarray(0, bytes));
  p.fill(0, bytes);
}

/** 2^l − 1 from checkL's 32-bit halves, for the lane kernels. */
function laneMask([lo, hi]: [number, number]): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** The 32-bit halves of u64 lanes (little-endian: low half first), for carry arithmetic without BigInt. */
function u32(v: BigUint64Array): Uint32Array {
  return new Uint32Array(v.buffer, v.byteOffset, 2 * v.length);
}

function checkChoices(choices: Uint8Array, n: number, fn: string): void {
  if (!(choices instanceof Uint8Array)) throw new TypeError(`${fn}: choices must be a bit-packed Uint8Array`);
  checkCount(n, fn);
  if (choices.length * 8 < n) throw new RangeError(`${fn}: choices must hold ${n} bits (${(n + 7) >>> 3} bytes), got ${choices.length} bytes`);
}

function checkValues(v: BigUint64Array, fn: string, field: string): void {
  if (!(v instanceof BigUint64Array)) throw new TypeError(`${fn}: ${field} must be a BigUint64Array`);
}

function checkN(N: number, fn: string): number {
  if (!Number.isInteger(N) || N < 2 || N > 256 || (N & (N - 1)) !== 0) {
    throw new RangeError(`${fn}: N must be a power of two in [2, 256], got ${N}`);
  }
  return 31 - Math.clz32(N);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function bit(v: Uint8Array, i: number): number {
  return (v[i >>> 3] >>> (i & 7)) & 1;
}

/** OTs per 1-of-N batch: a multiple of 128 with batch × N ≈ KKOT_BLOCKS. */
function kkotBatch(N: number): number {
  return Math.max(IKNP_WIDTH, KKOT_BLOCKS / N);
}

/** Bytes of n packed l-bit values in whole u32 words, as the pad kernel (otnPads) reads and writes them. */
function padBytes(n: number, l: number): number {
  return 4 * Math.ceil((n * l) / 32);
}

/** Bytes of d that `count` corrections from any bit offset read. */
function dBytes(count: number): number {
  return ((count + 7) >>> 3) + 1;
}

/** Blocks of a Ferret 1-of-N key's stream: N/2 slots of l bits. */
function slotBlocks(N: number, l: number): number {
  return Math.max(1, Math.ceil(((N / 2) * l) / 128));
}

/** The COTs' choice bits must be those predicted when the request went out. */
function checkPredicted<T extends { choices: Uint8Array }>(predicted: Uint8Array, cots: T): T {
  for (let i = 0; i < predicted.length; i++) if (predicted[i] !== cots.choices[i]) throw new Error(`Ferret: the COTs' choice bits differ from their prediction at byte ${i}`);
  return cots;
}

/** One PRG per 16-byte key, on the backend of `prg`. */
function seededPrgs(prg: Prg, keys: Uint8Array): Prg[] {
  const out: Prg[] = [];
  for (let j = 0; j < keys.length; j += KEY_BYTES) out.push(prg.withSeed(keys.subarray(j, j + KEY_BYTES)));
  return out;
}

export class OtPack {
  private sender: ExtensionSender | undefined;
  private receiver: ExtensionReceiver | undefined;
  private nSender: ExtensionSender | undefined;
  private nReceiver: ExtensionReceiver | undefined;
  // The hash of each extension instance, beside it: the tweak counters follow that instance's OTs.
  private sendHash: OtHash | undefined;
  private recvHash: OtHash | undefined;
  private nSendHash: OtHash | undefined;
  private nRecvHash: OtHash | undefined;
  /** The session salt of the OT hash (public), once setup has received the peer's nonce. */
  private salt: Uint8Array | undefined;
  // Hash inputs and outputs live in kernel memory beside the transposed matrices, where the hash runs in place.
  // Each batch reserves them before the extension step takes its views (growth would detach those).
  private readonly hashOut = new KernelScratch();
  private readonly hashIn = new KernelScratch();
  private readonly choiceBatch = new KernelScratch();
  private readonly columns = new KernelScratch();
  private readonly sRepeated = new KernelScratch();
  private readonly spread = new KernelScratch();
  /** C(x) ∧ s of the current 1-of-N send, where the pad kernels read it. */
  private readonly codes = new KernelScratch();
  /** The 1-of-N sender's messages of one batch, xored with their pads in place. */
  private readonly pads = new KernelScratch();
  private readonly wire = new Scratch();
  // Lanes on their way out (before packing) and packed payloads: large per call, so they are reused rather than
  // allocated (fresh pages are slow to fault in).
  private readonly lanesOut = new Scratch();
  private readonly packed = new Scratch();
  /** C(x) ∧ s for the 1-of-N sender, per N: 32 bytes per x. */
  private readonly maskedCode = new Map<number, Uint8Array>();
  private readonly order: OtOrder;
  readonly ot: OtChoice;
  // Ferret: the silent OT of each direction with its plan (the counts once the queued calls have run), its 1-of-N
  // key hash, the queue that runs its calls' takes in call order and the number of its next correction frame;
  // Δ of the sending direction as words, the corrections being gathered into a frame and the frame being read.
  private ferretSend: FerretCotSender | undefined;
  private ferretRecv: FerretCotReceiver | undefined;
  private sendPlan: FerretPlan | undefined;
  private recvPlan: FerretPlan | undefined;
  private recvChoices: ChoicePredictor | undefined;
  private keySendHash: OtHash | undefined;
  private keyRecvHash: OtHash | undefined;
  private sendTail: Promise<unknown> = Promise.resolve();
  private recvTail: Promise<unknown> = Promise.resolve();
  private bundlesSent = 0;
  private bundlesReceived = 0;
  private deltaWords = new Uint32Array(4);
  private outChunks: Uint8Array[] = [];
  private inBundle: Uint8Array = new Uint8Array(0);
  private inAt = 0;
  private readonly rows = new KernelScratch();
  private readonly level = new KernelScratch();
  /** The bits of d a Ferret correction reads (`correct`). */
  private readonly dBits = new KernelScratch();

  constructor(
    private readonly ch: Channel,
    private readonly prg: Prg,
    readonly role: Role,
    opts: OtPackOptions = {},
  ) {
    if (role !== "server" && role !== "client") throw new TypeError(`OtPack: role must be "server" or "client", got ${String(role)}`);
    this.ot = checkOtChoice(opts.ot ?? "iknp", "OtPack: ot");
    this.order = new OtOrder(ch, role, this.ot === "iknp" ? iknpRequestBits : ferretRequestBits);
  }

  /** Base OTs for both directions (and for 1-of-N). Both parties call it at the same point. */
  async setup(): Promise<void> {
    if (this.salt) throw new Error("OtPack.setup: already set up");
    // 128 Chou–Orlandi OTs each way, in the same two flights: this party's extension receiver is their sender.
    // The first flight also carries this party's nonce for the session salt: no extra message or round.
    // On Ferret the flight also names the OT (one byte more), so parties on different OTs fail here, naming it.
    const nonce = this.prg.bytes(NONCE_BYTES);
    const base = new BaseOtSender(this.prg, IKNP_WIDTH);
    const otByte = this.ot === "iknp" ? new Uint8Array(0) : Uint8Array.of(OT_CHOICES.indexOf(this.ot));
    this.ch.send("ot.base.A", concat(concat(base.message, nonce), otByte));
    const s = this.prg.bytes(IKNP_WIDTH / 8);
    // Ferret's Δ is this secret: LSB 1 carries the receiver's choice bit in its COTs (127 bits of entropy, as emp).
    if (this.ot !== "iknp") s[0] |= 1;
    const first = await this.ch.recv("ot.base.A");
    this.checkPeerOt(first);
    const chosen = baseOtReceive(this.prg, first.subarray(0, POINT_BYTES), s, IKNP_WIDTH);
    this.ch.send("ot.base.B", chosen.reply);
    const peerNonce = first.subarray(POINT_BYTES, POINT_BYTES + NONCE_BYTES);
    this.salt = this.role === "server" ? sessionSalt(nonce, peerNonce) : sessionSalt(peerNonce, nonce);
    // The hash runs on the backend of the party's PRG, so a pack is all node:crypto or all WASM.
    const aes = aesOn(this.salt, this.prg.backend);
    const peer = this.role === "server" ? "client" : "server";
    const { k0, k1 } = base.finish(await this.ch.recv("ot.base.B"));
    this.receiver = new ExtensionReceiver(seededPrgs(this.prg, k0), seededPrgs(this.prg, k1));
    this.sender = new ExtensionSender(s, seededPrgs(this.prg, chosen.keys));
    this.recvHash = new OtHash(aes, "iknp", peer);
    this.sendHash = new OtHash(aes, "iknp", this.role);
    this.sRepeated.reserve(S_REPEAT_BYTES);
    spreadBlock(this.sRepeated.view(S_REPEAT_BYTES), s);
    const ferret = ferretParamsOf(this.ot);
    if (ferret !== undefined) {
      await this.setupFerret(ferret, aes);
      return;
    }
    // The 256 base OTs of each 1-of-N instance are random OTs of the IKNP instance running the same way.
    const sN = this.prg.bytes(KKOT_WIDTH / 8);
    const own = this.randomRecv(sN, request("setup", KKOT_WIDTH));
    const both = await this.randomSend(request("setup", KKOT_WIDTH), "setup");
    this.nReceiver = new ExtensionReceiver(seededPrgs(this.prg, both.m0), seededPrgs(this.prg, both.m1));
    this.nSender = new ExtensionSender(sN, seededPrgs(this.prg, await own));
    this.nRecvHash = new OtHash(aes, "kkot", peer);
    this.nSendHash = new OtHash(aes, "kkot", this.role);
  }

  /** The peer's first setup frame must name the same OT as ours. */
  private checkPeerOt(first: Uint8Array): void {
    const bytes = POINT_BYTES + NONCE_BYTES;
    if (first.length !== bytes && first.length !== bytes + 1) throw new ProtocolError(`ot.base.A: expected ${bytes} or ${bytes + 1} bytes, got ${first.length}`);
    const theirs = first.length === bytes ? "iknp" : (OT_CHOICES[first[bytes]] ?? `unknown OT ${first[bytes]}`);
    if (theirs === this.ot) return;
    const peer = this.role === "server" ? "client" : "server";
    const e = new ProtocolError(`OtPack: the parties chose different OTs (field ot): the ${this.role} ${this.ot}, the ${peer} ${theirs}`);
    this.ch.abort(e);
    throw e;
  }

  /**
   * Ferret in both directions, from the IKNP extensions just set up: the server's direction first (seed, then the
   * IKNP rows of its M base COTs back), then the client's, so the frames keep one order on the channel.
   */
  private async setupFerret(params: FerretParams, aes: Aes): Promise<void> {
    const salt = this.salt!;
    const peer = this.role === "server" ? "client" : "server";
    const link = { send: (c: Uint8Array) => void this.outChunks.push(c.slice()), recv: async (bytes: number) => this.nextCorrections(bytes) };
    const opts = (sender: Role) => ({ aes: ferretTreeAes(salt, this.prg.backend), tag: `ferret.${sender}`, link });
    const up = async () => {
      const sender = this.ready(this.sender, "setup");
      this.ferretSend = await FerretCotSender.create(this.ch, this.prg, params, opts(this.role), extensionCotSender(this.ch, sender, `ferret.${this.role}`));
    };
    const down = async () => {
      const receiver = this.ready(this.receiver, "setup");
      this.ferretRecv = await FerretCotReceiver.create(this.ch, this.prg, params, opts(peer), extensionCotReceiver(this.ch, this.prg, receiver, `ferret.${peer}`));
    };
    if (this.role === "server") {
      await up();
      await down();
    } else {
      await down();
      await up();
    }
    // The first COTs produced ahead now, both ways in one flight, so a session's first batch needs no ask either.
    const [sendF, recvF] = [this.ferretSend!, this.ferretRecv!];
    this.sendPlan = sendF.plan();
    this.recvPlan = recvF.plan();
    this.recvChoices = recvF.choices();
    this.sendPlan.fill(this.ahead(sendF));
    this.recvPlan.fill(this.ahead(recvF));
    const first = this.order.round(this.bundlesReceived++);
    await sendF.fill(this.ahead(sendF));
    this.ch.send(OT_TAG, this.sealCorrections(this.bundlesSent++));
    await this.readCorrections(first, this.ahead(recvF));
    this.deltaWords = new Uint32Array(this.ferretSend!.delta.slice().buffer);
    this.keySendHash = new OtHash(aes, "keys", this.role);
    this.keyRecvHash = new OtHash(aes, "keys", peer);
  }

  /** The corrections gathered since the last frame, as correction frame `id`. */
  private sealCorrections(id: number): Uint8Array {
    const bytes = this.outChunks.reduce((a, c) => a + c.length, 0);
    const frame = new Uint8Array(HEADER_BYTES + bytes);
    for (let o = HEADER_BYTES, k = 0; k < this.outChunks.length; o += this.outChunks[k].length, k++) frame.set(this.outChunks[k], o);
    this.outChunks = [];
    return writeHeader(frame, id, ROUND, request("round", 0));
  }

  /** The next `bytes` of the correction frame being read. */
  private nextCorrections(bytes: number): Uint8Array {
    if (this.inAt + bytes > this.inBundle.length) throw new ProtocolError(`Ferret corrections: a batch needs ${bytes} bytes, the frame has ${this.inBundle.length - this.inAt} left`);
    this.inAt += bytes;
    return this.inBundle.subarray(this.inAt - bytes, this.inAt);
  }

  /** Reads correction frame `frame` into the receiving direction's stream until `target` COTs are buffered. */
  private async readCorrections(frame: Promise<Uint8Array>, target: number): Promise<void> {
    this.inBundle = await frame;
    this.inAt = 0;
    await this.ferretRecv!.fill(target);
    if (this.inAt !== this.inBundle.length) throw new ProtocolError(`Ferret corrections: ${this.inBundle.length - this.inAt} bytes of a frame left over`);
  }

  /** COTs kept ahead by a direction. */
  private ahead(f: FerretCotSender | FerretCotReceiver): number {
    return Math.min(AHEAD, f.cotsPerRound);
  }

  /**
   * Send batch `id`'s n COTs (q), after those of earlier calls. Called at the call: what corrections flow is decided
   * on the plan now, and the ask (if the COTs are not produced yet) is queued now, as the request is.
   */
  private sendCots(n: number, id: number): Promise<{ q: Uint8Array; flush: () => void }> {
    const f = this.ready(this.ferretSend, "ferret");
    const plan = this.sendPlan!;
    let asked: Promise<void> | undefined;
    let askFrame = -1;
    if (plan.fill(n)) {
      asked = this.order.ask(id);
      asked.catch(() => undefined);
      askFrame = this.bundlesSent++;
    }
    plan.take(n);
    const ahead = this.ahead(f);
    const aheadFrame = plan.fill(ahead) ? this.bundlesSent++ : -1;
    const p = this.sendTail.then(async () => {
      if (asked !== undefined) {
        await asked;
        await f.fill(n);
        this.ch.send(OT_TAG, this.sealCorrections(askFrame));
      }
      const q = await f.take(n);
      let after: Uint8Array | undefined;
      if (aheadFrame >= 0) {
        await f.fill(ahead);
        after = this.sealCorrections(aheadFrame);
      }
      return { q, flush: () => after !== undefined && this.ch.send(OT_TAG, after) };
    });
    this.sendTail = p.catch(() => undefined);
    return p;
  }

  /**
   * Receive batch `id`'s n COTs (t and its choice bits c), after those of earlier calls. Called at the call, like
   * `sendCots`: the ask goes out now and the receives of the correction frames are queued now.
   */
  private recvCots(n: number, id: number, req: OtRequest): Promise<{ t: Uint8Array; choices: Uint8Array }> {
    const f = this.ready(this.ferretRecv, "ferret");
    const plan = this.recvPlan!;
    let asked: Promise<Uint8Array> | undefined;
    if (plan.fill(n)) {
      this.ch.send(OT_TAG, writeHeader(new Uint8Array(HEADER_BYTES), id, ASK, req));
      asked = this.order.round(this.bundlesReceived++);
      asked.catch(() => undefined);
    }
    plan.take(n);
    const ahead = this.ahead(f);
    let after: Promise<Uint8Array> | undefined;
    if (plan.fill(ahead)) {
      after = this.order.round(this.bundlesReceived++);
      after.catch(() => undefined);
    }
    const p = this.recvTail.then(async () => {
      if (asked !== undefined) await this.readCorrections(asked, n);
      return f.take(n);
    });
    // The corrections produced ahead come after this batch's request: read them in the queue, after the take.
    this.recvTail = p.then(() => (after === undefined ? undefined : this.readCorrections(after, ahead))).catch(() => undefined);
    return p;
  }

  /**
   * Correlated OT, additive mod 2^l. The sender gets uniform x0[i]; the receiver with choice bit b_i gets
   * x0[i] + b_i·delta[i] mod 2^l. Any party may be sender; the peer makes the matching call. delta is read mod 2^l.
   */
  async cotSend(delta: BigUint64Array, l: number): Promise<BigUint64Array> {
    checkValues(delta, "cotSend", "delta");
    const mask = laneMask(checkL(l, "cotSend"));
    const n = delta.length;
    const req = request("cot", n, l);
    const batch = await this.wireFrom(req, "cotSend");
    if (n === 0) return new BigUint64Array(0);
    // x0 = H(q) and y = x0 + delta − H(q ⊕ s) mod 2^l, in the kernel; y is packed into the reply there.
    const blocks = kernelBlocks([8 * n, 8 * n, 8 * n, HEADER_BYTES + 4 * Math.ceil((n * l) / 32)]);
    const [x, y, d, frame] = blocks.ptrs;
    try {
      const w = wasm();
      const k = mpcKernels(w);
      w.u64(d, n).set(delta);
      this.extendSend(batch, n, (hash, q, from, count) => {
        k.lowLanes(x + 8 * from, this.hashRows(hash, q, count, false).byteOffset, count, mask);
        k.cotSendLanes(y + 8 * from, x + 8 * from, d + 8 * from, this.hashRows(hash, q, count, true).byteOffset, count, mask);
      });
      k.packBitLanes(frame + HEADER_BYTES, y, n, l);
      this.ch.send(OT_TAG, writeHeader(w.u8(frame, HEADER_BYTES + lanesBytes(n, l)), batch.id, REPLY, req));
      batch.flush();
      return w.u64(x, n).slice();
    } finally {
      blocks.free();
    }
  }

  async cotRecv(choices: Uint8Array, n: number, l: number): Promise<BigUint64Array> {
    checkChoices(choices, n, "cotRecv");
    const mask = laneMask(checkL(l, "cotRecv"));
    const req = request("cot", n, l);
    const bytes = lanesBytes(n, l);
    // H(t) mod 2^l per OT, then + c·y from the reply, in kernel blocks that outlive the wait for the reply.
    const blocks = kernelBlocks([8 * n, bytes + 8, (n + 7) >>> 3]);
    const [out, packed, bits] = blocks.ptrs;
    try {
      const k = mpcKernels();
      const frame = await this.extendRecv(req, choices, (hash, t, from, count) => k.lowLanes(out + 8 * from, this.hashRows(hash, t, count, false).byteOffset, count, mask), bytes);
      if (frame === undefined) return new BigUint64Array(0);
      const w = wasm();
      copyPacked(packed, frame, bytes);
      w.u8(bits, (n + 7) >>> 3).set(choices.subarray(0, (n + 7) >>> 3));
      k.cotRecvLanes(out, packed, bits, n, l);
      return w.u64(out, n).slice();
    } finally {
      blocks.free();
    }
  }

  /** Chosen-message 1-of-2 OT with l-bit messages (1 ≤ l ≤ 64); messages are read mod 2^l. */
  async otSend(m0: BigUint64Array, m1: BigUint64Array, l: number): Promise<void> {
    checkValues(m0, "otSend", "m0");
    checkValues(m1, "otSend", "m1");
    if (m0.length !== m1.length) throw new RangeError(`otSend: m0 and m1 differ in length (${m0.length} and ${m1.length})`);
    checkL(l, "otSend");
    const n = m0.length;
    const req = request("ot", n, l);
    const batch = await this.wireFrom(req, "otSend");
    const e = this.u64Scratch(this.lanesOut, 2 * n);
    const ew = u32(e);
    const a = u32(m0);
    const b = u32(m1);
    // e[2i] = m0 ⊕ H(q), e[2i + 1] = m1 ⊕ H(q ⊕ s); bits above l are dropped by the packing.
    this.extendSend(batch, n, (hash, q, from, count) => {
      const h0 = words(this.hashRows(hash, q, count, false));
      for (let i = 0, k = 2 * from; i < count; i++, k += 2) {
        ew[2 * k] = a[k] ^ h0[4 * i];
        ew[2 * k + 1] = a[k + 1] ^ h0[4 * i + 1];
      }
      const h1 = words(this.hashRows(hash, q, count, true));
      for (let i = 0, k = 2 * from; i < count; i++, k += 2) {
        ew[2 * k + 2] = b[k] ^ h1[4 * i];
        ew[2 * k + 3] = b[k + 1] ^ h1[4 * i + 1];
      }
    });
    if (n > 0) this.ch.send(OT_TAG, this.pack(e, 2 * n, batch.id, req));
    batch.flush();
  }

  async otRecv(choices: Uint8Array, n: number, l: number): Promise<BigUint64Array> {
    checkChoices(choices, n, "otRecv");
    checkL(l, "otRecv");
    const req = request("ot", n, l);
    // H(t) per OT in a kernel block that outlives the wait for the reply; the reply is the 1-of-N stream for N = 2.
    const blocks = kernelBlocks([8 * n]);
    const [out] = blocks.ptrs;
    try {
      const frame = await this.extendRecv(req, choices, (hash, t, from, count) => mpcKernels().lowLanes(out + 8 * from, this.hashRows(hash, t, count, false).byteOffset, count, -1n), lanesBytes(2 * n, l));
      if (frame === undefined) return new BigUint64Array(0);
      const c = new Uint8Array(n);
      for (let i = 0; i < n; i++) c[i] = bit(choices, i);
      return this.pickChosen(out, frame, c, 2, l);
    } finally {
      blocks.free();
    }
  }

  /** Chosen-message 1-of-N OT, N = 2^k (2 ≤ N ≤ 256), l-bit messages; msgs[i*N + j] is message j of instance i. */
  async otNSend(msgs: BigUint64Array, N: number, l: number): Promise<void> {
    checkValues(msgs, "otNSend", "msgs");
    checkN(N, "otNSend");
    checkL(l, "otNSend");
    if (msgs.length % N !== 0) throw new RangeError(`otNSend: msgs length ${msgs.length} is not a multiple of N = ${N}`);
    const n = msgs.length / N;
    // A fresh array: the packed messages are read after an await, when a concurrent call may reuse any scratch.
    return this.otNSendPacked(packLanes(msgs, n * N, l), n, N, l);
  }

  /**
   * `otNSend` with the messages packed as the wire carries them (`packLanes`): message j of instance i at bits
   * [(i·N + j)·l, (i·N + j + 1)·l) of `msgs`, which must hold ⌈n·N·l/8⌉ bytes. Spares small messages (the
   * millionaire's 2-bit ones) the 64-bit lanes.
   */
  async otNSendPacked(msgs: Uint8Array, n: number, N: number, l: number): Promise<void> {
    if (!(msgs instanceof Uint8Array)) throw new TypeError("otNSendPacked: msgs must be a Uint8Array of packed l-bit messages");
    checkCount(n, "otNSendPacked");
    checkN(N, "otNSendPacked");
    checkL(l, "otNSendPacked");
    const need = lanesBytes(n * N, l);
    if (msgs.length < need) throw new RangeError(`otNSendPacked: msgs must hold ${n} × ${N} messages of ${l} bits (${need} bytes), got ${msgs.length} bytes`);
    if (this.ot !== "iknp") return this.otNSendFerret(msgs, N, l, n);
    const sender = this.ready(this.nSender, "otNSend");
    const hash = this.ready(this.nSendHash, "otNSend");
    const req = request("otn", n, l, N);
    const { wire, id } = await this.wireFrom(req, "otNSend");
    const code = this.codeAndS(N, sender.s);
    // Into kernel memory once per call: the loop's reserves below leave this scratch where it is.
    this.codes.reserve(code.length);
    this.codes.view(code.length).set(code);
    const reply = this.replyFrame(n * N, l);
    const batch = kkotBatch(N);
    for (let from = 0, at = 0; from < n; from += batch) {
      const count = Math.min(batch, n - from);
      const bytes = 16 * count * N;
      sender.reserve(padded(count));
      this.hashIn.reserve(bytes);
      this.hashOut.reserve(bytes);
      this.pads.reserve(padBytes(count * N, l));
      hash.batch(count);
      const [qa, qb] = sender.expand(padded(count), count, wire, at);
      at += (KKOT_WIDTH / 8) * count;
      // Pads H(q^i ⊕ (C(x) ∧ s)) for every x, instance by instance. The pad for the receiver's choice is its H(t^i).
      const codes = this.codes.view(code.length);
      const hb = this.hashOut.view(bytes);
      hash.codedPairs(qa.subarray(0, 16 * count), qb.subarray(0, 16 * count), codes, N, this.hashIn.view(bytes), hb);
      this.padBatch(msgs, reply, from, count, N, l, (e) => wasm().k.otnPads(e, e, hb.byteOffset, count * N, l));
    }
    if (n > 0) this.ch.send(OT_TAG, writeHeader(reply, id, REPLY, req));
  }

  async otNRecv(choices: Uint8Array, N: number, l: number): Promise<BigUint64Array> {
    if (!(choices instanceof Uint8Array)) throw new TypeError("otNRecv: choices must be a Uint8Array, one byte per instance");
    const k = checkN(N, "otNRecv");
    checkL(l, "otNRecv");
    const n = choices.length;
    for (let i = 0; i < n; i++) if (choices[i] >= N) throw new RangeError(`otNRecv: choices[${i}] = ${choices[i]} is not below N = ${N}`);
    if (this.ot !== "iknp") return this.otNRecvFerret(choices, N, k, l);
    const receiver = this.ready(this.nReceiver, "otNRecv");
    const hash = this.ready(this.nRecvHash, "otNRecv");
    if (n === 0) return new BigUint64Array(0);
    const batch = kkotBatch(N);
    const wire = this.wire.get(HEADER_BYTES + (KKOT_WIDTH / 8) * n);
    // H(t) per instance in a kernel block that outlives the wait for the reply.
    const blocks = kernelBlocks([8 * n]);
    const [out] = blocks.ptrs;
    try {
      const mpc = mpcKernels();
      for (let from = 0, at = HEADER_BYTES; from < n; from += batch) {
        const count = Math.min(batch, n - from);
        const m = padded(count);
        receiver.reserve(m);
        this.columns.reserve((m >>> 3) * (N + k));
        this.hashOut.reserve(16 * count);
        hash.batch(count);
        const cols = codeColumns(choices.subarray(from, from + count), m, k, this.columns.view((m >>> 3) * (N + k)));
        const colBytes = m >>> 3;
        const [ta, tb] = receiver.expand(m, count, (j) => cols.subarray((j & (N - 1)) * colBytes, ((j & (N - 1)) + 1) * colBytes), wire, at);
        at += (KKOT_WIDTH / 8) * count;
        const hb = this.hashOut.view(16 * count);
        hash.hashPairs(ta.subarray(0, 16 * count), tb.subarray(0, 16 * count), hb);
        mpc.lowLanes(out + 8 * from, hb.byteOffset, count, -1n);
      }
      const req = request("otn", n, l, N);
      const id = this.order.nextReceive();
      this.ch.send(OT_TAG, writeHeader(wire, id, REQUEST, req));
      return this.pickChosen(out, await this.order.reply(id, req, lanesBytes(n * N, l)), choices, N, l);
    } finally {
      blocks.free();
    }
  }

  /**
   * The 1-of-N receiver's messages: the low 8 bytes of its pads, lanes at `out` (kernel memory, overwritten), ⊕ the
   * chosen values of the reply's packed stream, mod 2^l.
   */
  private pickChosen(out: number, frame: Uint8Array, choices: Uint8Array, N: number, l: number): BigUint64Array {
    const n = choices.length;
    const bytes = lanesBytes(n * N, l);
    const blocks = kernelBlocks([bytes + 8, n]);
    const [packed, chosen] = blocks.ptrs;
    try {
      const w = wasm();
      copyPacked(packed, frame, bytes);
      w.u8(chosen, n).set(choices);
      mpcKernels(w).otnPick(out, packed, chosen, n, N, l);
      return w.u64(out, n).slice();
    } finally {
      blocks.free();
    }
  }

  /**
   * 1-of-N on Ferret, sender: k = log N COTs per instance, COT j·n + i serving bit j of instance i. Per batch, the
   * 2k key runs H_j(q_j ⊕ b·Δ) (stretched to B blocks when N/2 slots of l bits exceed one), then the pads
   * instance by instance.
   */
  private async otNSendFerret(msgs: Uint8Array, N: number, l: number, n: number): Promise<void> {
    const k = checkN(N, "otNSend");
    const B = slotBlocks(N, l);
    const hash = this.ready(this.keySendHash, "otNSend");
    const req = request("otn", n, l, N);
    const batch = await this.wireFrom(req, "otNSend", k);
    const reply = this.replyFrame(n * N, l);
    const perBatch = kkotBatch(N);
    for (let from = 0; from < n; from += perBatch) {
      const count = Math.min(perBatch, n - from);
      const run = 16 * count;
      this.rows.reserve(run);
      this.spread.reserve(run);
      this.hashIn.reserve(2 * k * run);
      if (B > 1) this.columns.reserve(2 * k * B * run);
      this.level.reserve(N * run);
      this.pads.reserve(padBytes(count * N, l));
      this.dBits.reserve(dBytes(count));
      hash.batchAt(batch.first + from, count);
      const q = this.rows.view(run);
      const delta = this.spread.view(run);
      spreadBlock(delta, new Uint8Array(this.deltaWords.buffer));
      const keys = this.hashIn.view(2 * k * run);
      for (let j = 0; j < k; j++) {
        const at = j * n + from;
        q.set(batch.cots!.subarray(16 * at, 16 * (at + count)));
        this.correct(q, batch.wire, at, count);
        const pair = keys.subarray(2 * j * run, (2 * j + 2) * run);
        pair.set(q);
        xorKernel(pair.subarray(run), q, delta);
        hash.hashStage(pair, pair, j);
      }
      const streams = B > 1 ? this.columns.view(2 * k * B * run) : keys;
      if (B > 1) hash.stretch(keys, 2 * k * count, B, streams);
      const w = wasm();
      if (B === 1 && (N * l === 32 || N * l === 64)) {
        // An instance's pads fill whole words of the reply: built and applied in one pass.
        this.padBatch(msgs, reply, from, count, N, l, (e) => w.k.ferretNpReply(e, e, streams.byteOffset, count, k, l));
      } else {
        const pads = this.level.view(N * run);
        w.k.ferretNpPads(pads.byteOffset, streams.byteOffset, count, k, l, B);
        this.padBatch(msgs, reply, from, count, N, l, (e) => w.k.otnPads(e, e, pads.byteOffset, count * N, l));
      }
    }
    if (batch.cots !== undefined) this.ferretSend!.recycle(batch.cots);
    if (n > 0) this.ch.send(OT_TAG, writeHeader(reply, batch.id, REPLY, req));
    batch.flush();
  }

  /** 1-of-N on Ferret, receiver: pad_c = ⊕_j slot c of the stream of H_j(t_j). */
  private async otNRecvFerret(choices: Uint8Array, N: number, k: number, l: number): Promise<BigUint64Array> {
    const B = slotBlocks(N, l);
    const hash = this.ready(this.keyRecvHash, "otNRecv");
    const n = choices.length;
    if (n === 0) return new BigUint64Array(0);
    const req = request("otn", n, l, N);
    const id = this.order.nextReceive();
    const first = hash.reserve(n);
    const cots = this.recvCots(n * k, id, req);
    // Bit j of every choice, plane after plane: COT j·n + i serves bit j of instance i.
    const b = new Uint8Array((n * k + 7) >>> 3);
    wasm().lend([choices, b], [b], (pc, pb) => wasm().k.bitPlanes(pb, pc, n, k));
    const c = this.recvChoices!.next(n * k);
    this.ch.send(OT_TAG, writeHeader(this.corrections(b, c, n * k), id, REQUEST, req));
    const reply = this.expectReply(id, req, lanesBytes(n * N, l))!;
    // The chosen pads per instance in a kernel block that outlives the waits.
    const blocks = kernelBlocks([8 * n]);
    const [out] = blocks.ptrs;
    try {
      const { t } = checkPredicted(c, await cots);
      const perBatch = kkotBatch(N);
      for (let from = 0; from < n; from += perBatch) {
        const count = Math.min(perBatch, n - from);
        const run = 16 * count;
        this.rows.reserve(k * run);
        if (B > 1) this.columns.reserve(k * B * run);
        this.hashOut.reserve(run);
        this.choiceBatch.reserve(count);
        hash.batchAt(first + from, count);
        const keys = this.rows.view(k * run);
        for (let j = 0; j < k; j++) {
          const at = j * n + from;
          const r = keys.subarray(j * run, (j + 1) * run);
          r.set(t.subarray(16 * at, 16 * (at + count)));
          hash.hashStage(r, r, j);
        }
        const streams = B > 1 ? this.columns.view(k * B * run) : keys;
        if (B > 1) hash.stretch(keys, k * count, B, streams);
        const cb = this.choiceBatch.view(count);
        cb.set(choices.subarray(from, from + count));
        const h = this.hashOut.view(run);
        const w = wasm();
        w.k.ferretNpPick(h.byteOffset, streams.byteOffset, cb.byteOffset, count, k, l, B);
        mpcKernels(w).lowLanes(out + 8 * from, h.byteOffset, count, -1n);
      }
      this.ferretRecv!.recycle(t);
      return this.pickChosen(out, await reply, choices, N, l);
    } finally {
      blocks.free();
    }
  }

  /** Random OT with 128-bit messages, 16 bytes per instance, concatenated. */
  async rotSend(n: number): Promise<{ m0: Uint8Array; m1: Uint8Array }> {
    checkCount(n, "rotSend");
    return this.randomSend(request("rot", n), "rotSend");
  }

  async rotRecv(choices: Uint8Array, n: number): Promise<Uint8Array> {
    checkChoices(choices, n, "rotRecv");
    return this.randomRecv(choices, request("rot", n));
  }

  /**
   * `rotSend` with the messages left in kernel memory where they were hashed: m0 and m1 point to 16·n bytes each.
   * The caller reads them there (taking views afresh after any allocation) and calls `free` once done.
   */
  async rotSendBlocks(n: number): Promise<RotSendBlocks> {
    checkCount(n, "rotSendBlocks");
    return this.randomSendBlocks(request("rot", n), "rotSendBlocks");
  }

  /** `rotRecv` with the messages left in kernel memory (16·n bytes at m), as `rotSendBlocks`. */
  async rotRecvBlocks(choices: Uint8Array, n: number): Promise<RotRecvBlocks> {
    checkChoices(choices, n, "rotRecvBlocks");
    return this.randomRecvBlocks(choices, request("rot", n));
  }

  private async randomSend(req: OtRequest, fn: string): Promise<{ m0: Uint8Array; m1: Uint8Array }> {
    const b = await this.randomSendBlocks(req, fn);
    const w = wasm();
    const out = { m0: w.u8(b.m0, 16 * req.n).slice(), m1: w.u8(b.m1, 16 * req.n).slice() };
    b.free();
    return out;
  }

  private async randomRecv(choices: Uint8Array, req: OtRequest): Promise<Uint8Array> {
    const b = await this.randomRecvBlocks(choices, req);
    const out = wasm().u8(b.m, 16 * req.n).slice();
    b.free();
    return out;
  }

  private async randomSendBlocks(req: OtRequest, fn: string): Promise<RotSendBlocks> {
    const parts = this.parts(req.n);
    // Every part's batch number is taken now, and all parts are hashed in one go, as the receiver makes them: no
    // other call's batch or hash index can fall between them on either side.
    const batches = await Promise.all(parts.map(([, count]) => this.wireFrom(request("rot", count), fn)));
    const blocks = kernelBlocks([16 * req.n, 16 * req.n]);
    const [m0, m1] = blocks.ptrs;
    try {
      for (let k = 0; k < parts.length; k++) {
        const [at, count] = parts[k];
        // The batch's views are taken after its reserves, the outputs' right before the hash writes them.
        this.extendSend(batches[k], count, (hash, q, from, rows) => {
          const part = q.subarray(0, 16 * rows);
          hash.hash(part, wasm().u8(m0 + 16 * (at + from), 16 * rows));
          this.xorS(part);
          hash.hash(part, wasm().u8(m1 + 16 * (at + from), 16 * rows));
        });
      }
    } catch (err) {
      blocks.free();
      throw err;
    }
    for (const b of batches) b.flush();
    return { m0, m1, free: blocks.free };
  }

  private async randomRecvBlocks(choices: Uint8Array, req: OtRequest): Promise<RotRecvBlocks> {
    this.ready(this.recvHash, "rotRecv");
    const blocks = kernelBlocks([16 * req.n]);
    const [m] = blocks.ptrs;
    try {
      // An IKNP part runs to its send before extendRecv returns its promise, so the parts stay in order.
      const parts = this.parts(req.n).map(([at, count]) =>
        this.extendRecv(request("rot", count), choices.subarray(at >>> 3), (hash, t, from, rows) =>
          hash.hash(t.subarray(0, 16 * rows), wasm().u8(m + 16 * (at + from), 16 * rows)),
        ),
      );
      await Promise.all(parts);
    } catch (err) {
      blocks.free();
      throw err;
    }
    return { m, free: blocks.free };
  }

  /** [first OT, count] of each batch a random-OT call of n runs as: PART_OTS each on IKNP, one batch on Ferret. */
  private parts(n: number): [number, number][] {
    if (this.ot !== "iknp" || n <= PART_OTS) return [[0, n]];
    const parts: [number, number][] = [];
    for (let at = 0; at < n; at += PART_OTS) parts.push([at, Math.min(PART_OTS, n - at)]);
    return parts;
  }

  private ready<T>(x: T | undefined, fn: string): T {
    if (x === undefined) throw new Error(`OtPack.${fn}: call setup() first`);
    return x;
  }

  /**
   * Receiver side of a 1-of-2 extension: sends u for all n OTs in one frame (on Ferret: d = b ⊕ c), handing each
   * batch's t to `use`. Returns the batch number (none, −1, for zero OTs, which travel as no frame).
   */
  private async extendRecv(
    req: OtRequest,
    choices: Uint8Array,
    use: (hash: OtHash, t: Uint8Array, from: number, count: number) => void,
    replyBytes = -1,
  ): Promise<Uint8Array | undefined> {
    const hash = this.ready(this.recvHash, "extension");
    const n = req.n;
    if (n === 0) return undefined;
    if (this.ot !== "iknp") {
      // Everything this batch receives is expected now, and its request goes out now, as on IKNP: d needs only the
      // predicted choice bits, not the COTs themselves.
      const id = this.order.nextReceive();
      const first = hash.reserve(n);
      const cots = this.recvCots(n, id, req);
      const c = this.recvChoices!.next(n);
      this.ch.send(OT_TAG, writeHeader(this.corrections(choices, c, n), id, REQUEST, req));
      const reply = this.expectReply(id, req, replyBytes);
      const { t } = checkPredicted(c, await cots);
      this.ferretRows(t, n, hash, first, (rows, from, count) => use(hash, rows, from, count));
      this.ferretRecv!.recycle(t);
      return reply;
    }
    const receiver = this.ready(this.receiver, "extension");
    const wire = this.wire.get(HEADER_BYTES + (IKNP_WIDTH / 8) * n);
    for (let from = 0, at = HEADER_BYTES; from < n; from += BATCH) {
      const count = Math.min(BATCH, n - from);
      const m = padded(count);
      receiver.reserve(m);
      this.choiceBatch.reserve(m >>> 3);
      this.hashOut.reserve(16 * count);
      hash.batch(count);
      const r = this.choiceBatch.view(m >>> 3);
      r.fill(0);
      r.set(choices.subarray(from >>> 3, (from + count + 7) >>> 3));
      if (count & 7) r[count >>> 3] &= (1 << (count & 7)) - 1;
      const [t] = receiver.expand(m, count, () => r, wire, at);
      at += (IKNP_WIDTH / 8) * count;
      use(hash, t, from, count);
    }
    const id = this.order.nextReceive();
    this.ch.send(OT_TAG, writeHeader(wire, id, REQUEST, req));
    return this.expectReply(id, req, replyBytes);
  }

  /** The reply of receive batch `id` (none for `bytes` < 0), its receive queued now. */
  private expectReply(id: number, req: OtRequest, bytes: number): Promise<Uint8Array> | undefined {
    if (bytes < 0) return undefined;
    const reply = this.order.reply(id, req, bytes);
    reply.catch(() => undefined);
    return reply;
  }

  /** A request frame (header space, then d = b ⊕ c, n bits): the wanted choices b against the COTs' c. */
  private corrections(b: Uint8Array, c: Uint8Array, n: number): Uint8Array {
    const bytes = (n + 7) >>> 3;
    const frame = new Uint8Array(HEADER_BYTES + bytes);
    for (let k = 0; k < bytes; k++) frame[HEADER_BYTES + k] = b[k] ^ c[k];
    if (n & 7) frame[HEADER_BYTES + bytes - 1] &= (1 << (n & 7)) - 1;
    return frame;
  }

  /**
   * q ⊕= Δ where bit at + i of d is set, for the `count` rows of q (kernel memory): the sender's half of derandomising
   * Ferret COTs. `dBits` must be reserved to `dBytes(count)` before q's view was taken.
   */
  private correct(q: Uint8Array, d: Uint8Array, at: number, count: number): void {
    const bytes = ((at & 7) + count + 7) >>> 3;
    const bits = this.dBits.view(bytes);
    bits.set(d.subarray(at >>> 3, (at >>> 3) + bytes));
    const [d0, d1, d2, d3] = this.deltaWords;
    wasm().k.xorDeltaWhere(q.byteOffset, bits.byteOffset, at & 7, count, d0, d1, d2, d3);
  }

  /** Ferret COT rows in batches, copied into kernel memory (where the hash runs) for `use`, hash batches started. */
  private ferretRows(cots: Uint8Array, n: number, hash: OtHash, first: number, use: (rows: Uint8Array, from: number, count: number) => void): void {
    for (let from = 0; from < n; from += BATCH) {
      const count = Math.min(BATCH, n - from);
      this.rows.reserve(16 * count);
      this.hashOut.reserve(16 * count);
      this.dBits.reserve(dBytes(count));
      hash.batchAt(first + from, count);
      const rows = this.rows.view(16 * count);
      rows.set(cots.subarray(16 * from, 16 * (from + count)));
      use(rows, from, count);
    }
  }

  /**
   * The receiver's request for this party's next send batch, once setup is done, with the batch number; on Ferret
   * also the batch's COTs, taken before the request is awaited (the receiver needs their corrections to send it),
   * and the first hash index of its OTs (`cotsPerOt` COTs and one hash index per OT). Zero OTs travel as no frame
   * and take no number.
   */
  private async wireFrom(req: OtRequest, fn: string, cotsPerOt = 1): Promise<SendBatch> {
    const hash = this.ready(req.kind === "otn" && this.ot !== "iknp" ? this.keySendHash : this.sendHash, fn);
    const none = () => {};
    if (req.n === 0) return { wire: new Uint8Array(0), id: -1, first: 0, flush: none };
    const id = this.order.nextSend();
    if (this.ot === "iknp") return { wire: await this.order.request(id, req), id, first: 0, flush: none };
    const first = hash.reserve(req.n);
    const cots = this.sendCots(req.n * cotsPerOt, id);
    const wire = await this.order.request(id, req);
    const { q, flush } = await cots;
    return { wire, id, cots: q, first, flush };
  }

  /** Sender side of a 1-of-2 extension: hands each batch's q to `use` (on Ferret: q ⊕ d·Δ). */
  private extendSend(batch: SendBatch, n: number, use: (hash: OtHash, q: Uint8Array, from: number, count: number) => void): void {
    const hash = this.ready(this.sendHash, "extension");
    if (batch.cots !== undefined) {
      this.ferretRows(batch.cots, n, hash, batch.first, (rows, from, count) => {
        this.correct(rows, batch.wire, from, count);
        use(hash, rows, from, count);
      });
      this.ferretSend!.recycle(batch.cots);
      return;
    }
    const sender = this.ready(this.sender, "extension");
    for (let from = 0, at = 0; from < n; from += BATCH) {
      const count = Math.min(BATCH, n - from);
      sender.reserve(padded(count));
      this.hashOut.reserve(16 * count);
      hash.batch(count);
      const [q] = sender.expand(padded(count), count, batch.wire, at);
      at += (IKNP_WIDTH / 8) * count;
      use(hash, q, from, count);
    }
  }

  /**
   * H of the first `count` rows of q (after q ^= s when `flip`) with the tweaks of the current batch, 16 bytes per
   * row. The result lives in scratch space: the next call overwrites it.
   */
  private hashRows(hash: OtHash, q: Uint8Array, count: number, flip: boolean): Uint8Array {
    const rows = q.subarray(0, 16 * count);
    if (flip) this.xorS(rows);
    const out = this.hashOut.view(16 * count);
    hash.hash(rows, out);
    return out;
  }

  /** n lanes of a scratch buffer: its contents are undefined and live until the next use of that scratch. */
  private u64Scratch(s: Scratch, n: number): BigUint64Array {
    const b = s.get(8 * n);
    return new BigUint64Array(b.buffer, b.byteOffset, n);
  }

  /** A reply frame for n packed l-bit values after the header, in a reused buffer (the channel copies it). */
  private replyFrame(n: number, l: number): Uint8Array {
    return this.packed.get(HEADER_BYTES + lanesBytes(n, l));
  }

  /**
   * The reply's values of the 1-of-N batch of `count` instances from instance `from`: the packed messages, copied into
   * `pads` (reserved before any view the kernel reads was taken), ⊕ their pads by `xorPads` on that copy.
   */
  private padBatch(msgs: Uint8Array, reply: Uint8Array, from: number, count: number, N: number, l: number, xorPads: (e: number) => void): void {
    // A batch starts at a multiple of 128 instances, so on a byte (indeed a word) of the stream.
    const at = (from * N * l) / 8;
    const bytes = lanesBytes(count * N, l);
    const pads = this.pads.view(padBytes(count * N, l));
    pads.set(msgs.subarray(at, at + bytes));
    xorPads(pads.byteOffset);
    reply.set(pads.subarray(0, bytes), HEADER_BYTES + at);
  }

  /** The reply of send batch `id`: n lanes packed after the header, in a reused buffer (the channel copies it). */
  private pack(v: BigUint64Array, n: number, id: number, req: OtRequest): Uint8Array {
    const buf = this.packed.get(HEADER_BYTES + 4 * Math.ceil((n * req.l) / 32));
    packLanes(v, n, req.l, buf.subarray(HEADER_BYTES));
    return writeHeader(buf.subarray(0, HEADER_BYTES + lanesBytes(n, req.l)), id, REPLY, req);
  }

  /** rows ^= s, row by row, against a block of s repeated (filled at setup). rows lie in kernel memory. */
  private xorS(rows: Uint8Array): void {
    const reps = this.sRepeated.view(S_REPEAT_BYTES);
    for (let o = 0; o < rows.length; o += S_REPEAT_BYTES) {
      const part = rows.subarray(o, o + S_REPEAT_BYTES);
      xorKernel(part, part, reps.subarray(0, part.length));
    }
  }

  /** C(x) ∧ s for x < N, cached per N. */
  private codeAndS(N: number, s: Uint8Array): Uint8Array {
    let c = this.maskedCode.get(N);
    if (c === undefined) this.maskedCode.set(N, (c = maskedCodewords(N, s)));
    return c;
  }
}
