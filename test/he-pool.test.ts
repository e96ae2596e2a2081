// The SEAL worker pool loads its worker from dist/ (see defaultHeWorkerUrl): run `npm run build:ts` before this file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import type { HePlan } from "../src/he/backend.js";
import type { HeParams } from "../src/he/params.js";
import { HePool } from "../src/he/pool.js";
import { heProducts } from "../src/he/product.js";
import { SealBackend } from "../src/he/seal-backend.js";
import { HeSession } from "../src/he/session.js";
import { productReference } from "./he-util.js";
import { makePair, randomRing, type Pair } from "./mpc-util.js";
import { nodeHeThreads } from "../src/he/threads.js";

const params: HeParams = { polyDegree: 4096, coeffBits: [36, 36, 37], plainBits: 20, plainPrimes: 3, sigma: 40 };
const ring = new Ring(8);
const plans: HePlan[] = [
  { n: 64, k: 100, m: 70, aBits: 8, wBits: 4 },
  { n: 33, k: 64, m: 5, aBits: 8, wBits: 2 },
];

describe("HE worker pool", () => {
  let pair: Pair;
  let he: [HeSession, HeSession];
  let pool: HePool;
  beforeAll(async () => {
    pair = await makePair();
    he = await pair.both((p) => HeSession.setup(p, plans, params));
    pool = await HePool.create(he[0], { threads: 2 });
  }, 90_000);
  afterAll(async () => {
    await pool?.close();
    for (const s of he ?? []) s.delete();
  });

  it("runs a batch of products on the threads, exactly as in this thread", async () => {
    const as = plans.map((pl) => randomRing(pl.n * pl.k, ring));
    const ws = plans.map((pl) => BigInt64Array.from(randomRing(pl.k * pl.m, new Ring(pl.wBits)), (v) => new Ring(pl.wBits).signed(v)));
    const [ys, yc] = await pair.both((p) =>
      heProducts(
        p,
        p.isServer ? he[0] : he[1],
        ring,
        plans.map((plan, i) => (p.isServer ? { plan, w: ws[i] } : { plan, a: as[i] })),
        p.isServer ? pool : undefined,
      ),
    );
    plans.forEach((pl, i) => expect(ys[i].map((v, e) => (v + yc[i][e]) & ring.mask)).toEqual(productReference(ring, as[i], ws[i], pl)));
  }, 90_000);
});

describe("seal backend workers", () => {
  it("products on workers, then back in this thread after startWorkers(0), equal the reference", async () => {
    const pair = await makePair();
    const he = await pair.both((p) => SealBackend.setup(p, plans, params));
    try {
      const as = plans.map((pl) => randomRing(pl.n * pl.k, ring));
      const ws = plans.map((pl) => BigInt64Array.from(randomRing(pl.k * pl.m, new Ring(pl.wBits)), (v) => new Ring(pl.wBits).signed(v)));
      await Promise.all(he.map((b) => b.startWorkers(2, nodeHeThreads)));
      for (const threads of [2, 0]) {
        if (threads === 0) await he[0].startWorkers(0);
        const [ys, yc] = await pair.both((p) => (p.isServer ? he[0] : he[1]).products(p, ring, plans.map((plan, i) => (p.isServer ? { plan, w: ws[i] } : { plan, a: as[i] }))));
        plans.forEach((pl, i) => expect(ys[i].map((v, e) => (v + yc[i][e]) & ring.mask), `${threads} threads`).toEqual(productReference(ring, as[i], ws[i], pl)));
      }
      await expect(he[0].startWorkers(-1)).rejects.toThrow(/non-negative integer/);
    } finally {
      await Promise.all(he.map((b) => b.close()));
    }
    await he[0].close(); // a second close does nothing
  }, 90_000);
});
