// Thousands of SEAL objects through the product path: results stay exact and the process memory stays flat (SEAL's
// WebAssembly heap never shrinks, so any ciphertext left undeleted would show as growth).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import type { HeParams } from "../src/he/params.js";
import { heProducts } from "../src/he/product.js";
import { HeSession, type HePlan } from "../src/he/session.js";
import { makePair, randomRing, type Pair } from "./mpc-util.js";

// Small, fast parameters (test only: three 20-bit primes at N = 4096 leave no room for a 40-bit flooding gap).
const params: HeParams = { polyDegree: 4096, coeffBits: [36, 36, 37], plainBits: 20, plainPrimes: 3, sigma: 40 };
const ring = new Ring(8);
const plan: HePlan = { n: 64, k: 64, m: 64, aBits: 8, wBits: 4 };

describe("HE heap under load", () => {
  let pair: Pair;
  let he: [HeSession, HeSession];
  beforeAll(async () => {
    pair = await makePair();
    he = await pair.both((p) => HeSession.setup(p, [plan], params));
  }, 60_000);
  afterAll(() => {
    for (const s of he ?? []) s.delete();
  });

  it("30 products (about 1,800 SEAL ciphertexts) keep memory flat and stay exact", async () => {
    const w = BigInt64Array.from({ length: plan.k * plan.m }, (_, i) => BigInt((i % 16) - 8));
    let warm = 0;
    for (let round = 0; round < 30; round++) {
      const a = randomRing(plan.n * plan.k, ring);
      const [[ys], [yc]] = await pair.both((p) =>
        heProducts(p, p.role === "server" ? he[0] : he[1], ring, [p.role === "server" ? { plan, w } : { plan, a }]),
      );
      for (const e of [0, 1, 4095, 777]) {
        const [i, j] = [Math.floor(e / plan.m), e % plan.m];
        let ref = 0n;
        for (let t = 0; t < plan.k; t++) ref += ring.signed(a[i * plan.k + t]) * w[t * plan.m + j];
        expect((ys[e] + yc[e]) & ring.mask).toBe(ref & ring.mask);
      }
      if (round === 4) warm = process.memoryUsage().rss;
    }
    const growth = (process.memoryUsage().rss - warm) / 2 ** 20;
    expect(growth).toBeLessThan(48); // a leak of the ciphertexts made after warm-up would be about 500 MiB
  }, 180_000);
});
