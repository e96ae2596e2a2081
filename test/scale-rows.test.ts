import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { scaleRows } from "../src/mpc/matmul.js";
import { edgeValues, makePair, open, randomRing, share, withEdges, type Pair } from "./mpc-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
}, 30_000);

function reference(x: BigUint64Array, v: BigUint64Array, cols: number, ring: Ring): bigint[] {
  return Array.from(x, (xv, q) => (xv * v[Math.floor(q / cols)]) & ring.mask);
}

describe("scaleRows", { timeout: 30_000 }, () => {
  for (const [l, rows, cols] of [[37, 5, 768], [37, 64 + 101, 3], [64, 3, 129], [2, 7, 9], [37, 1, 1]]) {
    it(`scales each row by its own shared factor exactly (l = ${l}, ${rows} × ${cols})`, async () => {
      const ring = new Ring(l);
      const x = withEdges(rows * cols, ring, edgeValues(ring));
      const v = withEdges(rows, ring, edgeValues(ring).reverse());
      const [x0, x1] = share(x, ring);
      const [v0, v1] = share(v, ring);
      const y = open(await pair.both((p) => scaleRows(p, p.isServer ? x0 : x1, p.isServer ? v0 : v1, rows, cols, ring)), ring);
      expect(Array.from(y)).toEqual(reference(x, v, cols, ring));
    });
  }

  it("runs in chunks of rows when the pads exceed one buffer", async () => {
    // Two bits keep it quick: one row of 2^19 + 6 values per chunk of pads, two chunks.
    const ring = new Ring(2);
    const rows = 2, cols = (1 << 19) + 6;
    const x = randomRing(rows * cols, ring);
    const v = randomRing(rows, ring);
    const [x0, x1] = share(x, ring);
    const [v0, v1] = share(v, ring);
    const y = open(await pair.both((p) => scaleRows(p, p.isServer ? x0 : x1, p.isServer ? v0 : v1, rows, cols, ring)), ring);
    expect(Array.from(y)).toEqual(reference(x, v, cols, ring));
  });

  it("costs about l·(l + 1) bits per element for wide rows", async () => {
    const ring = new Ring(37);
    const rows = 4, cols = 768;
    const [x0, x1] = share(randomRing(rows * cols, ring), ring);
    const [v0, v1] = share(randomRing(rows, ring), ring);
    const { traffic } = await pair.measured((p) => scaleRows(p, p.isServer ? x0 : x1, p.isServer ? v0 : v1, rows, cols, ring));
    expect((traffic.bytes * 8) / (rows * cols)).toBeLessThan(37 * 38 + 2 * (128 * 37) / cols + 16);
  });

  it("checks its shapes", async () => {
    const ring = new Ring(37);
    await expect(scaleRows(pair.server, new BigUint64Array(5), new BigUint64Array(2), 2, 3, ring)).rejects.toThrow(/rows·cols = 6/);
    await expect(scaleRows(pair.server, new BigUint64Array(6), new BigUint64Array(3), 2, 3, ring)).rejects.toThrow(/rows = 2/);
    await expect(scaleRows(pair.server, new BigUint64Array(0), new BigUint64Array(0), -1, 0, ring)).rejects.toThrow(/non-negative/);
  });
});
