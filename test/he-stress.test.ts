// Thousands of SEAL objects through the product and flooding paths: results stay exact and the process memory stays
// flat (SEAL's WebAssembly heap never shrinks, so any ciphertext left undeleted would show as growth).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import type { HePlan } from "../src/he/backend.js";
import { floodNoise } from "../src/he/flood.js";
import type { HeParams } from "../src/he/params.js";
import { heProducts } from "../src/he/product.js";
import { HeSession } from "../src/he/session.js";
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

  it("repeated products stay exact and keep memory flat", async () => {
    const w = BigInt64Array.from({ length: plan.k * plan.m }, (_, i) => BigInt((i % 16) - 8));
    let warm = 0;
    for (let round = 0; round < 12; round++) {
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
      if (round === 2) warm = process.memoryUsage().rss;
    }
    const growth = (process.memoryUsage().rss - warm) / 2 ** 20;
    expect(growth).toBeLessThan(32); // each product makes about 20 ciphertexts of 196 KiB and 200 plaintexts
  }, 180_000);

  it("1,000 encrypt / flood / decrypt cycles keep memory flat", () => {
    const [hs, hc] = he;
    const s = hs.ctx.seal;
    const pc = hs.ctx.primes[0];
    const sp = hs.serverPrimes[0];
    const values = BigUint64Array.from({ length: params.polyDegree }, (_, i) => BigInt(i) % pc.t);
    let warm = 0;
    for (let i = 0; i < 1000; i++) {
      const pt = pc.encoder.encode(values) as ReturnType<typeof s.PlainText>;
      const ser = hc.clientKeys.encryptors[0].encryptSymmetricSerializable(pt);
      const ct = s.CipherText();
      ct.loadArray(pc.context, ser.saveArray(s.ComprModeType.none));
      floodNoise(s, pc.context, ct, params.polyDegree, sp.moduli, 8);
      hc.clientKeys.decryptors[0].decrypt(ct, pt);
      if (i % 250 === 0) expect(pc.encoder.decodeBigInt(pt, false)).toEqual(values);
      for (const o of [pt, ser, ct]) o.delete();
      if (i === 100) warm = process.memoryUsage().rss;
    }
    // undeleted, the 900 ciphertexts after warm-up alone would hold about 170 MiB
    expect((process.memoryUsage().rss - warm) / 2 ** 20).toBeLessThan(32);
  }, 120_000);
});
