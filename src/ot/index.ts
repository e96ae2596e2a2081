// The OT pack of one party: IKNP extension in both directions (this party is extension sender in one instance and
// extension receiver in the other) and the KKOT 1-of-N extension (λ = 256, Walsh–Hadamard code) in both directions.
// Every call is one flight from the OT receiver and at most one from the OT sender: u, 128 bits per OT (256 for
// 1-of-N), then l bits per OT (COT), 2l (chosen OT), N·l (1-of-N) or nothing (random OT), bit-packed, one frame
// each way. The work runs in batches (2^17 OTs) so memory stays bounded. A party's sends match the peer's receives
// in call order; frames find their call by the batch number in their header (order.ts), so calls may run
// concurrently in any interleaving.
// Every OT output is hashed with the session's salted hash and a tweak of its own (crhash.ts).
import type { Channel, Role } from "../net/channel.js";
import type { Prg } from "../core/prg.js";
import { aesOn } from "../core/aes.js";
import { wasm } from "../core/wasm.js";
import { ProtocolError } from "../net/errors.js";
import { BaseOtSender, baseOtReceive, KEY_BYTES, POINT_BYTES } from "./base.js";
import { ExtensionReceiver, ExtensionSender, padded } from "./extension.js";
import { OtHash } from "./crhash.js";
import { NONCE_BYTES, sessionSalt } from "./salt.js";
import { lanesBytes, packLanes, pickLanes, unpackLanes } from "../core/lanes.js";
import { HEADER_BYTES, OT_TAG, OtOrder, REPLY, REQUEST, writeHeader, type OtKind, type OtRequest } from "./order.js";
import { KernelScratch, Scratch, words, xorKernel } from "../core/scratch.js";
import { CODE_BITS, codeColumns, maskedCodewords, spreadBlock } from "./code.js";

const IKNP_WIDTH = 128;
const KKOT_WIDTH = CODE_BITS;
/**
 * OTs per IKNP batch: PRG rows of 16 KiB, the size node:crypto encrypts fastest per call, which the PRG writes
 * straight into the matrix (2^12 → 2^16 measured ≈6× less PRG time).
 */
const BATCH = 1 << 17;
/** Bytes of s repeated, for xoring s into many rows per kernel call. */
const S_REPEAT_BYTES = 16384;
/** Hash inputs per 1-of-N batch (batch × N). */
const KKOT_BLOCKS = 1 << 16;

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

function checkLength(frame: Uint8Array, bytes: number, tag: string): Uint8Array {
  if (frame.length !== bytes) throw new ProtocolError(`${tag}: expected ${bytes} bytes, got ${frame.length}`);
  return frame;
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
  /** The 1-of-N sender's messages of one batch, xored with their pads in place. */
  private readonly pads = new KernelScratch();
  private readonly wire = new Scratch();
  // Lanes on their way out (before packing) and in (after unpacking), and packed payloads: large per call, so they
  // are reused rather than allocated (fresh pages are slow to fault in).
  private readonly lanesOut = new Scratch();
  private readonly lanesIn = new Scratch();
  private readonly packed = new Scratch();
  /** C(x) ∧ s for the 1-of-N sender, per N: 32 bytes per x. */
  private readonly maskedCode = new Map<number, Uint8Array>();
  private readonly order: OtOrder;

  constructor(
    private readonly ch: Channel,
    private readonly prg: Prg,
    readonly role: Role,
  ) {
    if (role !== "server" && role !== "client") throw new TypeError(`OtPack: role must be "server" or "client", got ${String(role)}`);
    this.order = new OtOrder(ch, role);
  }

  /** Base OTs for both directions (and for 1-of-N). Both parties call it at the same point. */
  async setup(): Promise<void> {
    if (this.salt) throw new Error("OtPack.setup: already set up");
    // 128 Chou–Orlandi OTs each way, in the same two flights: this party's extension receiver is their sender.
    // The first flight also carries this party's nonce for the session salt: no extra message or round.
    const nonce = this.prg.bytes(NONCE_BYTES);
    const base = new BaseOtSender(this.prg, IKNP_WIDTH);
    this.ch.send("ot.base.A", concat(base.message, nonce));
    const s = this.prg.bytes(IKNP_WIDTH / 8);
    const first = checkLength(await this.ch.recv("ot.base.A"), POINT_BYTES + NONCE_BYTES, "ot.base.A");
    const chosen = baseOtReceive(this.prg, first.subarray(0, POINT_BYTES), s, IKNP_WIDTH);
    this.ch.send("ot.base.B", chosen.reply);
    const peerNonce = first.subarray(POINT_BYTES);
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
    // The 256 base OTs of each 1-of-N instance are random OTs of the IKNP instance running the same way.
    const sN = this.prg.bytes(KKOT_WIDTH / 8);
    const own = this.randomRecv(sN, request("setup", KKOT_WIDTH));
    const both = await this.randomSend(request("setup", KKOT_WIDTH), "setup");
    this.nReceiver = new ExtensionReceiver(seededPrgs(this.prg, both.m0), seededPrgs(this.prg, both.m1));
    this.nSender = new ExtensionSender(sN, seededPrgs(this.prg, own));
    this.nRecvHash = new OtHash(aes, "kkot", peer);
    this.nSendHash = new OtHash(aes, "kkot", this.role);
  }

  /**
   * Correlated OT, additive mod 2^l. The sender gets uniform x0[i]; the receiver with choice bit b_i gets
   * x0[i] + b_i·delta[i] mod 2^l. Any party may be sender; the peer makes the matching call. delta is read mod 2^l.
   */
  async cotSend(delta: BigUint64Array, l: number): Promise<BigUint64Array> {
    checkValues(delta, "cotSend", "delta");
    const [lo, hi] = checkL(l, "cotSend");
    const n = delta.length;
    const req = request("cot", n, l);
    const [wire, id] = await this.wireFrom(req, "cotSend");
    const x0 = new BigUint64Array(n);
    const y = this.u64Scratch(this.lanesOut, n);
    const x = u32(x0);
    const d = u32(delta);
    const yw = u32(y);
    // x0 = H(q) and y = x0 + delta − H(q ⊕ s), mod 2^l on 32-bit halves (the borrow is ⌊low / 2^32⌋).
    this.extendSend(wire, n, (hash, q, from, count) => {
      const h0 = words(this.hashRows(hash, q, count, false));
      for (let i = 0, k = 2 * from; i < count; i++, k += 2) {
        x[k] = h0[4 * i] & lo;
        x[k + 1] = h0[4 * i + 1] & hi;
      }
      const h1 = words(this.hashRows(hash, q, count, true));
      for (let i = 0, k = 2 * from; i < count; i++, k += 2) {
        const low = x[k] + d[k] - h1[4 * i];
        yw[k] = low & lo;
        yw[k + 1] = (x[k + 1] + d[k + 1] - h1[4 * i + 1] + Math.floor(low / 2 ** 32)) & hi;
      }
    });
    if (n > 0) this.ch.send(OT_TAG, this.pack(y, n, id, req));
    return x0;
  }

  async cotRecv(choices: Uint8Array, n: number, l: number): Promise<BigUint64Array> {
    checkChoices(choices, n, "cotRecv");
    const [lo, hi] = checkL(l, "cotRecv");
    const out = new BigUint64Array(n);
    const o = u32(out);
    const req = request("cot", n, l);
    const id = this.extendRecv(req, choices, (hash, t, from, count) => this.takeLow(words(this.hashRows(hash, t, count, false)), o, from, count));
    if (n === 0) return out;
    const frame = await this.order.reply(id, req, lanesBytes(n, l));
    const y = u32(unpackLanes(frame, n, l, this.u64Scratch(this.lanesIn, n)));
    for (let i = 0; i < n; i++) {
      if (bit(choices, i)) {
        const low = o[2 * i] + y[2 * i];
        o[2 * i] = low & lo;
        o[2 * i + 1] = (o[2 * i + 1] + y[2 * i + 1] + (low > 0xffffffff ? 1 : 0)) & hi;
      } else {
        o[2 * i] &= lo;
        o[2 * i + 1] &= hi;
      }
    }
    return out;
  }

  /** Chosen-message 1-of-2 OT with l-bit messages (1 ≤ l ≤ 64); messages are read mod 2^l. */
  async otSend(m0: BigUint64Array, m1: BigUint64Array, l: number): Promise<void> {
    checkValues(m0, "otSend", "m0");
    checkValues(m1, "otSend", "m1");
    if (m0.length !== m1.length) throw new RangeError(`otSend: m0 and m1 differ in length (${m0.length} and ${m1.length})`);
    checkL(l, "otSend");
    const n = m0.length;
    const req = request("ot", n, l);
    const [wire, id] = await this.wireFrom(req, "otSend");
    const e = this.u64Scratch(this.lanesOut, 2 * n);
    const ew = u32(e);
    const a = u32(m0);
    const b = u32(m1);
    // e[2i] = m0 ⊕ H(q), e[2i + 1] = m1 ⊕ H(q ⊕ s); bits above l are dropped by the packing.
    this.extendSend(wire, n, (hash, q, from, count) => {
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
    if (n > 0) this.ch.send(OT_TAG, this.pack(e, 2 * n, id, req));
  }

  async otRecv(choices: Uint8Array, n: number, l: number): Promise<BigUint64Array> {
    checkChoices(choices, n, "otRecv");
    const [lo, hi] = checkL(l, "otRecv");
    const out = new BigUint64Array(n);
    const o = u32(out);
    const req = request("ot", n, l);
    const id = this.extendRecv(req, choices, (hash, t, from, count) => this.takeLow(words(this.hashRows(hash, t, count, false)), o, from, count));
    if (n === 0) return out;
    const frame = await this.order.reply(id, req, lanesBytes(2 * n, l));
    const e = u32(pickLanes(frame, l, n, (i) => 2 * i + bit(choices, i), this.u64Scratch(this.lanesIn, n)));
    for (let i = 0; i < n; i++) {
      o[2 * i] = (o[2 * i] ^ e[2 * i]) & lo;
      o[2 * i + 1] = (o[2 * i + 1] ^ e[2 * i + 1]) & hi;
    }
    return out;
  }

  /** Chosen-message 1-of-N OT, N = 2^k (2 ≤ N ≤ 256), l-bit messages; msgs[i*N + j] is message j of instance i. */
  async otNSend(msgs: BigUint64Array, N: number, l: number): Promise<void> {
    checkValues(msgs, "otNSend", "msgs");
    checkN(N, "otNSend");
    checkL(l, "otNSend");
    if (msgs.length % N !== 0) throw new RangeError(`otNSend: msgs length ${msgs.length} is not a multiple of N = ${N}`);
    const n = msgs.length / N;
    const sender = this.ready(this.nSender, "otNSend");
    const hash = this.ready(this.nSendHash, "otNSend");
    const req = request("otn", n, l, N);
    const [wire, id] = await this.wireFrom(req, "otNSend");
    const code = this.codeAndS(N, sender.s);
    const e = this.u64Scratch(this.lanesOut, n * N);
    const batch = kkotBatch(N);
    for (let from = 0, at = 0; from < n; from += batch) {
      const count = Math.min(batch, n - from);
      const bytes = 16 * count * N;
      sender.reserve(padded(count));
      this.hashIn.reserve(2 * bytes);
      this.hashOut.reserve(bytes);
      this.spread.reserve(16 * count);
      this.pads.reserve(8 * count * N);
      hash.batch(count);
      const [qa, qb] = sender.expand(padded(count), count, wire, at);
      at += (KKOT_WIDTH / 8) * count;
      // Pads H(q^i ⊕ (C(x) ∧ s)) for every x, x-major: for each x the whole batch's q halves against C(x) ∧ s
      // spread over a batch-long buffer, in the SIMD kernel. The pad for the receiver's choice is its H(t^i).
      const rowBytes = 16 * count;
      const ab = this.hashIn.view(2 * bytes);
      const a = ab.subarray(0, bytes);
      const b = ab.subarray(bytes);
      const spread = this.spread.view(rowBytes);
      for (let x = 0; x < N; x++) {
        spreadBlock(spread, code.subarray(32 * x, 32 * x + 16));
        xorKernel(a.subarray(x * rowBytes, (x + 1) * rowBytes), qa.subarray(0, rowBytes), spread);
        spreadBlock(spread, code.subarray(32 * x + 16, 32 * x + 32));
        xorKernel(b.subarray(x * rowBytes, (x + 1) * rowBytes), qb.subarray(0, rowBytes), spread);
      }
      const hb = this.hashOut.view(bytes);
      hash.hashPairs(a, b, hb);
      // e = msgs ⊕ pads in the kernel, on a copy of the batch's messages in kernel memory.
      const lanes = count * N;
      const pads = this.pads.view(8 * lanes);
      pads.set(new Uint8Array(msgs.buffer, msgs.byteOffset + 8 * from * N, 8 * lanes));
      wasm().k.otnPads(pads.byteOffset, pads.byteOffset, hb.byteOffset, count, N);
      new Uint8Array(e.buffer, e.byteOffset + 8 * from * N, 8 * lanes).set(pads);
    }
    if (n > 0) this.ch.send(OT_TAG, this.pack(e, n * N, id, req));
  }

  async otNRecv(choices: Uint8Array, N: number, l: number): Promise<BigUint64Array> {
    if (!(choices instanceof Uint8Array)) throw new TypeError("otNRecv: choices must be a Uint8Array, one byte per instance");
    const k = checkN(N, "otNRecv");
    const [lo, hi] = checkL(l, "otNRecv");
    const n = choices.length;
    for (let i = 0; i < n; i++) if (choices[i] >= N) throw new RangeError(`otNRecv: choices[${i}] = ${choices[i]} is not below N = ${N}`);
    const receiver = this.ready(this.nReceiver, "otNRecv");
    const hash = this.ready(this.nRecvHash, "otNRecv");
    const out = new BigUint64Array(n);
    const o = u32(out);
    const batch = kkotBatch(N);
    const wire = this.wire.get(HEADER_BYTES + (KKOT_WIDTH / 8) * n);
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
      this.takeLow(words(hb), o, from, count);
    }
    if (n === 0) return out;
    const req = request("otn", n, l, N);
    const id = this.order.nextReceive();
    this.ch.send(OT_TAG, writeHeader(wire, id, REQUEST, req));
    const frame = await this.order.reply(id, req, lanesBytes(n * N, l));
    const e = u32(pickLanes(frame, l, n, (i) => i * N + choices[i], this.u64Scratch(this.lanesIn, n)));
    for (let i = 0; i < n; i++) {
      o[2 * i] = (o[2 * i] ^ e[2 * i]) & lo;
      o[2 * i + 1] = (o[2 * i + 1] ^ e[2 * i + 1]) & hi;
    }
    return out;
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

  private async randomSend(req: OtRequest, fn: string): Promise<{ m0: Uint8Array; m1: Uint8Array }> {
    const n = req.n;
    const [wire] = await this.wireFrom(req, fn);
    const m0 = new Uint8Array(16 * n);
    const m1 = new Uint8Array(16 * n);
    this.extendSend(wire, n, (hash, q, from, count) => {
      // Hashing in kernel memory and copying out once beats hashing into the caller's arrays.
      m0.set(this.hashRows(hash, q, count, false), 16 * from);
      m1.set(this.hashRows(hash, q, count, true), 16 * from);
    });
    return { m0, m1 };
  }

  private randomRecv(choices: Uint8Array, req: OtRequest): Uint8Array {
    this.ready(this.recvHash, "rotRecv");
    const out = new Uint8Array(16 * req.n);
    this.extendRecv(req, choices, (hash, t, from, count) => out.set(this.hashRows(hash, t, count, false), 16 * from));
    return out;
  }

  private ready<T>(x: T | undefined, fn: string): T {
    if (x === undefined) throw new Error(`OtPack.${fn}: call setup() first`);
    return x;
  }

  /**
   * Receiver side of a 1-of-2 extension: sends u for all n OTs in one frame, handing each batch's t to `use`.
   * Returns the batch number (none, −1, for zero OTs, which travel as no frame).
   */
  private extendRecv(req: OtRequest, choices: Uint8Array, use: (hash: OtHash, t: Uint8Array, from: number, count: number) => void): number {
    const receiver = this.ready(this.receiver, "extension");
    const hash = this.ready(this.recvHash, "extension");
    const n = req.n;
    if (n === 0) return -1;
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
    return id;
  }

  /**
   * The receiver's u for this party's next send batch, once setup is done, with the batch number. The receive is
   * queued at once, before the first await. Zero OTs travel as no frame and take no number.
   */
  private async wireFrom(req: OtRequest, fn: string): Promise<[Uint8Array, number]> {
    this.ready(this.sendHash, fn);
    if (req.n === 0) return [new Uint8Array(0), -1];
    const id = this.order.nextSend();
    return [await this.order.request(id, req), id];
  }

  /** Sender side of a 1-of-2 extension: hands each batch's q to `use`. */
  private extendSend(wire: Uint8Array, n: number, use: (hash: OtHash, q: Uint8Array, from: number, count: number) => void): void {
    const sender = this.ready(this.sender, "extension");
    const hash = this.ready(this.sendHash, "extension");
    for (let from = 0, at = 0; from < n; from += BATCH) {
      const count = Math.min(BATCH, n - from);
      sender.reserve(padded(count));
      this.hashOut.reserve(16 * count);
      hash.batch(count);
      const [q] = sender.expand(padded(count), count, wire, at);
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

  /** The reply of send batch `id`: n lanes packed after the header, in a reused buffer (the channel copies it). */
  private pack(v: BigUint64Array, n: number, id: number, req: OtRequest): Uint8Array {
    const buf = this.packed.get(HEADER_BYTES + 4 * Math.ceil((n * req.l) / 32));
    packLanes(v, n, req.l, buf.subarray(HEADER_BYTES));
    return writeHeader(buf.subarray(0, HEADER_BYTES + lanesBytes(n, req.l)), id, REPLY, req);
  }

  /** out lanes [from, from + count) = the low 64 bits of each hash (4 words per hash). */
  private takeLow(h: Uint32Array, out: Uint32Array, from: number, count: number): void {
    for (let i = 0, k = 2 * from; i < count; i++, k += 2) {
      out[k] = h[4 * i];
      out[k + 1] = h[4 * i + 1];
    }
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
