import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { segment } from "../src/mpc/segment.js";
import { unpackBits } from "../src/core/bits.js";
import { PlainFx } from "../src/nonlinear/engine.js";
import { edgeValues, makePair, open, randomRing, share, type Pair } from "./mpc-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
}, 30_000);

/** Lanes around every boundary the protocol has: 0, ±2^(t+m−1), ±2^(l−2) and the ring's edges, plus random ones. */
function inputs(ring: Ring, t: number, m: number, n: number): BigUint64Array {
  const edge = 1n << BigInt(t + m - 1);
  const quarter = ring.half >> 1n;
  const near = [0n, edge, -edge, quarter, -quarter, 1n << BigInt(t)].flatMap((c) => [c - 1n, c, c + 1n]);
  const x = randomRing(n, ring);
  // A third of the lanes within a few cells of the range, where the sign and range flip.
  for (let i = 0; i < n / 3; i++) x[i] = ring.reduce(BigInt(Math.floor((Math.random() - 0.5) * 4 * Number(edge))));
  [...near.map((v) => ring.reduce(v)), ...edgeValues(ring)].forEach((v, i) => (x[n - 1 - i] = v));
  return x;
}

describe("segment", { timeout: 30_000 }, () => {
  for (const [l, t, m] of [[37, 6, 9], [37, 8, 7], [16, 1, 2], [64, 12, 8], [8, 3, 3]]) {
    it(`finds the cell, range and sign exactly (l = ${l}, t = ${t}, m = ${m})`, async () => {
      const ring = new Ring(l);
      const n = 512 + 101;
      const x = inputs(ring, t, m, n);
      const [x0, x1] = share(x, ring);
      const [r0, r1] = await pair.both((p) => segment(p, p.isServer ? x0 : x1, t, m, ring));
      const cellRing = r0.cellRing;
      expect(cellRing.bits).toBe(l - t);
      const cell = open([r0.cell, r1.cell], cellRing);
      const inRange = unpackBits(r0.inRange.map((b, i) => b ^ r1.inRange[i]), n);
      const nonneg = unpackBits(r0.nonneg.map((b, i) => b ^ r1.nonneg[i]), n);
      const twin = await new PlainFx().segment(x, t, m, ring);
      expect(Array.from(cell)).toEqual(Array.from(twin.cell));
      expect(Array.from(inRange)).toEqual(Array.from(unpackBits(twin.inRange, n)));
      expect(Array.from(nonneg)).toEqual(Array.from(unpackBits(twin.nonneg, n)));
      // The meaning, against BigInt arithmetic, wherever it is promised (|x| < 2^(l−2)).
      const bound = 1n << BigInt(m - 1);
      x.forEach((v, i) => {
        const X = ring.signed(v);
        const c = X >> BigInt(t);
        expect(cell[i]).toBe(cellRing.reduce(c));
        if (X < -(ring.half >> 1n) || X >= ring.half >> 1n) return;
        expect([inRange[i], nonneg[i]]).toEqual([Number(c >= -bound && c < bound), Number(X >= 0)]);
      });
    });
  }

  it("costs about one DReLU at l = 37", async () => {
    const ring = new Ring(37);
    const x = randomRing(1024, ring);
    const [x0, x1] = share(x, ring);
    const { traffic } = await pair.measured((p) => segment(p, p.isServer ? x0 : x1, 6, 9, ring));
    // DReLU at 37 bits is 4,368 bits; the three comparisons, two B2As and an AND stay within 1.3 of that.
    expect((traffic.bytes * 8) / x.length).toBeLessThan(1.3 * 4368);
  });

  it("rejects shifts and widths that leave a comparison without bits", async () => {
    const ring = new Ring(16);
    const x = new BigUint64Array(3);
    await expect(segment(pair.server, x, 0, 4, ring)).rejects.toThrow(/t must be/);
    await expect(segment(pair.server, x, 4, 1, ring)).rejects.toThrow(/m must be/);
    await expect(segment(pair.server, x, 8, 7, ring)).rejects.toThrow(/at most 14/);
    await expect(new PlainFx().segment(x, 8, 7, ring)).rejects.toThrow(/at most 14/);
  });
});
