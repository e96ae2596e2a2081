import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { argmax, max } from "../src/mpc/max.js";
import { makePair, open, randomRing, share, type Pair } from "./mpc-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
}, 30_000);

/** Signed values in [−2^(l−3), 2^(l−3)) so that every difference stays in range; some rows hold ties. */
function inputs(rows: number, cols: number, ring: Ring): BigUint64Array {
  const x = randomRing(rows * cols, ring);
  const range = ring.half >> 2n;
  for (let i = 0; i < x.length; i++) x[i] = ((x[i] % (2n * range)) - range) & ring.mask;
  if (rows > 1) for (let c = 0; c < cols; c++) x[cols + c] = x[cols]; // row 1: all equal
  if (rows > 2 && cols > 1) x[2 * cols + cols - 1] = x[2 * cols] = range - 1n; // row 2: max at both ends
  return x;
}

describe("max and argmax", () => {
  for (const bits of [16, 37, 64]) {
    for (const cols of [1, 2, 3, 8, 13]) {
      it(`row max and argmax, l = ${bits}, ${cols} columns`, async () => {
        const ring = new Ring(bits);
        const rows = 21;
        const x = inputs(rows, cols, ring);
        const [xs, xc] = share(x, ring);
        const m = open(await pair.both((p) => max(p, p.isServer ? xs : xc, rows, cols, ring)), ring);
        const am = await pair.both((p) => argmax(p, p.isServer ? xs : xc, rows, cols, ring));
        const idx = open([am[0].index, am[1].index], ring);
        const am2 = open([am[0].max, am[1].max], ring);
        for (let r = 0; r < rows; r++) {
          const row = [...x.subarray(r * cols, (r + 1) * cols)].map((v) => ring.signed(v));
          const best = row.reduce((a, b) => (b > a ? b : a));
          expect(ring.signed(m[r])).toBe(best);
          expect(ring.signed(am2[r])).toBe(best);
          expect(Number(idx[r])).toBe(row.indexOf(best));
        }
      });
    }
  }

  it("handles an empty matrix", async () => {
    const ring = new Ring(37);
    const out = await pair.both((p) => argmax(p, new BigUint64Array(0), 0, 5, ring));
    expect(out[0].index.length).toBe(0);
    expect(out[1].max.length).toBe(0);
  });

  it("rejects a shape that does not match the data", async () => {
    await expect(max(pair.server, new BigUint64Array(5), 2, 3, new Ring(16))).rejects.toThrow(/max: x has 5/);
    await expect(argmax(pair.server, new BigUint64Array(0), 0, 0, new Ring(16))).rejects.toThrow(/argmax: cols/);
  });
});
