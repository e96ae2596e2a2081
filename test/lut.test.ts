import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { lut } from "../src/mpc/lut.js";
import { makePair, open, randomRing, share, type Pair } from "./mpc-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
}, 30_000);

describe("lut", () => {
  for (const [m, outBits] of [[1, 16], [4, 37], [6, 64], [8, 37]]) {
    it(`looks up a 2^${m}-entry table into Z_2^${outBits}`, async () => {
      const out = new Ring(outBits);
      const idxRing = new Ring(m);
      const size = 1 << m;
      const table = randomRing(size, out);
      table[0] = out.mask;
      const n = 300 + 101;
      const x = randomRing(n, idxRing);
      for (let j = 0; j < Math.min(size, n); j++) x[j] = BigInt(j);
      const [xs, xc] = share(x, idxRing);
      const res = await pair.both((p) => (p.isServer ? lut(p, table, xs, m, out) : lut(p, new BigUint64Array(0), xc, m, out)));
      const v = open(res, out);
      for (let i = 0; i < n; i++) expect(v[i]).toBe(table[Number(x[i])]);
    });
  }

  it("splits large batches into OT calls of at most 2^22 messages", { timeout: 20_000 }, async () => {
    const out = new Ring(20);
    const table = randomRing(256, out);
    const idx = new Ring(8);
    const x = randomRing((1 << 14) + 101, idx);
    const [xs, xc] = share(x, idx);
    const res = await pair.both((p) => lut(p, table, p.isServer ? xs : xc, 8, out));
    const v = open(res, out);
    let wrong = 0;
    for (let i = 0; i < x.length; i++) if (v[i] !== table[Number(x[i])]) wrong++;
    expect(wrong).toBe(0);
  });

  it("uses only the low m bits of shares from a larger ring", async () => {
    const big = new Ring(37);
    const out = new Ring(32);
    const table = randomRing(16, out);
    const x = randomRing(200, big);
    const [xs, xc] = share(x, big);
    const res = await pair.both((p) => lut(p, table, p.isServer ? xs : xc, 4, out));
    const v = open(res, out);
    for (let i = 0; i < x.length; i++) expect(v[i]).toBe(table[Number(x[i] & 15n)]);
  });

  it("costs one 1-of-2^m OT per lookup: 256 + 2^m·l bits plus framing", async () => {
    const out = new Ring(37);
    const n = 1024;
    const table = randomRing(16, out);
    const { traffic } = await pair.measured((p) => lut(p, table, randomRing(n, new Ring(4)), 4, out));
    const perOp = (traffic.bytes * 8) / n;
    expect(perOp).toBeGreaterThanOrEqual(256 + 16 * 37);
    expect(perOp).toBeLessThan(256 + 16 * 37 + 4);
  });

  it("returns an empty vector for an empty batch", async () => {
    const res = await pair.both((p) => lut(p, new BigUint64Array(16), new BigUint64Array(0), 4, new Ring(16)));
    expect(res[0].length + res[1].length).toBe(0);
  });

  it("rejects a bad domain or table, naming the field", async () => {
    const out = new Ring(16);
    await expect(lut(pair.server, new BigUint64Array(16), new BigUint64Array(1), 9, out)).rejects.toThrow(/lut: m/);
    await expect(lut(pair.server, new BigUint64Array(15), new BigUint64Array(1), 4, out)).rejects.toThrow(/lut: table/);
  });
});
