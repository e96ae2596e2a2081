import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { getBit } from "../src/core/bits.js";
import { drelu, msb } from "../src/mpc/drelu.js";
import { relu } from "../src/mpc/relu.js";
import { edgeValues, makePair, open, share, withEdges, type Pair } from "./mpc-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
}, 30_000);

const opened = ([a, b]: [Uint8Array, Uint8Array], n: number) => Array.from({ length: n }, (_, i) => getBit(a, i) ^ getBit(b, i));

describe("drelu, msb and relu", { timeout: 30_000 }, () => {
  for (const bits of [2, 3, 16, 32, 37, 64]) {
    it(`are exact at ℓ = ${bits}, edge values included`, async () => {
      const ring = new Ring(bits);
      const n = bits === 37 ? 1024 + 101 : 131;
      const x = withEdges(n, ring, edgeValues(ring));
      const [x0, x1] = share(x, ring);
      const sign = Array.from(x, (v) => (ring.signed(v) >= 0n ? 1 : 0));
      expect(opened(await pair.both((p) => drelu(p, p.isServer ? x0 : x1, ring)), n)).toEqual(sign);
      expect(opened(await pair.both((p) => msb(p, p.isServer ? x0 : x1, ring)), n)).toEqual(sign.map((s) => 1 - s));
      const r = open(await pair.both((p) => relu(p, p.isServer ? x0 : x1, ring)), ring);
      expect(Array.from(r)).toEqual(Array.from(x, (v) => (ring.signed(v) >= 0n ? v : 0n)));
    });
  }

  it("is exact for every share split of the sign boundary", async () => {
    // The same value −2^(ℓ−1) or 2^(ℓ−1) − 1 shared with server shares 0, 1, the boundary and the maximum.
    const ring = new Ring(16);
    const values = [ring.half, ring.half - 1n, 0n, ring.mask];
    const shares = [0n, 1n, ring.half, ring.half - 1n, ring.mask];
    const x = new BigUint64Array(values.flatMap((v) => shares.map(() => v)));
    const x0 = new BigUint64Array(values.flatMap(() => shares));
    const x1 = x.map((v, i) => (v - x0[i]) & ring.mask);
    const out = opened(await pair.both((p) => drelu(p, p.isServer ? x0 : x1, ring)), x.length);
    expect(out).toEqual(Array.from(x, (v) => (ring.signed(v) >= 0n ? 1 : 0)));
  });

  it("costs at most SCI's 4,368 bits per DReLU at ℓ = 37", async () => {
    const ring = new Ring(37);
    const n = 4096;
    const x = withEdges(n, ring, []);
    const { traffic } = await pair.measured((p) => drelu(p, x, ring));
    expect((traffic.bytes * 8) / n).toBeLessThanOrEqual(4368 * 1.005);
  });

  it("returns empty shares for an empty batch", async () => {
    const ring = new Ring(37);
    const [s, c] = await pair.both((p) => drelu(p, new BigUint64Array(0), ring));
    expect([s.length, c.length]).toEqual([0, 0]);
    const r = await pair.both((p) => relu(p, new BigUint64Array(0), ring));
    expect(r[0].length).toBe(0);
  });

  it("rejects a one-bit ring and non-array inputs", async () => {
    await expect(drelu(pair.server, new BigUint64Array(1), new Ring(1))).rejects.toThrow(/at least 2 bits/);
    await expect(drelu(pair.server, [0n] as unknown as BigUint64Array, new Ring(8))).rejects.toThrow(TypeError);
  });
});
