// Linear layers and shared products over each HE backend: exact mod 2^l against BigInt references, at random and
// extreme inputs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import type { HeBackend, HeKind } from "../src/he/backend.js";
import { linear, linearPlan, type LinearShape } from "../src/he/linear.js";
import { matmulShared, matmulSharedPlans } from "../src/he/matmul-shared.js";
import { setupHe } from "../src/he/setup.js";
import { edgeValues, makePair, open, randomRing, share, type Pair } from "./mpc-util.js";

const ring = new Ring(37, 12);

/** signed(A)·signed(B) mod 2^l, row-major. */
function refMatmul(a: BigUint64Array, b: BigUint64Array, n: number, k: number, m: number): BigUint64Array {
  const out = new BigUint64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0n;
      for (let t = 0; t < k; t++) s += ring.signed(a[i * k + t]) * ring.signed(b[t * m + j]);
      out[i * m + j] = s & ring.mask;
    }
  }
  return out;
}

/** Weights uniform over `bits` signed bits, as ring elements. */
function weights(len: number, bits: number): BigUint64Array {
  const r = new Ring(bits);
  return randomRing(len, r).map((v) => ring.reduce(r.signed(v)));
}

// n = 100 rows pack into blocks of 128 (as BERT's 128 tokens); widths 2^6 + 101 and 70 leave partial ciphertexts.
const shape: LinearShape = { n: 100, k: 64 + 101, m: 70, wBits: 16 };
const att = { n: 100, k: 24, m: 70 };

describe.each<HeKind>(["simd", "seal"])("HE linear layers (%s)", (kind) => {
  let pair: Pair;
  let he: [HeBackend, HeBackend];
  const run = (x: [BigUint64Array, BigUint64Array], w: BigUint64Array, bias?: BigUint64Array) =>
    pair.both((p) => (p.role === "server" ? linear(p, he[0], ring, x[0], shape, { w, bias }) : linear(p, he[1], ring, x[1], shape)));

  beforeAll(async () => {
    pair = await makePair();
    const plans = [linearPlan(shape, ring), ...matmulSharedPlans(att.n, att.k, att.m, ring)];
    he = await pair.both((p) => setupHe(p, plans, { kind }));
    expect(he.map((b) => b.kind)).toEqual([kind, kind]);
  }, 120_000);

  afterAll(async () => {
    for (const b of he ?? []) await b.close();
  });

  it("X·W + b for random shares, weights and bias", async () => {
    const x = randomRing(shape.n * shape.k, ring);
    const w = weights(shape.k * shape.m, shape.wBits);
    const bias = randomRing(shape.m, ring);
    const y = open(await run(share(x, ring), w, bias), ring);
    const ref = refMatmul(x, w, shape.n, shape.k, shape.m).map((v, e) => (v + bias[e % shape.m]) & ring.mask);
    expect(y).toEqual(ref);
  }, 60_000);

  it("extremes: ring edge values, weights at ±2^15 limits, all-zero rows and columns", async () => {
    const edges = edgeValues(ring);
    const x = randomRing(shape.n * shape.k, ring);
    for (let e = 0; e < x.length; e++) x[e] = edges[e % edges.length];
    x.fill(0n, 3 * shape.k, 4 * shape.k); // row 3 all zero
    x.fill(ring.half, 4 * shape.k, 5 * shape.k); // row 4 at the most negative value
    const lo = ring.reduce(-(1n << 15n));
    const hi = (1n << 15n) - 1n;
    const w = new BigUint64Array(shape.k * shape.m);
    for (let e = 0; e < w.length; e++) w[e] = e % 3 === 0 ? lo : e % 3 === 1 ? hi : 0n;
    for (let t = 0; t < shape.k; t++) w[t * shape.m + 5] = 0n; // column 5 all zero
    for (let t = 0; t < shape.k; t++) w[t * shape.m + 6] = lo; // column 6 at the limit everywhere
    const y = open(await run(share(x, ring), w), ring);
    expect(y).toEqual(refMatmul(x, w, shape.n, shape.k, shape.m));
    expect(y.subarray(3 * shape.m, 4 * shape.m).every((v) => v === 0n)).toBe(true);
  }, 60_000);

  it("rejects weights beyond wBits, naming the entry", async () => {
    const w = new BigUint64Array(shape.k * shape.m);
    w[7] = 1n << 15n;
    const [a] = await Promise.allSettled([linear(pair.server, he[0], ring, new BigUint64Array(shape.n * shape.k), shape, { w })]);
    expect(a.status).toBe("rejected");
    expect(String((a as PromiseRejectedResult).reason)).toMatch(/W\[7\] = 32768 does not fit in 16 signed bits/);
  });

  it("share × share products for two heads, random and extreme shares", async () => {
    const heads = 2;
    const as = Array.from({ length: heads }, () => randomRing(att.n * att.k, ring));
    const bs = Array.from({ length: heads }, () => randomRing(att.k * att.m, ring));
    as[1].fill(ring.half);
    bs[1].fill(ring.half - 1n, 0, att.m * 3);
    as[1].fill(0n, 0, att.k); // a zero row
    const sa = as.map((a) => share(a, ring));
    const sb = bs.map((b) => share(b, ring));
    const [ys, yc] = await pair.both((p) => {
      const i = p.role === "server" ? 0 : 1;
      return matmulShared(p, he[i], ring, sa.map((s) => s[i]), sb.map((s) => s[i]), att.n, att.k, att.m);
    });
    for (let h = 0; h < heads; h++) {
      expect(open([ys[h], yc[h]], ring)).toEqual(refMatmul(as[h], bs[h], att.n, att.k, att.m));
    }
  }, 90_000);
});
