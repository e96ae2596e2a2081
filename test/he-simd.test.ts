// The simd backend's products, both parties in one process: exact shares of A·W mod 2^37 for the shapes BERT uses
// (128 rows and the narrow pruned widths), extreme shares and weights, share × share (37-bit) weights, batches on
// worker threads.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matmul } from "../src/core/kernels.js";
import { Ring } from "../src/core/ring.js";
import type { HePlan } from "../src/he/backend.js";
import { SimdBackend } from "../src/he/simd/backend.js";
import { makePair, open, randomRing, share, type Pair } from "./mpc-util.js";
import { nodeHeThreads } from "../src/he/threads.js";

const ring = new Ring(37, 12);

function signedRandom(len: number, bits: number): BigInt64Array {
  const r = new Ring(bits);
  return BigInt64Array.from(randomRing(len, r), (v) => r.signed(v));
}

function reference(a: BigUint64Array, w: BigInt64Array, n: number, k: number, m: number): BigUint64Array {
  const out = new BigUint64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0n;
      for (let t = 0; t < k; t++) s += a[i * k + t] * w[t * m + j];
      out[i * m + j] = BigInt.asUintN(64, s) & ring.mask;
    }
  }
  return out;
}

describe("simd HE products", () => {
  let pair: Pair;
  let he: [SimdBackend, SimdBackend];

  beforeAll(async () => {
    pair = await makePair();
    he = await pair.both((p) => SimdBackend.setup(p));
  }, 120_000);

  afterAll(async () => {
    for (const b of he ?? []) await b.close();
  });

  const run = (items: { plan: HePlan; a: BigUint64Array; w: BigInt64Array }[]) => {
    const shared = items.map((it) => share(it.a, ring));
    return pair.both((p) =>
      p.role === "server"
        ? he[0].products(p, ring, items.map((it) => ({ plan: it.plan, w: it.w })))
        : he[1].products(p, ring, items.map((it, i) => ({ plan: it.plan, a: shared[i][1] }))),
    ).then(([ys, yc]) => ({ ys, yc, shared }));
  };

  it.each([
    [128, 96, 40, 16],
    [1, 64, 70, 16],
    [5, 100, 33, 16],
    [24, 64, 24, 37],
    [55, 24, 55, 37],
  ])("n×k·k×m = %i×%i·%i×%i-bit weights: exact mod 2^37", async (n, k, m, wBits) => {
    const plan: HePlan = { n, k, m, aBits: 37, wBits };
    const a = randomRing(n * k, ring);
    a[0] = ring.mask;
    a[1] = 1n << 36n;
    const w = signedRandom(k * m, wBits);
    w[0] = -(1n << BigInt(wBits - 1));
    w[1] = (1n << BigInt(wBits - 1)) - 1n;
    const { ys, yc, shared } = await run([{ plan, a, w }]);
    // the client's share of A goes through HE; the server's share times W is the caller's (linear.ts): check the HE part
    const y = open([ys[0], yc[0]], ring);
    expect(y).toEqual(reference(shared[0][1], w, n, k, m));
  }, 120_000);

  it("a batch of equal and different shapes on 2 worker threads: every item exact, in order", async () => {
    await he[0].startWorkers(2, nodeHeThreads);
    try {
      const plans: HePlan[] = [
        { n: 24, k: 64, m: 24, aBits: 37, wBits: 37 },
        { n: 24, k: 64, m: 24, aBits: 37, wBits: 37 },
        { n: 40, k: 200, m: 300, aBits: 37, wBits: 16 },
        { n: 24, k: 64, m: 24, aBits: 37, wBits: 37 },
      ];
      const items = plans.map((plan) => ({ plan, a: randomRing(plan.n * plan.k, ring), w: signedRandom(plan.k * plan.m, plan.wBits) }));
      const { ys, yc, shared } = await run(items);
      items.forEach((it, i) => expect(open([ys[i], yc[i]], ring)).toEqual(reference(shared[i][1], it.w, it.plan.n, it.plan.k, it.plan.m)));
    } finally {
      await he[0].startWorkers(0);
    }
  }, 120_000);

  it("a server asked for threads without a thread starter says which to pass and keeps its products in this thread; a client ignores it", async () => {
    await expect(he[0].startWorkers(2)).rejects.toThrow(/^startWorkers\(2\): pass the thread starter \(nodeHeThreads from src\/he\/threads\.ts in Node\)$/);
    await expect(he[0].startWorkers(2)).rejects.toBeInstanceOf(RangeError);
    await he[1].startWorkers(2);
    const plan: HePlan = { n: 3, k: 8, m: 5, aBits: 37, wBits: 16 };
    const a = randomRing(plan.n * plan.k, ring);
    const w = signedRandom(plan.k * plan.m, plan.wBits);
    const { ys, yc, shared } = await run([{ plan, a, w }]);
    expect(open([ys[0], yc[0]], ring)).toEqual(reference(shared[0][1], w, plan.n, plan.k, plan.m));
  });

  // The BERT-base shapes at the row counts a pruned pass meets, against the WASM ring product.
  it.each([128, 55, 24, 5, 1])("BERT-base shapes at n = %i: qkv (16-bit weights), Q·Kᵀ and softmax·V cross terms (37-bit) exact", async (n) => {
    const shapes: [number, number, number][] = [
      [768, 2304, 16],
      [64, n, 37],
      [n, 64, 37],
    ];
    const items = shapes.map(([k, m, wBits]) => ({ plan: { n, k, m, aBits: 37, wBits } as HePlan, a: randomRing(n * k, ring), w: signedRandom(k * m, wBits) }));
    const { ys, yc, shared } = await run(items);
    items.forEach((it, i) => {
      const { k, m } = it.plan;
      const ref = matmul(shared[i][1], BigUint64Array.from(it.w, (v) => ring.reduce(v)), n, k, m, ring.bits);
      expect(open([ys[i], yc[i]], ring)).toEqual(ref);
    });
  }, 120_000);
});
