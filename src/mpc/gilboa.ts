// The framing shared by the Gilboa-style products (mult, matmul): bit i of the receiver's share chooses, by a
// random OT, between two pads that differ by the sender's value; the sender sends the difference only to
// l − i bits because the result is scaled by 2^i. The per-position arithmetic runs in the kernels of assembly/mpc.ts.
import type { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { ProtocolError } from "../net/errors.js";
import { lanesBytes } from "../core/lanes.js";

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

/** Kernel bytes for n packed values of `width` bits: whole u32 words (packBitLanes) and 8 bytes of slack (the kernels' reads run past the end). */
export function packedBlock(n: number, width: number): number {
  return 4 * Math.ceil((n * width) / 32) + 8;
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
