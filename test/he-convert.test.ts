// Shares mod t to shares in Z_2^l: exact against BigInt, unsigned and signed, at the wrap boundaries.
import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { convertModT } from "../src/he/convert.js";
import { makePair, open, randomRing, type Pair } from "./mpc-util.js";

const ring = new Ring(37, 12);

describe("convertModT", () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await makePair();
  }, 30_000);

  for (const t of [536903681n, 18014398508400641n, 557057n]) {
    it(`t = ${t}: random values and the edges 0, 1, (t±1)/2, t−1`, async () => {
      const n = 1024 + 101;
      const x = randomRing(n, new Ring(62)).map((v) => v % t);
      const half = (t - 1n) / 2n;
      [0n, 1n, half, half + 1n, t - 1n, t - 2n].forEach((v, i) => (x[i] = v));
      const s0 = randomRing(n, new Ring(62)).map((v) => v % t);
      s0[10] = 0n; // a share of 0 and of t − 1: both ends of the wrap test
      s0[11] = t - 1n;
      const s1 = x.map((v, i) => (v - s0[i] + t) % t);
      for (const signed of [false, true]) {
        const y = open(await pair.both((p) => convertModT(p, ring, t, p.isServer ? s0 : s1, signed)), ring);
        const ref = x.map((v) => ring.reduce(signed && v > half ? v - t : v));
        expect(y).toEqual(ref);
      }
    }, 60_000);
  }

  it("rejects shares not below t and even moduli", async () => {
    await expect(convertModT(pair.server, ring, 557057n, new BigUint64Array([557057n]))).rejects.toThrow(/x\[0\] = 557057 is not below t/);
    await expect(convertModT(pair.server, ring, 1n << 20n, new BigUint64Array(1))).rejects.toThrow(/odd modulus/);
  });
});
