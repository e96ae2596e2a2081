// The simd backend's messages: a versioned header (magic, version, kind, count) checked field by field, then
// residues of 30 bits or top bits of b0/b1 bits, bit-packed (bitstream.ts). Sizes follow from the layout both parties
// computed, so a malformed, truncated or oversized message fails before any of it is used, naming the field.
import { ProtocolError } from "../../net/errors.js";
import { BitReader, BitWriter } from "../bitstream.js";

const MAGIC = 0x53485043; // "CPHS" little-endian
export const WIRE_VERSION = 1;
export const HEADER_BYTES = 12;

export const enum WireKind {
  Keys = 1,
  Uploads = 2,
  Answers = 3,
}

const KIND_NAMES: Record<number, string> = { 1: "keys", 2: "uploads", 3: "answers" };

/** A message with its header written; the body goes to `bits` and must fill exactly `bodyBytes`. */
export function writer(kind: WireKind, count: number, bodyBytes: number): { bits: BitWriter; finish(): Uint8Array } {
  const bits = new BitWriter(bodyBytes);
  return {
    bits,
    finish() {
      const body = bits.finish();
      const out = new Uint8Array(HEADER_BYTES + body.length);
      const v = new DataView(out.buffer);
      v.setUint32(0, MAGIC, true);
      v.setUint8(4, WIRE_VERSION);
      v.setUint8(5, kind);
      v.setUint32(8, count, true);
      out.set(body, HEADER_BYTES);
      return out;
    },
  };
}

/** Checks the header and the exact size; returns a reader over the body. `field` names the message in errors. */
export function reader(bytes: Uint8Array, kind: WireKind, count: number, bodyBytes: number, field: string): BitReader {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolError(`${field}: not a byte message`);
  if (bytes.length < HEADER_BYTES) throw new ProtocolError(`${field}: ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== MAGIC) throw new ProtocolError(`${field}.magic: not a cipherprune HE message`);
  const version = v.getUint8(4);
  if (version !== WIRE_VERSION) throw new ProtocolError(`${field}.version: got ${version}, this side speaks ${WIRE_VERSION}`);
  const k = v.getUint8(5);
  if (k !== kind) throw new ProtocolError(`${field}.kind: expected ${KIND_NAMES[kind]}, got ${KIND_NAMES[k] ?? k}`);
  const c = v.getUint32(8, true);
  if (c !== count) throw new ProtocolError(`${field}.count: expected ${count}, got ${c}`);
  const body = bytes.length - HEADER_BYTES;
  if (body !== bodyBytes) throw new ProtocolError(`${field}: body of ${body} bytes, expected ${bodyBytes} (${body < bodyBytes ? "truncated" : "trailing bytes"})`);
  return new BitReader(bytes.subarray(HEADER_BYTES));
}

/** Writes `count` vectors of residues (30 bits each) from a u32 view. */
export function writeResidues(w: BitWriter, v: Uint32Array): void {
  for (let i = 0; i < v.length; i++) w.writeSmall(v[i], 30);
}

/** Reads residues into `out`, each checked against its prime (`primeOf(i)`). */
export function readResidues(r: BitReader, out: Uint32Array, prime: number, field: string): void {
  for (let i = 0; i < out.length; i++) {
    const x = r.readSmall(30);
    if (x >= prime) throw new ProtocolError(`${field}: residue ${i} = ${x} is not below its prime ${prime}`);
    out[i] = x;
  }
}

/** Writes the low `bits` (33..64) of u64 values given as 32-bit halves (little-endian pairs). */
export function writeWide(w: BitWriter, halves: Uint32Array, index: number, bits: number): void {
  w.writeHalves(halves[2 * index], halves[2 * index + 1] & (2 ** (bits - 32) - 1), bits);
}

export function readWide(r: BitReader, halves: Uint32Array, index: number, bits: number): void {
  const [lo, hi] = r.readHalves(bits);
  halves[2 * index] = lo;
  halves[2 * index + 1] = hi;
}

export function writeSeed(w: BitWriter, seed: Uint8Array): void {
  for (const b of seed) w.writeSmall(b, 8);
}

export function readSeed(r: BitReader, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = r.readSmall(8);
  return out;
}
