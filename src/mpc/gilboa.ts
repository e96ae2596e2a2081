// The arithmetic shared by the Gilboa-style products (mult, matmul): bit i of the receiver's share chooses, by a
// random OT, between two pads that differ by the sender's value; the sender sends the difference only to
// l − i bits because the result is scaled by 2^i. Values travel as u32 pairs so that the loops avoid BigInt.
import type { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { ProtocolError } from "../net/errors.js";
import { lanesBytes } from "../core/lanes.js";

export const TWO32 = 4294967296;
/** The lanes of a u64 array as little-endian u32 pairs, without copying. */
export function words(a: BigUint64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}

/** 16-byte OT messages as u32 words (a copy only if the bytes are not 4-byte aligned). */
export function blockWords(b: Uint8Array): Uint32Array {
  const a = b.byteOffset & 3 ? b.slice() : b;
  return new Uint32Array(a.buffer, a.byteOffset, a.length >>> 2);
}

/** Payload bytes per frame: positions are grouped up to this size, so large batches never need huge buffers. */
const FRAME_BYTES = 1 << 20;

/** Position i of a cross term: its shift 2^(shift+i), its width l − shift − i, and where its packed values travel. */
export interface Position {
  shift: number;
  width: number;
  bytes: number;
  /** Byte offset in its frame; 0 opens a new frame. */
  offset: number;
  /** Size of its frame. */
  frameBytes: number;
  /** True for the last position of its frame. */
  last: boolean;
}

/** The positions of a cross term over n values, grouped into frames of about FRAME_BYTES (one when they fit). */
export function positions(n: number, ring: Ring, shift: number): Position[] {
  const out: Position[] = [];
  let open: Position[] = [];
  let fill = 0;
  const close = () => {
    for (const q of open) q.frameBytes = fill;
    if (open.length > 0) open[open.length - 1].last = true;
    open = [];
    fill = 0;
  };
  for (let i = 0; i < ring.bits - shift; i++) {
    const width = ring.bits - shift - i;
    const bytes = lanesBytes(n, width);
    if (fill > 0 && fill + bytes > FRAME_BYTES) close();
    const q: Position = { shift: shift + i, width, bytes, offset: fill, frameBytes: 0, last: false };
    out.push(q);
    open.push(q);
    fill += bytes;
  }
  close();
  return out;
}

/** Writes the packed values of position q into the current frame (a new one at offset 0) and sends it after its last position. */
export function packInto(frame: Uint8Array, q: Position, packed: Uint8Array, p: Party, tag: string): Uint8Array {
  const out = q.offset === 0 ? new Uint8Array(q.frameBytes) : frame;
  out.set(packed, q.offset);
  if (q.last) p.ch.send(tag, out);
  return out;
}

/** The next frame under `tag`, which must hold exactly `bytes` bytes. */
export async function recvBytes(p: Party, tag: string, bytes: number): Promise<Uint8Array> {
  const frame = await p.ch.recv(tag);
  if (frame.length !== bytes) throw new ProtocolError(`${tag}: expected ${bytes} bytes, got ${frame.length}`);
  return frame;
}

/**
 * acc[to + e] += v_e << shift mod 2^64 for e < count, v_e being the u32 pair at words at + e·stride of v. The halves
 * are summed in float lanes: exact for up to 2^21 terms of < 2^32 per lane.
 */
export function accumulate(accLo: Float64Array, accHi: Float64Array, to: number, count: number, v: Uint32Array, at: number, stride: number, shift: number): void {
  const big = shift >= 32;
  const s = shift & 31;
  for (let e = to, q = at; e < to + count; e++, q += stride) {
    accLo[e] += shlLo(v[q], s, big);
    accHi[e] += shlHi(v[q], v[q + 1], s, big);
  }
}

/** Low word of (hi·2^32 + lo) << shift mod 2^64, with s = shift mod 32 and big = shift ≥ 32. */
export function shlLo(lo: number, s: number, big: boolean): number {
  return big ? 0 : (lo << s) >>> 0;
}

/** High word of (hi·2^32 + lo) << shift mod 2^64 (hi is read mod 2^32). */
export function shlHi(lo: number, hi: number, s: number, big: boolean): number {
  return (big ? lo << s : (hi << s) | ((lo >>> (31 - s)) >>> 1)) >>> 0;
}

/** The lanes sign·(hi·2^32 + lo) reduced mod 2^l. */
export function toRing(accLo: Float64Array, accHi: Float64Array, sign: number, ring: Ring): BigUint64Array {
  const n = accLo.length;
  const out = new BigUint64Array(n);
  const w = words(out);
  for (let e = 0; e < n; e++) {
    const lo = sign * accLo[e];
    const carry = Math.floor(lo / TWO32);
    w[2 * e] = lo - carry * TWO32;
    w[2 * e + 1] = ((sign * accHi[e] + carry) % TWO32) + TWO32;
  }
  return ring.reduceArray(out);
}

/** Bit i·n + e = bit i of lane e of x (as u32 pairs), for i < count: position-major OT choices, packed. */
export function choiceBits(xw: Uint32Array, n: number, count: number): Uint8Array {
  const out = new Uint32Array(Math.ceil((n * count) / 32));
  let acc = 0;
  let fill = 0;
  let w = 0;
  for (let i = 0; i < count; i++) {
    const word = i >>> 5;
    const bit = i & 31;
    for (let e = 0; e < n; e++) {
      acc |= ((xw[2 * e + word] >>> bit) & 1) << fill;
      if (++fill === 32) {
        out[w++] = acc;
        acc = 0;
        fill = 0;
      }
    }
  }
  if (fill > 0) out[w] = acc;
  return new Uint8Array(out.buffer, 0, Math.ceil((n * count) / 8));
}
