import { ctr } from "@noble/ciphers/aes.js";
import { describe, expect, it } from "vitest";
import type { AesBackend } from "../src/core/aes.js";
import { Prg } from "../src/core/prg.js";
import { wasm } from "../src/core/wasm.js";
import { expectSameBytes } from "./bytes.js";

const BACKENDS: AesBackend[] = ["node", "wasm"];

function seedOf(s: number): Uint8Array {
  return Uint8Array.from({ length: 16 }, (_, i) => (s * 31 + i * 7) & 255);
}

/** Independent reference: the AES-128-CTR keystream of @noble/ciphers with a zero IV. */
function keystream(seed: Uint8Array, n: number): Uint8Array {
  return ctr(seed, new Uint8Array(16)).encrypt(new Uint8Array(n));
}

/** Pearson chi-square statistic of byte counts against the uniform distribution (255 degrees of freedom). */
function chiSquare(bytes: Uint8Array): number {
  const counts = new Float64Array(256);
  for (const b of bytes) counts[b]++;
  const e = bytes.length / 256;
  let chi = 0;
  for (const c of counts) chi += ((c - e) * (c - e)) / e;
  return chi;
}

describe.each(BACKENDS)("Prg on the %s backend", (backend) => {
  const seeded = (s: number) => Prg.fromSeed(seedOf(s), { backend });

  it("reports its backend", async () => {
    expect((await seeded(1)).backend).toBe(backend);
  });

  it("is the AES-128-CTR keystream of the seed", async () => {
    const prg = await seeded(2);
    expectSameBytes(prg.bytes(40000), keystream(seedOf(2), 40000));
    // an odd number of whole blocks straight from the stream (1025), then a partial block
    expectSameBytes((await seeded(2)).bytes(16400 + 5), keystream(seedOf(2), 16405));
  });

  it("gives the same stream however the requests are split", async () => {
    const n = 2 * 65536 + 101;
    const whole = (await seeded(3)).bytes(n);
    const prg = await seeded(3);
    const parts: Uint8Array[] = [];
    // sizes around the buffer and block boundaries: empty, sub-block, block, buffer-sized, unaligned large
    for (const len of [0, 1, 15, 16, 5, 16384, 3, 20000, 33, 65536 + 7]) parts.push(prg.bytes(len));
    const used = parts.reduce((s, p) => s + p.length, 0);
    parts.push(prg.bytes(n - used));
    const joined = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      joined.set(p, o);
      o += p.length;
    }
    expectSameBytes(joined, whole);
  });

  it("fills arrays in kernel memory with the same stream", async () => {
    const w = wasm();
    const a = w.allocU8(20000);
    try {
      (await seeded(4)).fill(a);
      expectSameBytes(a, (await seeded(4)).bytes(20000));
    } finally {
      w.release(a);
    }
  });

  it("differs between seeds, and between OS-seeded instances", async () => {
    expect((await seeded(5)).bytes(64)).not.toEqual((await seeded(6)).bytes(64));
    const [a, b] = [await Prg.create({ backend }), await Prg.create({ backend })];
    expect(a.bytes(32)).not.toEqual(b.bytes(32));
  });

  it.each([1, 2, 7, 31, 32, 33, 37, 63, 64])("u64(n, %i) is the stream's little-endian words mod 2^bits", async (bits) => {
    const n = 1024 + 101;
    const v = (await seeded(bits)).u64(n, bits);
    const raw = (await seeded(bits)).bytes(8 * n);
    const words = new DataView(raw.buffer);
    const mask = (1n << BigInt(bits)) - 1n;
    let top = 0;
    const wrong: number[] = [];
    for (let i = 0; i < n; i++) {
      if (v[i] !== (words.getBigUint64(8 * i, true) & mask)) wrong.push(i);
      if (v[i] >> BigInt(bits - 1)) top++;
    }
    expect(wrong).toEqual([]);
    // the top bit is set in about half of the values: the whole range is reached
    expect(top).toBeGreaterThan(n / 2 - 5 * Math.sqrt(n));
    expect(top).toBeLessThan(n / 2 + 5 * Math.sqrt(n));
  });

  it("fillU64 continues the same stream in place", async () => {
    const a = new BigUint64Array(10);
    const prg = await seeded(8);
    prg.fillU64(a.subarray(0, 3), 40);
    prg.fillU64(a.subarray(3), 40);
    expect(a).toEqual((await seeded(8)).u64(10, 40));
  });

  it.each([0, 1, 8, 13, 16, 1000 + 5])("bits(%i) is packed with the tail cleared", async (n) => {
    const v = (await seeded(9)).bits(n);
    const raw = (await seeded(9)).bytes((n + 7) >>> 3);
    expect(v.length).toBe((n + 7) >>> 3);
    if (n & 7) {
      expect(v[v.length - 1] >>> (n & 7)).toBe(0);
      expect(v[v.length - 1]).toBe(raw[raw.length - 1] & ((1 << (n & 7)) - 1));
    }
    expectSameBytes(v.subarray(0, n >>> 3), raw.subarray(0, n >>> 3));
  });

  it("derives children synchronously: withSeed, fork and seed", async () => {
    const prg = await seeded(10);
    const child = prg.withSeed(seedOf(11));
    expect(child.backend).toBe(backend);
    expectSameBytes(child.bytes(100), keystream(seedOf(11), 100));
    const s = (await seeded(10)).seed();
    expectSameBytes(prg.fork().bytes(50), keystream(s, 50));
  });

  it("passes a chi-square test on bytes", async () => {
    // 255 degrees of freedom: mean 255, standard deviation ≈ 22.6; 400 is beyond 6 standard deviations.
    expect(chiSquare((await Prg.create({ backend })).bytes(1 << 20))).toBeLessThan(400);
    expect(chiSquare((await seeded(12)).bytes(1 << 20))).toBeLessThan(400);
  });

  it("rejects bad arguments naming the field", async () => {
    const prg = await seeded(13);
    expect(() => prg.bytes(-1)).toThrow(/n must be a non-negative integer/);
    expect(() => prg.u64(4, 0)).toThrow(/bits must be an integer in \[1, 64\]/);
    expect(() => prg.u64(4, 65)).toThrow(RangeError);
    expect(() => prg.withSeed(new Uint8Array(8))).toThrow(/seed must be 16 bytes/);
    await expect(Prg.fromSeed(new Uint8Array(17), { backend })).rejects.toThrow(/seed must be 16 bytes/);
  });
});

describe("Prg backends", () => {
  it("give identical streams for the same seed", async () => {
    const seed = seedOf(20);
    const [n, w] = [await Prg.fromSeed(seed, { backend: "node" }), await Prg.fromSeed(seed, { backend: "wasm" })];
    expectSameBytes(n.bytes(50000), w.bytes(50000));
    expect(n.u64(500, 41)).toEqual(w.u64(500, 41));
  });

  it("the chi-square check detects a biased stream", () => {
    const biased = new Uint8Array(1 << 20).map((_, i) => (i * 7) & 0xfe);
    expect(chiSquare(biased)).toBeGreaterThan(400);
  });
});
