// Products with many input ciphertexts: the client uploads each once and the server swaps the rows of the cross-row
// partial sums. Exact against a BigInt reference at random and extreme values, with the flooding gap intact.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { evaluateProduct } from "../src/he/evaluate.js";
import { layoutFor, packColumns, rotationSteps, SERVER_SWAP_MIN_INPUTS } from "../src/he/layout.js";
import { heProducts } from "../src/he/product.js";
import { HeSession, type HePlan } from "../src/he/session.js";
import { encryptInputs, productReference, serverPrimeWith } from "./he-util.js";
import { makePair, randomRing, type Pair } from "./mpc-util.js";

const ring = new Ring(37, 12);

describe("server-side row swap", () => {
  let pair: Pair;
  let sessions: [HeSession, HeSession];
  // 100 rows in blocks of 128: 64 input columns per ciphertext, so k = 24·64 + 37 needs 25 inputs; 37 outputs.
  const plan: HePlan = { n: 100, k: SERVER_SWAP_MIN_INPUTS * 64 + 37, m: 37, aBits: 37, wBits: 16 };

  beforeAll(async () => {
    pair = await makePair();
    sessions = await pair.both((p) => HeSession.setup(p, [plan]));
  }, 60_000);

  afterAll(() => {
    for (const s of sessions ?? []) s.delete();
  });

  it("uploads each input once from the threshold on, and asks for the row-swap key", () => {
    const l = sessions[0].plan(plan).layout;
    expect([l.inCts, l.outCts, l.copies]).toEqual([25, 1, 1]);
    expect(rotationSteps(l)).toEqual([128, 0]);
    expect(layoutFor(8192, 100, (SERVER_SWAP_MIN_INPUTS - 1) * 64, 70).copies).toBe(2);
  });

  it("random shares and weights, with extreme rows: −2^36 and 2^36 − 1 inputs, ±2^15 weights", async () => {
    const a = randomRing(plan.n * plan.k, ring);
    const r16 = new Ring(16);
    const w = BigInt64Array.from(randomRing(plan.k * plan.m, r16), (v) => r16.signed(v));
    const top = 1n << 36n;
    a.fill(ring.reduce(-top), 0, plan.k).fill(top - 1n, plan.k, 2 * plan.k).fill(0n, 2 * plan.k, 3 * plan.k);
    for (let t = 0; t < plan.k; t++) w[t * plan.m] = t % 2 ? -(1n << 15n) : (1n << 15n) - 1n;
    const [[s0], [s1]] = await pair.both((p) =>
      heProducts(p, p.role === "server" ? sessions[0] : sessions[1], ring, [p.role === "server" ? { plan, w } : { plan, a }]),
    );
    expect(s0.map((v, i) => (v + s1[i]) & ring.mask)).toEqual(productReference(ring, a, w, plan));
  }, 300_000);

  it("leaves the 40-bit flooding gap, and a decryptable answer after compression", () => {
    const [hs, hc] = sessions;
    const s = hs.ctx.seal;
    const pc = hs.ctx.primes[0];
    const { layout } = hs.plan(plan);
    const a = new BigInt64Array(plan.n * plan.k).fill(-(1n << 36n));
    const w = BigInt64Array.from(randomRing(plan.k * plan.m, new Ring(1)), (bit) => (bit ? -(1n << 15n) : (1n << 15n) - 1n));
    const inputs = encryptInputs(hc, 0, packColumns(layout, a, plan.k, (len) => new BigUint64Array(len), (x) => (x < 0n ? x + pc.t : x)));
    const task = { prime: 0, layout, weights: w, inputs, masks: Array.from({ length: layout.outCts }, () => new BigUint64Array(layout.slots)) };
    const ct = s.CipherText();
    try {
      for (const [floodBits, compressed, min] of [
        [1, false, 44],
        [hs.serverPrimes[0].floodBits, true, 1],
      ] as const) {
        for (const out of evaluateProduct(s, serverPrimeWith(hs, floodBits, compressed), task)) {
          ct.loadArray(pc.context, compressed ? hc.clientKeys.responses[0].expand(out) : out);
          expect(hc.clientKeys.decryptors[0].invariantNoiseBudget(ct)).toBeGreaterThanOrEqual(min);
        }
      }
    } finally {
      ct.delete();
    }
  }, 300_000);
});
