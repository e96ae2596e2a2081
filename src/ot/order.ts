// Which OT batch a frame belongs to. Every OT call is one batch; a party numbers the batches it sends (as OT sender)
// and those it receives separately, in call order, so the k-th send of one party meets the k-th receive of the
// other whatever else runs beside them. Every OT frame travels under one tag with an 8-byte header (batch, phase,
// kind, l, log2 N): the receive that takes a frame hands it to the batch it names, so concurrent calls need no
// particular interleaving, and a peer whose k-th call differs fails with both requests named.
// On Ferret, the corrections of the silent OT's trees travel as frames of a third phase (ROUND), numbered per
// direction, and a batch whose COTs are not produced yet opens with a fourth (ASK, header only) that asks for them:
// like replies, they answer the peer's frames, so they mix with the batches' frames in any interleaving.
import type { Channel, Role } from "../net/channel.js";
import { ProtocolError } from "../net/errors.js";

export type OtKind = "setup" | "rot" | "cot" | "ot" | "otn" | "round";

/** One batch as a party asked for it: n OTs of a kind, l-bit messages (0 for random OTs), 1-of-N (2 unless otn). */
export interface OtRequest {
  kind: OtKind;
  n: number;
  l: number;
  N: number;
}

/** The tag of every OT frame after the base OTs. */
export const OT_TAG = "ot";
/** Header bytes: a multiple of 8, so the payload after it keeps the frame's word alignment. */
export const HEADER_BYTES = 8;
/** The OT receiver's u, which opens a batch. */
export const REQUEST = 0;
/** The OT sender's answer (absent for random OTs). */
export const REPLY = 1;
/** Ferret tree corrections, from the silent OT's sender (numbered apart, per direction). */
export const ROUND = 2;
/** The OT receiver's ask for the corrections a batch needs before its request (numbered as the batch). */
export const ASK = 3;
const PHASES = 4;

const KINDS: readonly OtKind[] = ["setup", "rot", "cot", "ot", "otn", "round"];

/** Request bits per OT of a batch: what the OT receiver sends to open it (u on IKNP, choice corrections on Ferret). */
export type RequestBits = (kind: OtKind, N: number) => number;

/** IKNP: 128-bit rows of u, 256-bit rows for the 1-of-N code. */
export const iknpRequestBits: RequestBits = (kind) => (kind === "otn" ? 256 : 128);

export function describe(r: OtRequest): string {
  switch (r.kind) {
    case "setup":
      return `${r.n} setup OTs`;
    case "rot":
      return `${r.n} random OTs`;
    case "cot":
      return `${r.n} COTs of ${r.l} bits`;
    case "ot":
      return `${r.n} 1-of-2 OTs of ${r.l} bits`;
    case "otn":
      return `${r.n} 1-of-${r.N} OTs of ${r.l} bits`;
    case "round":
      return "Ferret tree corrections";
  }
}

/** Writes the header of batch `id` into the first HEADER_BYTES of `frame` and returns the frame. */
export function writeHeader(frame: Uint8Array, id: number, phase: number, r: OtRequest): Uint8Array {
  new DataView(frame.buffer, frame.byteOffset, HEADER_BYTES).setUint32(0, id, true);
  frame[4] = phase;
  frame[5] = KINDS.indexOf(r.kind);
  frame[6] = r.l;
  frame[7] = 31 - Math.clz32(r.N);
  return frame;
}

interface Waiter {
  resolve(frame: Uint8Array): void;
  reject(e: unknown): void;
}

/**
 * The batch numbering and the routing of OT frames for one party. Each expected frame queues one channel receive,
 * at the call that expects it; whichever receive brings a frame, the frame goes to the batch its header names.
 */
export class OtOrder {
  private sent = 0;
  private received = 0;
  private readonly waiting = new Map<number, Waiter>();
  private readonly early = new Map<number, Uint8Array>();
  private failure: unknown;

  constructor(
    private readonly ch: Channel,
    private readonly role: Role,
    private readonly requestBits: RequestBits = iknpRequestBits,
  ) {}

  /** The number of this party's next batch as OT sender. */
  nextSend(): number {
    return this.sent++;
  }

  /** The number of this party's next batch as OT receiver. */
  nextReceive(): number {
    return this.received++;
  }

  /** The peer's request for this party's send batch `id`, checked against `own`; resolves to the payload. */
  async request(id: number, own: OtRequest): Promise<Uint8Array> {
    const frame = await this.take(REQUEST, id);
    const bits = this.requestBits(kindOf(frame), 2 ** frame[7]);
    const payload = 8 * (frame.length - HEADER_BYTES);
    // Whole bytes per OT give the peer's n from the length; bit-packed requests can only be checked against ours.
    const n = bits % 8 === 0 ? payload / bits : frame.length - HEADER_BYTES === Math.ceil((own.n * bits) / 8) ? own.n : NaN;
    this.check(frame, id, own, n, this.role);
    return frame.subarray(HEADER_BYTES);
  }

  /** The peer's ask opening this party's send batch `id` (queue it at the call, as `request`). */
  async ask(id: number): Promise<void> {
    await this.take(ASK, id);
  }

  /** Correction frame `id` from the peer (the silent OT sender of this party's receiving direction). */
  async round(id: number): Promise<Uint8Array> {
    const frame = await this.take(ROUND, id);
    if (kindOf(frame) !== "round") throw this.abort(new ProtocolError(`OT frame ${id}: expected Ferret corrections, got ${describe({ kind: kindOf(frame), n: 0, l: frame[6], N: 2 ** frame[7] })}`));
    return frame.subarray(HEADER_BYTES);
  }

  /** The peer's reply to this party's receive batch `id`: `bytes` of payload after the header. */
  async reply(id: number, own: OtRequest, bytes: number): Promise<Uint8Array> {
    const frame = await this.take(REPLY, id);
    const peer = this.role === "server" ? "client" : "server";
    this.check(frame, id, own, frame.length === HEADER_BYTES + bytes ? own.n : NaN, peer);
    return frame.subarray(HEADER_BYTES);
  }

  /** Queues one receive now and waits for the frame of (phase, id), whichever receive brings it. */
  private take(phase: number, id: number): Promise<Uint8Array> {
    this.ch.recv(OT_TAG).then(
      (f) => this.route(f),
      (e: unknown) => this.fail(e),
    );
    const key = PHASES * id + phase;
    const f = this.early.get(key);
    if (f !== undefined) {
      this.early.delete(key);
      return Promise.resolve(f);
    }
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.set(key, { resolve, reject }));
  }

  private route(f: Uint8Array): void {
    if (f.length < HEADER_BYTES || f[4] >= PHASES || f[5] >= KINDS.length) {
      this.abort(new ProtocolError(`OT frame: malformed header (${f.length} bytes)`));
      return;
    }
    const id = new DataView(f.buffer, f.byteOffset, 4).getUint32(0, true);
    const key = PHASES * id + f[4];
    const w = this.waiting.get(key);
    if (w !== undefined) {
      this.waiting.delete(key);
      w.resolve(f);
    } else if (this.early.has(key) || (f[4] <= REPLY && id < (f[4] === REQUEST ? this.sent : this.received))) {
      // A batch this party has numbered is waiting from the call on, so this one was served already.
      this.abort(new ProtocolError(`OT batch ${id}: the peer sent its ${["request", "reply", "corrections", "ask"][f[4]]} twice`));
    } else {
      this.early.set(key, f);
    }
  }

  private fail(e: unknown): void {
    this.failure ??= e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  /** Fails this side and tells the peer, as a tag mismatch would; returns e for the caller to throw. */
  private abort(e: ProtocolError): ProtocolError {
    this.ch.abort(e);
    this.fail(e);
    return e;
  }

  /** The batch as the peer described it must be `own`; `sender` is the party that sends this batch. */
  private check(frame: Uint8Array, id: number, own: OtRequest, n: number, sender: Role): void {
    const theirs: OtRequest = { kind: kindOf(frame), n, l: frame[6], N: 2 ** frame[7] };
    if (theirs.kind === own.kind && theirs.n === own.n && theirs.l === own.l && theirs.N === own.N) return;
    const peer = this.role === "server" ? "client" : "server";
    const receiver = sender === "server" ? "client" : "server";
    const peerAsk = Number.isInteger(n) ? describe(theirs) : `a frame of ${frame.length - HEADER_BYTES} bytes for ${describe({ ...theirs, n: own.n })}`;
    throw this.abort(new ProtocolError(`OT batch ${id} from the ${sender} to the ${receiver}: the ${this.role} asked for ${describe(own)}, the ${peer} for ${peerAsk}`));
  }
}

function kindOf(frame: Uint8Array): OtKind {
  return KINDS[frame[5]];
}
