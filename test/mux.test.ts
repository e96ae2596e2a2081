import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { mux, select } from "../src/mpc/mux.js";
import { getBit } from "../src/core/bits.js";
import { edgeValues, makePair, open, randomBits, randomRing, share, shareBits, withEdges, type Pair } from "./mpc-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
}, 30_000);

describe("mux", () => {
  for (const bits of [2, 16, 32, 37, 64]) {
    it(`selects sel ? x : 0 mod 2^${bits}`, async () => {
      const ring = new Ring(bits);
      for (const n of [0, 1, 2048 + 101]) {
        const x = withEdges(n, ring, edgeValues(ring));
        const sel = randomBits(n);
        const [xs, xc] = share(x, ring);
        const [ss, sc] = shareBits(sel, n);
        const out = await pair.both((p) => (p.isServer ? mux(p, ss, xs, ring) : mux(p, sc, xc, ring)));
        const v = open(out, ring);
        for (let i = 0; i < n; i++) expect(v[i]).toBe(getBit(sel, i) ? x[i] : 0n);
      }
    });
  }

  it("select gives sel ? a : b", async () => {
    const ring = new Ring(37);
    const n = 513;
    const a = withEdges(n, ring, edgeValues(ring));
    const b = randomRing(n, ring);
    const sel = randomBits(n);
    const [as, ac] = share(a, ring);
    const [bs, bc] = share(b, ring);
    const [ss, sc] = shareBits(sel, n);
    const out = await pair.both((p) => (p.isServer ? select(p, ss, as, bs, ring) : select(p, sc, ac, bc, ring)));
    const v = open(out, ring);
    for (let i = 0; i < n; i++) expect(v[i]).toBe(getBit(sel, i) ? a[i] : b[i]);
  });

  it("costs two correlated OTs: 2·(128 + l) bits plus framing", async () => {
    const ring = new Ring(37);
    const n = 4096;
    const { traffic } = await pair.measured((p) => mux(p, randomBits(n), randomRing(n, ring), ring));
    const perOp = (traffic.bytes * 8) / n;
    expect(perOp).toBeGreaterThanOrEqual(2 * (128 + 37));
    expect(perOp).toBeLessThan(2 * (128 + 37) + 4);
  });

  it("rejects mismatched inputs, naming the field", async () => {
    const ring = new Ring(16);
    await expect(mux(pair.server, new Uint8Array(1), new BigUint64Array(9), ring)).rejects.toThrow(/mux: sel/);
    await expect(select(pair.server, new Uint8Array(1), new BigUint64Array(2), new BigUint64Array(3), ring)).rejects.toThrow(/select/);
  });
});
