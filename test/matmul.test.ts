import { describe, expect, it } from "vitest";
import { matmul } from "../src/core/kernels.js";
import { wasm } from "../src/core/wasm.js";

/** xorshift64*: reproducible full-width u64 values. */
function randomU64(n: number, seed: bigint): BigUint64Array {
  const out = new BigUint64Array(n);
  let s = seed | 1n;
  for (let i = 0; i < n; i++) {
    s ^= s >> 12n;
    s ^= BigInt.asUintN(64, s << 25n);
    s ^= s >> 27n;
    out[i] = BigInt.asUintN(64, s * 0x2545f4914f6cdd1dn);
  }
  return out;
}

/** Random entries with the edge values 0, 1, 2^l−1, 2^(l−1) and 2^64−1 sprinkled in. */
function matrix(rows: number, cols: number, bits: number, seed: bigint): BigUint64Array {
  const a = randomU64(rows * cols, seed);
  const l = BigInt(bits);
  const edges = [0n, 1n, (1n << l) - 1n, 1n << (l - 1n), 2n ** 64n - 1n];
  for (let i = 0; i < a.length; i += 3) a[i] = edges[(i / 3 + Number(seed)) % edges.length];
  return a;
}

function reference(a: BigUint64Array, b: BigUint64Array, m: number, k: number, n: number, bits: number): bigint[] {
  const mask = (1n << BigInt(bits)) - 1n;
  const c: bigint[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0n;
      for (let t = 0; t < k; t++) s = BigInt.asUintN(64, s + a[i * k + t] * b[t * n + j]);
      c.push(s & mask);
    }
  }
  return c;
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 5],
  [4, 4, 4],
  [5, 3, 9],
  [3, 17, 2],
  [129, 65, 67],
  [8, 70, 131], // more than two 64-column panels, ragged last block
  [0, 3, 4],
  [3, 0, 4],
  [3, 4, 0],
];

describe("matmul mod 2^l equals a BigInt reference", () => {
  for (const bits of [1, 16, 37, 63, 64]) {
    it(`shapes ${SHAPES.map((s) => s.join("×")).join(", ")} mod 2^${bits}`, () => {
      for (const [m, k, n] of SHAPES) {
        const a = matrix(m, k, bits, BigInt(m * 31 + k));
        const b = matrix(k, n, bits, BigInt(n * 17 + k + 1));
        const c = matmul(a, b, m, k, n, bits);
        expect(c.length).toBe(m * n);
        expect(Array.from(c), `${m}×${k}·${k}×${n}`).toEqual(reference(a, b, m, k, n, bits));
      }
    }, 20_000);
  }

  it("computes the all-ones product exactly (every partial sum wraps)", () => {
    const k = 2 ** 6 + 101;
    const a = new BigUint64Array(3 * k).fill(2n ** 64n - 1n);
    const b = new BigUint64Array(k * 5).fill(2n ** 64n - 1n);
    // (−1)·(−1) summed k times
    expect(Array.from(matmul(a, b, 3, k, 5))).toEqual(new Array(15).fill(BigInt(k)));
  });

  it("writes into kernel memory without copying and overwrites stale output", () => {
    const w = wasm();
    const [m, k, n] = [9, 21, 14];
    const a = w.allocU64(m * k);
    const b = w.allocU64(k * n);
    const c = w.allocU64(m * n);
    try {
      a.set(matrix(m, k, 37, 3n));
      b.set(matrix(k, n, 37, 4n));
      c.fill(12345n);
      expect(matmul(a, b, m, k, n, 37, c)).toBe(c);
      expect(Array.from(c)).toEqual(reference(a, b, m, k, n, 37));
    } finally {
      for (const x of [a, b, c]) w.release(x);
    }
  });

  it("returns a live view of a kernel-memory output when its scratch grows the memory", () => {
    const w = wasm();
    const [m, k, n] = [2, 512, 1024]; // packed B takes a fresh 4 MiB block at the top of memory
    const ptrs = [m * k, k * n, m * n].map((len) => w.alloc(8 * len));
    const [a, b, c] = [m * k, k * n, m * n].map((len, i) => w.u64(ptrs[i], len));
    try {
      a.set(matrix(m, k, 64, 5n));
      b.set(matrix(k, n, 64, 6n));
      const before = w.memory.buffer.byteLength;
      const got = matmul(a, b, m, k, n, 64, c);
      expect(w.memory.buffer.byteLength).toBeGreaterThan(before);
      expect(c.length).toBe(0); // detached by the growth
      expect(got.byteOffset).toBe(ptrs[2]);
      expect(Array.from(got)).toEqual(reference(w.u64(ptrs[0], m * k), w.u64(ptrs[1], k * n), m, k, n, 64));
    } finally {
      for (const p of ptrs) w.free(p);
    }
  }, 20_000);
});

describe("matmul argument checks", () => {
  const a = new BigUint64Array(6);
  it("names the failing argument", () => {
    expect(() => matmul(a, new BigUint64Array(5), 2, 3, 2)).toThrow(/b has length 5, expected 6/);
    expect(() => matmul(a, a, 3, 3, 2)).toThrow(/a has length 6, expected 9/);
    expect(() => matmul(a, a, -1, 3, 2)).toThrow(/m must be a non-negative integer/);
    expect(() => matmul(a, a, 2, 1.5, 2)).toThrow(/k must be/);
    expect(() => matmul(a, a, 2, 3, 2, 65)).toThrow(/bits/);
    expect(() => matmul(a, a, 2, 3, 2, 64, new BigUint64Array(3))).toThrow(/out has length 3, expected 4/);
    const buf = new BigUint64Array(16);
    expect(() => matmul(buf.subarray(0, 6), buf.subarray(6, 12), 2, 3, 2, 64, buf.subarray(10, 14))).toThrow(/out overlaps b/);
  });
});
