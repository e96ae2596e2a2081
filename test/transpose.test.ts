import { describe, expect, it } from "vitest";
import { transpose128, transposeFrom128 } from "../src/core/transpose.js";
import { wasm } from "../src/core/wasm.js";
import { getBit } from "../src/core/bits.js";
import { expectSameBytes, randomBytes } from "./bytes.js";


/** Bit-by-bit reference: 128 rows of n bits (⌈n/8⌉ bytes each) to n rows of 16 bytes. */
function reference(src: Uint8Array, n: number): Uint8Array {
  const rowBytes = (n + 7) >>> 3;
  const out = new Uint8Array(n * 16);
  for (let r = 0; r < 128; r++)
    for (let c = 0; c < n; c++) out[c * 16 + (r >>> 3)] |= getBit(src.subarray(r * rowBytes), c) << (r & 7);
  return out;
}

/** The input with the bits past n in every row cleared, which is what the inverse gives back. */
function clearRowTails(src: Uint8Array, n: number): Uint8Array {
  const rowBytes = (n + 7) >>> 3;
  const out = src.slice();
  if (n & 7) for (let r = 0; r < 128; r++) out[r * rowBytes + rowBytes - 1] &= (1 << (n & 7)) - 1;
  return out;
}

const SIZES = [0, 1, 7, 8, 16, 127, 128, 129, 256, 384, 1000, 1024 + 101, 4096];
/** Sizes past the kernel's 4096-column pass of the 128 × n case, whole, partial and padded. */
const WIDE_SIZES = [4096 + 128, 8192 + 384, 3 * 4096 + 1];

/** Bit-by-bit transpose of a rows × cols matrix (cols / 8 bytes per row) into cols rows of rows / 8 bytes. */
function referenceAny(src: Uint8Array, rows: number, cols: number): Uint8Array {
  const out = new Uint8Array((rows * cols) >>> 3);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * (rows >>> 3) + (r >>> 3)] |= getBit(src.subarray(r * (cols >>> 3)), c) << (r & 7);
  return out;
}

describe("transpose128", () => {
  it.each(SIZES)("matches the bitwise reference for n = %i", (n) => {
    const src = randomBytes(128 * ((n + 7) >>> 3), n + 1);
    expectSameBytes(transpose128(src, n), reference(src, n));
  });

  it.each(WIDE_SIZES)("matches the bitwise reference for n = %i", (n) => {
    const src = randomBytes(128 * ((n + 7) >>> 3), n + 1);
    expectSameBytes(transpose128(src, n), reference(src, n));
  });

  it("moves single bits to the right place (corners and an interior bit)", () => {
    const n = 256;
    for (const [r, c] of [
      [0, 0],
      [127, 255],
      [0, 255],
      [127, 0],
      [77, 133],
    ]) {
      const src = new Uint8Array(128 * 32);
      src[r * 32 + (c >>> 3)] = 1 << (c & 7);
      const out = transpose128(src, n);
      const expected = new Uint8Array(n * 16);
      expected[c * 16 + (r >>> 3)] = 1 << (r & 7);
      expectSameBytes(out, expected);
    }
  });

  it("transposes all-ones and all-zeros matrices", () => {
    expectSameBytes(transpose128(new Uint8Array(128 * 16).fill(255), 128), new Uint8Array(128 * 16).fill(255));
    expectSameBytes(transpose128(new Uint8Array(128 * 16), 128), new Uint8Array(128 * 16));
  });

  it("works in place in kernel memory and writes into a caller's buffer", () => {
    const n = 512;
    const w = wasm();
    const src = w.allocU8(128 * 64);
    const dst = w.allocU8(n * 16);
    try {
      src.set(randomBytes(128 * 64, 99));
      const expected = reference(src, n);
      expect(transpose128(src, n, dst)).toBe(dst);
      expectSameBytes(dst, expected);
      const plain = new Uint8Array(n * 16);
      transpose128(src, n, plain);
      expectSameBytes(plain, expected);
    } finally {
      w.release(src);
      w.release(dst);
    }
  });

  it("rejects bad arguments naming the field", () => {
    expect(() => transpose128(new Uint8Array(100), 128)).toThrow(/src must be 2048 bytes/);
    expect(() => transpose128(new Uint8Array(2048), 128, new Uint8Array(5))).toThrow(/out must be 2048 bytes/);
    expect(() => transpose128(new Uint8Array(2048), 12.5)).toThrow(RangeError);
    const buf = new Uint8Array(4096);
    expect(() => transpose128(buf.subarray(0, 2048), 128, buf.subarray(1024, 3072))).toThrow(/overlap/);
  });
});

describe("transposeFrom128", () => {
  it.each(SIZES)("inverts transpose128 for n = %i", (n) => {
    const src = randomBytes(128 * ((n + 7) >>> 3), 7 * n + 3);
    const t = transpose128(src, n);
    expectSameBytes(transposeFrom128(t, n), clearRowTails(src, n));
  });

  it("matches the bitwise reference read backwards", () => {
    const n = 16 * 37;
    const blocks = randomBytes(n * 16, 5);
    const back = transposeFrom128(blocks, n);
    expectSameBytes(reference(back, n), blocks);
  });

  it.each([16, 112, 1000, 512 + 16, 1024 + 48 + 3])("equals the bitwise transpose of n rows of 128 bits, n = %i", (n) => {
    const blocks = randomBytes(n * 16, 11 * n);
    const rows = Math.ceil(n / 16) * 16;
    const padded = new Uint8Array(rows * 16);
    padded.set(blocks);
    const full = referenceAny(padded, rows, 128);
    const rowBytes = (n + 7) >>> 3;
    const expected = new Uint8Array(128 * rowBytes);
    for (let r = 0; r < 128; r++) expected.set(full.subarray(r * (rows >>> 3), r * (rows >>> 3) + rowBytes), r * rowBytes);
    expectSameBytes(transposeFrom128(blocks, n), expected);
  });

  it("rejects bad arguments naming the field", () => {
    expect(() => transposeFrom128(new Uint8Array(10), 1)).toThrow(/src must be 16 bytes/);
    expect(() => transposeFrom128(new Uint8Array(16), 1, new Uint8Array(16))).toThrow(/out must be 128 bytes/);
  });
});

describe("bitTranspose kernel", () => {
  // Shapes no caller uses today but the kernel accepts: partial 512 × 512 tiles in both directions, a partial last
  // 128-row block, and 128 rows past one 4096-column pass.
  it.each([
    [16, 128],
    [48, 640],
    [144, 4224],
    [528, 1152],
    [128, 8320],
  ])("matches the bitwise reference for %i × %i", (rows, cols) => {
    const w = wasm();
    const bytes = (rows * cols) >>> 3;
    // views taken after the last allocation, which may grow (and detach) the memory
    const ptrs = [w.alloc(w.k.bitTransposeScratchBytes() as number), w.alloc(bytes), w.alloc(bytes)];
    const [tmp, s, d] = ptrs;
    try {
      const src = randomBytes(bytes, rows + cols);
      w.u8(s, bytes).set(src);
      w.k.bitTranspose(d, s, rows, cols, tmp);
      expectSameBytes(w.u8(d, bytes), referenceAny(src, rows, cols));
    } finally {
      for (const p of ptrs) w.free(p);
    }
  });
});
