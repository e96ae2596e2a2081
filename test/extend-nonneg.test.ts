import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { extendNonneg } from "../src/mpc/extend-nonneg.js";
import { PlainFx } from "../src/nonlinear/engine.js";
import { makePair, open, randomRing, share, type Pair } from "./mpc-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
}, 30_000);

describe("extendNonneg", { timeout: 30_000 }, () => {
  for (const [f, t] of [[2, 3], [11, 37], [20, 37], [36, 37], [37, 64], [63, 64]]) {
    it(`extends non-negative values ${f} → ${t} bits exactly`, async () => {
      const from = new Ring(f), to = new Ring(t);
      const half = new Ring(f - 1);
      // Every value of [0, 2^(f−1)): the edges 0, 1, 2^(f−2), 2^(f−1) − 1 and random ones.
      const edges = [0n, 1n, half.half, half.mask].map((v) => v & half.mask);
      const x = randomRing(256 + 101, half);
      edges.forEach((v, i) => (x[i] = v));
      const [x0, x1] = share(x, from);
      const y = open(await pair.both((p) => extendNonneg(p, p.isServer ? x0 : x1, from, to)), to);
      expect(Array.from(y)).toEqual(Array.from(x));
      expect(Array.from(await new PlainFx().extendNonneg(x, from, to))).toEqual(Array.from(x));
    });
  }

  it("costs one correlated OT of the added bits per value", async () => {
    const from = new Ring(11), to = new Ring(37);
    const x = randomRing(1024, new Ring(10));
    const [x0, x1] = share(x, from);
    const { traffic } = await pair.measured((p) => extendNonneg(p, p.isServer ? x0 : x1, from, to));
    expect((traffic.bytes * 8) / x.length).toBeLessThan(128 + 26 + 8);
  });

  it("returns a copy for equal rings and rejects a smaller target ring", async () => {
    const r = new Ring(20);
    const x = BigUint64Array.of(5n);
    const y = await extendNonneg(pair.server, x, r, r);
    expect(y).not.toBe(x);
    expect(Array.from(y)).toEqual([5n]);
    await expect(extendNonneg(pair.server, x, new Ring(37), r)).rejects.toThrow(/fewer than from/);
    await expect(extendNonneg(pair.server, [1n] as unknown as BigUint64Array, r, r)).rejects.toThrow(TypeError);
  });
});
