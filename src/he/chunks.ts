// Several byte strings in one message: a u32 count, then each length (u32, little-endian) and its bytes.
import { ProtocolError } from "../net/errors.js";

export function packChunks(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 4;
  for (const c of chunks) total += 4 + c.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, chunks.length, true);
  let at = 4;
  for (const c of chunks) {
    view.setUint32(at, c.length, true);
    out.set(c, at + 4);
    at += 4 + c.length;
  }
  return out;
}

/** Splits a packed message; `field` names the message in errors, `count` is the number of chunks it must carry. */
export function unpackChunks(bytes: Uint8Array, count: number, field: string): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) throw new ProtocolError(`${field}: message of ${bytes.length} bytes has no chunk count`);
  const n = view.getUint32(0, true);
  if (n !== count) throw new ProtocolError(`${field}: expected ${count} chunks, got ${n}`);
  const out: Uint8Array[] = [];
  let at = 4;
  for (let i = 0; i < n; i++) {
    if (at + 4 > bytes.length) throw new ProtocolError(`${field}: truncated before chunk ${i}`);
    const len = view.getUint32(at, true);
    if (at + 4 + len > bytes.length) throw new ProtocolError(`${field}: chunk ${i} of ${len} bytes is truncated`);
    out.push(bytes.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  if (at !== bytes.length) throw new ProtocolError(`${field}: ${bytes.length - at} trailing bytes`);
  return out;
}
