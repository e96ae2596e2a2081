// Bit-matrix transposes between 128 rows of n bits and n rows of 128 bits (16 bytes), LSB-first as in
// src/mpc/bits.ts. IKNP transposes its 128 × n matrix of PRG rows into one 16-byte block per OT.
// The WASM kernel wants whole 16-row × 128-column blocks; other sizes go through a zero-padded copy.
import { wasm } from "./wasm.js";

function checkCount(n: number, fn: string): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${fn}: n must be a non-negative integer, got ${n}`);
}

function checkLength(a: Uint8Array, bytes: number, fn: string, field: string): void {
  if (!(a instanceof Uint8Array)) throw new TypeError(`${fn}: ${field} must be a Uint8Array`);
  if (a.length !== bytes) throw new RangeError(`${fn}: ${field} must be ${bytes} bytes, got ${a.length}`);
}

function checkDisjoint(src: Uint8Array, out: Uint8Array, fn: string): void {
  const overlap =
    src.buffer === out.buffer &&
    src.byteOffset < out.byteOffset + out.byteLength &&
    out.byteOffset < src.byteOffset + src.byteLength;
  if (overlap) throw new RangeError(`${fn}: out must not overlap src`);
}

/** Copies `rows` rows of `from` bytes into rows of `to` bytes (to ≥ from), zero-filling the rest of each row. */
function restride(src: Uint8Array, rows: number, from: number, to: number): Uint8Array {
  const out = new Uint8Array(rows * to);
  for (let r = 0; r < rows; r++) out.set(src.subarray(r * from, (r + 1) * from), r * to);
  return out;
}

// Allocated when the module loads: growing the memory during a call would detach views the caller holds.
const scratch = wasm().alloc(wasm().k.bitTransposeScratchBytes() as number);

/** Runs the kernel on a (rows × cols bits) matrix, both multiples of the block size, into dst. */
function kernel(dst: Uint8Array, src: Uint8Array, rows: number, cols: number): void {
  const w = wasm();
  w.lend([dst, src], [dst], (d, s) => w.k.bitTranspose(d, s, rows, cols, scratch));
}

/**
 * Transposes 128 rows of n bits (each row ⌈n/8⌉ bytes, rows back to back) into n rows of 16 bytes: bit r of output
 * row c is bit c of input row r. Bits of the input past n are ignored.
 */
export function transpose128(src: Uint8Array, n: number, out?: Uint8Array): Uint8Array {
  checkCount(n, "transpose128");
  const rowBytes = (n + 7) >>> 3;
  checkLength(src, 128 * rowBytes, "transpose128", "src");
  const dst = out ?? new Uint8Array(n * 16);
  checkLength(dst, n * 16, "transpose128", "out");
  checkDisjoint(src, dst, "transpose128");
  if (n === 0) return dst;
  const cols = Math.ceil(n / 128) * 128;
  if (cols === n) {
    kernel(dst, src, 128, n);
  } else {
    const full = new Uint8Array(cols * 16);
    kernel(full, restride(src, 128, rowBytes, cols >>> 3), 128, cols);
    dst.set(full.subarray(0, n * 16));
  }
  return dst;
}

/**
 * The inverse of `transpose128`: n rows of 16 bytes into 128 rows of ⌈n/8⌉ bytes, with the bits past n cleared.
 */
export function transposeFrom128(src: Uint8Array, n: number, out?: Uint8Array): Uint8Array {
  checkCount(n, "transposeFrom128");
  const rowBytes = (n + 7) >>> 3;
  checkLength(src, n * 16, "transposeFrom128", "src");
  const dst = out ?? new Uint8Array(128 * rowBytes);
  checkLength(dst, 128 * rowBytes, "transposeFrom128", "out");
  checkDisjoint(src, dst, "transposeFrom128");
  if (n === 0) return dst;
  const rows = Math.ceil(n / 16) * 16;
  if (rows === n) {
    kernel(dst, src, n, 128);
  } else {
    // Zero rows pad the input, so the output bits past n come out cleared.
    const padded = new Uint8Array(rows * 16);
    padded.set(src);
    const full = new Uint8Array(128 * (rows >>> 3));
    kernel(full, padded, rows, 128);
    for (let r = 0; r < 128; r++) dst.set(full.subarray(r * (rows >>> 3), r * (rows >>> 3) + rowBytes), r * rowBytes);
  }
  return dst;
}
