import { describe, expect, it } from "vitest";
import { add, addScalar, mul, mulScalar, neg, reduce, sub } from "../src/core/kernels.js";
import { wasm } from "../src/core/wasm.js";

const BITS = [1, 16, 37, 63, 64];
const LENGTHS = [0, 1, 2, 3, 2 ** 10 + 101, 2 ** 13 + 101];

/** splitmix64: reproducible full-width u64 values. */
function randomU64(n: number, seed: bigint): BigUint64Array {
  const out = new BigUint64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = BigInt.asUintN(64, s + 0x9e3779b97f4a7c15n);
    let z = s;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    out[i] = z ^ (z >> 31n);
  }
  return out;
}

/** Random lanes with the edge values of Z_2^bits (0, 1, 2^l−1, 2^(l−1)) and of u64 placed at the front. */
function operand(n: number, bits: number, seed: bigint): BigUint64Array {
  const a = randomU64(n, seed);
  const l = BigInt(bits);
  const edges = [0n, 1n, (1n << l) - 1n, 1n << (l - 1n), 2n ** 64n - 1n, 1n << 63n];
  // pair every edge value with every other one in the first lanes
  for (let i = 0; i < Math.min(n, edges.length * edges.length); i++) {
    a[i] = seed % 2n === 0n ? edges[i % edges.length] : edges[Math.floor(i / edges.length)];
  }
  return a;
}

const mask = (bits: number) => (1n << BigInt(bits)) - 1n;
const ref2 = (a: BigUint64Array, b: BigUint64Array, f: (x: bigint, y: bigint) => bigint, bits: number) =>
  Array.from(a, (x, i) => f(x, b[i]) & mask(bits));
const ref1 = (a: BigUint64Array, f: (x: bigint) => bigint, bits: number) => Array.from(a, (x) => f(x) & mask(bits));

describe("elementwise ring kernels match BigInt", () => {
  for (const bits of BITS) {
    it(`add, sub, mul, neg, reduce mod 2^${bits}`, () => {
      for (const n of LENGTHS) {
        const a = operand(n, bits, 2n);
        const b = operand(n, bits, 3n);
        expect(Array.from(add(a, b, bits))).toEqual(ref2(a, b, (x, y) => x + y, bits));
        expect(Array.from(sub(a, b, bits))).toEqual(ref2(a, b, (x, y) => x - y, bits));
        expect(Array.from(mul(a, b, bits))).toEqual(ref2(a, b, (x, y) => x * y, bits));
        expect(Array.from(neg(a, bits))).toEqual(ref1(a, (x) => -x, bits));
        expect(Array.from(reduce(a, bits))).toEqual(ref1(a, (x) => x, bits));
      }
    });

    it(`mulScalar, addScalar mod 2^${bits}`, () => {
      const l = BigInt(bits);
      for (const s of [0n, 1n, (1n << l) - 1n, 1n << (l - 1n), 0xdeadbeefcafef00dn, -3n]) {
        for (const n of [1, 2 ** 10 + 101]) {
          const a = operand(n, bits, 5n);
          expect(Array.from(mulScalar(a, s, bits))).toEqual(ref1(a, (x) => x * s, bits));
          expect(Array.from(addScalar(a, s, bits))).toEqual(ref1(a, (x) => x + s, bits));
        }
      }
    });
  }

  it("defaults to mod 2^64", () => {
    const a = operand(37, 64, 7n);
    const b = operand(37, 64, 8n);
    expect(Array.from(add(a, b))).toEqual(ref2(a, b, (x, y) => x + y, 64));
    expect(Array.from(mul(a, b))).toEqual(ref2(a, b, (x, y) => x * y, 64));
  });
});

describe("operands in kernel memory and in place", () => {
  it("works on arrays from allocU64 without copying, in place and into another kernel array", () => {
    const w = wasm();
    const n = 2 ** 12 + 101;
    const a = operand(n, 37, 11n);
    const b = operand(n, 37, 12n);
    const ka = w.allocU64(n);
    const kb = w.allocU64(n);
    const kc = w.allocU64(n);
    try {
      ka.set(a);
      kb.set(b);
      expect(mul(ka, kb, 37, kc)).toBe(kc);
      expect(Array.from(kc)).toEqual(ref2(a, b, (x, y) => x * y, 37));
      sub(ka, kb, 37, ka); // in place on the first operand
      expect(Array.from(ka)).toEqual(ref2(a, b, (x, y) => x - y, 37));
      neg(kb, 63, kb);
      expect(Array.from(kb)).toEqual(ref1(b, (x) => -x, 63));
    } finally {
      for (const x of [ka, kb, kc]) w.release(x);
    }
  });

  it("mixes kernel-memory and outside operands when copying in grows the memory", () => {
    const w = wasm();
    const n = 2 ** 16 + 101; // the copy of b takes a fresh block at the top of memory, which always grows it
    const ka = w.allocU64(n);
    const a = operand(n, 37, 15n);
    const b = operand(n, 37, 16n);
    ka.set(a);
    const ptr = ka.byteOffset;
    const before = w.memory.buffer.byteLength;
    const got = add(ka, b, 37, ka);
    try {
      expect(w.memory.buffer.byteLength).toBeGreaterThan(before);
      expect(got.byteOffset).toBe(ptr);
      expect(got.length).toBe(n);
      expect(Array.from(got)).toEqual(ref2(a, b, (x, y) => x + y, 37));
    } finally {
      w.free(ptr);
    }
  });

  it("works in place on arrays outside kernel memory", () => {
    const a = operand(2 ** 10 + 101, 16, 13n);
    const b = operand(2 ** 10 + 101, 16, 14n);
    const copy = a.slice();
    expect(add(a, b, 16, a)).toBe(a);
    expect(Array.from(a)).toEqual(ref2(copy, b, (x, y) => x + y, 16));
    addScalar(b, 5n, 16, b);
    expect(b[0]).toBe(5n); // edge value 0 at the front
  });
});

describe("argument checks name the argument", () => {
  const a = new BigUint64Array(4);
  it("rejects bad shapes, types, bits and overlaps", () => {
    expect(() => add(a, new BigUint64Array(3))).toThrow(/b has length 3, expected 4/);
    expect(() => add(a, a, 64, new BigUint64Array(5))).toThrow(/out has length 5/);
    expect(() => add(new Uint32Array(4) as unknown as BigUint64Array, a)).toThrow(TypeError);
    expect(() => add(a, a, 0)).toThrow(/bits must be an integer in \[1, 64\], got 0/);
    expect(() => neg(a, 65)).toThrow(/bits/);
    expect(() => reduce(a, 2.5)).toThrow(/bits/);
    expect(() => mulScalar(a, 3 as unknown as bigint)).toThrow(/s must be a bigint/);
    const buf = new BigUint64Array(8);
    expect(() => add(buf.subarray(0, 4), buf.subarray(4), 64, buf.subarray(2, 6))).toThrow(/out overlaps a/);
  });
});
