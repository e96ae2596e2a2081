// Dense wire format of l-bit values (1 ≤ l ≤ 64): value i occupies bits [i·l, (i+1)·l) of the stream, least
// significant first, so n values take exactly ⌈n·l/8⌉ bytes. Works on 32-bit halves: no BigInt in the loops.
import { wasm } from "./wasm.js";

/** Bytes that n packed l-bit values occupy. */
export function lanesBytes(n: number, l: number): number {
  return Math.ceil((n * l) / 8);
}

/**
 * Packs the low l bits of each of the first n lanes of `src`, into `into` when given (4-byte aligned, at least
 * 4·⌈n·l/32⌉ bytes, contents irrelevant, outside kernel memory, whose growth would detach it) to spare a fresh
 * allocation.
 */
export function packLanes(src: BigUint64Array, n: number, l: number, into?: Uint8Array): Uint8Array {
  if (into && wasm().owns(into)) throw new RangeError("packLanes: into must lie outside kernel memory");
  const words = Math.ceil((n * l) / 32);
  const out = into ? new Uint32Array(into.buffer, into.byteOffset, words) : new Uint32Array(words);
  if (l === 64) {
    out.set(new Uint32Array(src.buffer, src.byteOffset, 2 * n));
  } else if (n > 0) {
    // The bit shuffling runs in the kernel (packBitLanes): copying the lanes in and the words out costs less.
    const w = wasm();
    w.lend([src.subarray(0, n), out], [out], (ps, pd) => w.k.packBitLanes(pd, ps, n, l));
  }
  return new Uint8Array(out.buffer, out.byteOffset, lanesBytes(n, l));
}

/** Unpacks n l-bit values into `out` (length ≥ n); `bytes` must hold ⌈n·l/8⌉ bytes. */
export function unpackLanes(bytes: Uint8Array, n: number, l: number, out: BigUint64Array): BigUint64Array {
  const src = wordsOf(bytes, lanesBytes(n, l));
  const d = new Uint32Array(out.buffer, out.byteOffset, 2 * n);
  if (l === 64) {
    d.set(src.subarray(0, 2 * n));
    return out;
  }
  if (l === 32) {
    for (let i = 0; i < n; i++) {
      d[2 * i] = src[i];
      d[2 * i + 1] = 0;
    }
    return out;
  }
  const lo = Math.min(l, 32);
  const hi = l - lo;
  const loMask = lo === 32 ? 0xffffffff : (1 << lo) - 1;
  const hiMask = (1 << hi) - 1;
  // `cur` is the word being read and `used` its bits already consumed (< 32).
  let r = 0;
  let cur = src[0] ?? 0;
  let used = 0;
  for (let i = 0; i < n; i++) {
    let v = cur >>> used;
    used += lo;
    if (used >= 32) {
      used -= 32;
      cur = src[++r] ?? 0;
      if (used > 0) v |= cur << (lo - used);
    }
    d[2 * i] = v & loMask;
    if (hi > 0) {
      let w = cur >>> used;
      used += hi;
      if (used >= 32) {
        used -= 32;
        cur = src[++r] ?? 0;
        if (used > 0) w |= cur << (hi - used);
      }
      d[2 * i + 1] = w & hiMask;
    } else {
      d[2 * i + 1] = 0;
    }
  }
  return out;
}

/** The first `need` bytes as ⌈need/4⌉ words: read in place when aligned, else (or with a ragged tail) copied once. */
function wordsOf(bytes: Uint8Array, need: number): Uint32Array {
  const words = Math.ceil(need / 4);
  if ((bytes.byteOffset & 3) === 0 && bytes.length >= words * 4) return new Uint32Array(bytes.buffer, bytes.byteOffset, words);
  const w = new Uint32Array(words);
  new Uint8Array(w.buffer).set(bytes.subarray(0, need));
  return w;
}
