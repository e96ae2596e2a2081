// The simd backend's messages: a versioned header (magic, version, kind, count) checked field by field, then
// sections of whole u32 words: seeds, and values bit-packed by the kernels (30-bit residues, b0/b1-bit top bits).
// Sizes follow from the layout both parties computed, so a malformed, truncated or oversized message fails before
// any of it is used, naming the field; residues are checked against their primes as they are unpacked.
import { ProtocolError } from "../../net/errors.js";
import { sectionBytes } from "./blocks.js";
import type { Rns } from "./rns.js";

const MAGIC = 0x53485043; // "CPHS" little-endian
export const WIRE_VERSION = 1;
export const HEADER_BYTES = 12;

export const enum WireKind {
  Keys = 1,
  Uploads = 2,
  Answers = 3,
}

const KIND_NAMES: Record<number, string> = { 1: "keys", 2: "uploads", 3: "answers" };

export class WireWriter {
  private readonly out: Uint8Array;
  private at = HEADER_BYTES;

  constructor(kind: WireKind, count: number, bodyBytes: number) {
    this.out = new Uint8Array(HEADER_BYTES + bodyBytes);
    const v = new DataView(this.out.buffer);
    v.setUint32(0, MAGIC, true);
    v.setUint8(4, WIRE_VERSION);
    v.setUint8(5, kind);
    v.setUint32(8, count, true);
  }

  /** Raw bytes (a multiple of 4: seeds). */
  bytes(b: Uint8Array): void {
    if (b.length % 4 !== 0) throw new RangeError(`WireWriter.bytes: ${b.length} bytes is not a whole number of words`);
    this.out.set(b, this.at);
    this.at += b.length;
  }

  /** `count` values of `bits` bits from kernel memory (u32 residues, or u64 with `wide`). */
  packed(rns: Rns, ptr: number, count: number, bits: number, wide: boolean): void {
    const len = sectionBytes(count, bits);
    const tmp = rns.w.alloc(len);
    try {
      const written = rns.k.packBits(tmp, ptr, count, bits, wide ? 1 : 0);
      if (written !== len) throw new RangeError(`WireWriter.packed: packed ${written} bytes, expected ${len}`);
      this.out.set(rns.w.u8(tmp, len), this.at);
    } finally {
      rns.w.free(tmp);
    }
    this.at += len;
  }

  finish(): Uint8Array {
    if (this.at !== this.out.length) throw new RangeError(`WireWriter: wrote ${this.at} of ${this.out.length} bytes`);
    return this.out;
  }
}

export class WireReader {
  private at = HEADER_BYTES;

  /** Checks the header and the exact size. `field` names the message in errors. */
  constructor(
    private readonly msg: Uint8Array,
    kind: WireKind,
    count: number,
    bodyBytes: number,
    private readonly field: string,
  ) {
    if (!(msg instanceof Uint8Array)) throw new ProtocolError(`${field}: not a byte message`);
    if (msg.length < HEADER_BYTES) throw new ProtocolError(`${field}: ${msg.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
    const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
    if (v.getUint32(0, true) !== MAGIC) throw new ProtocolError(`${field}.magic: not a cipherprune HE message`);
    const version = v.getUint8(4);
    if (version !== WIRE_VERSION) throw new ProtocolError(`${field}.version: got ${version}, this side speaks ${WIRE_VERSION}`);
    if (v.getUint16(6, true) !== 0) throw new ProtocolError(`${field}.reserved: header bytes 6–7 must be zero`);
    const k = v.getUint8(5);
    if (k !== kind) throw new ProtocolError(`${field}.kind: expected ${KIND_NAMES[kind]}, got ${KIND_NAMES[k] ?? k}`);
    const c = v.getUint32(8, true);
    if (c !== count) throw new ProtocolError(`${field}.count: expected ${count}, got ${c}`);
    const body = msg.length - HEADER_BYTES;
    if (body !== bodyBytes) throw new ProtocolError(`${field}: body of ${body} bytes, expected ${bodyBytes} (${body < bodyBytes ? "truncated" : "trailing bytes"})`);
  }

  bytes(len: number): Uint8Array {
    const out = this.msg.slice(this.at, this.at + len);
    this.at += len;
    return out;
  }

  /**
   * `count` values of `bits` bits into kernel memory at ptr (u32, or u64 with `wide`); with `bound`, every value
   * must be below it (a residue below its prime). `what` names the values in errors.
   */
  unpacked(rns: Rns, ptr: number, count: number, bits: number, wide: boolean, bound: number, what: string): void {
    const len = sectionBytes(count, bits);
    const tmp = rns.w.alloc(len);
    try {
      rns.w.u8(tmp, len).set(this.msg.subarray(this.at, this.at + len));
      const bad = rns.k.unpackBits(ptr, tmp, count, bits, wide ? 1 : 0, BigInt(bound));
      if (bad >= 0) throw new ProtocolError(`${this.field}.${what}: value ${bad} (from 0) is not below ${bound}`);
    } finally {
      rns.w.free(tmp);
    }
    this.at += len;
  }
}
