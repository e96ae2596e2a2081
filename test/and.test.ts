import { beforeAll, describe, expect, it } from "vitest";
import { and, bitTriples } from "../src/mpc/and.js";
import { getBit, packBits } from "../src/core/bits.js";
import { makePair, randomBits, shareBits, type Pair } from "./mpc-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
}, 30_000);

const xorBit = (a: Uint8Array, b: Uint8Array, i: number) => getBit(a, i) ^ getBit(b, i);

describe("bit triples", { timeout: 30_000 }, () => {
  for (const m of [1, 2, 9, 4096 + 101]) {
    it(`gives ${m} triples with c = a ∧ b`, async () => {
      const [s, c] = await pair.both((p) => bitTriples(p, m));
      let ones = 0;
      for (let i = 0; i < m; i++) {
        const a = xorBit(s.a, c.a, i), b = xorBit(s.b, c.b, i);
        expect(xorBit(s.c, c.c, i)).toBe(a & b);
        ones += a + b;
      }
      // a and b are uniform: a stuck triple generator would fail this for large m.
      if (m > 1000) expect(Math.abs(ones / (2 * m) - 0.5)).toBeLessThan(0.05);
    });
  }
});

describe("and", { timeout: 30_000 }, () => {
  it("covers every combination of the four input shares", async () => {
    const combos = Array.from({ length: 16 }, (_, k) => k);
    const pick = (bit: number) => packBits(combos.map((k) => (k >> bit) & 1));
    const [zs, zc] = await pair.both((p) => (p.isServer ? and(p, pick(0), pick(1), 16) : and(p, pick(2), pick(3), 16)));
    for (const k of combos) {
      const x = (k & 1) ^ ((k >> 2) & 1);
      const y = ((k >> 1) & 1) ^ ((k >> 3) & 1);
      expect(xorBit(zs, zc, k)).toBe(x & y);
    }
  });

  for (const n of [1, 7, 8, 1024 + 101]) {
    it(`ands ${n} random shared bits`, async () => {
      const x = randomBits(n), y = randomBits(n);
      const [x0, x1] = shareBits(x, n);
      const [y0, y1] = shareBits(y, n);
      const [zs, zc] = await pair.both((p) => and(p, p.isServer ? x0 : x1, p.isServer ? y0 : y1, n));
      expect(zs.length).toBe((n + 7) >>> 3);
      for (let i = 0; i < n; i++) expect(xorBit(zs, zc, i)).toBe(getBit(x, i) & getBit(y, i));
      // Bits past n are zero in both shares.
      if (n & 7) expect(zs[zs.length - 1] >> (n & 7)).toBe(0);
    });
  }

  it("costs one 1-of-16 OT per two ANDs plus the openings", async () => {
    const n = 8192;
    const x = randomBits(n), y = randomBits(n);
    const { traffic } = await pair.measured((p) => and(p, x, y, n));
    const perAnd = (traffic.bytes * 8) / n;
    // (256 + 16·2) / 2 for the triple, 2 + 2 for the openings.
    expect(perAnd).toBeGreaterThanOrEqual(148);
    expect(perAnd).toBeLessThan(150);
  });

  it("rejects short vectors", async () => {
    await expect(and(pair.server, new Uint8Array(1), new Uint8Array(2), 9)).rejects.toThrow(/and: x/);
    await expect(and(pair.server, new Uint8Array(2), new Uint8Array(1), 9)).rejects.toThrow(/and: y/);
  });
});
