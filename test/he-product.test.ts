// HE ciphertext × plaintext products between the parties: exact mod 2^l against a BigInt reference, at random and
// extreme values, with the flooding gap intact, for both upload formats (two turns per input below
// TWO_COPIES_BELOW_INPUTS inputs, one upload from there on).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import type { HePlan } from "../src/he/backend.js";
import { evaluateProduct } from "../src/he/evaluate.js";
import { packColumns, TWO_COPIES_BELOW_INPUTS, uploadVectors } from "../src/he/layout.js";
import { heProducts } from "../src/he/product.js";
import { HeSession } from "../src/he/session.js";
import { encryptInputs, productReference, serverPrimeWith } from "./he-util.js";
import { makePair, randomRing, type Pair } from "./mpc-util.js";

const ring = new Ring(37, 12);

function randomSigned(len: number, bits: number): BigInt64Array {
  const u = randomRing(len, new Ring(bits));
  const r = new Ring(bits);
  return BigInt64Array.from(u, (v) => r.signed(v));
}

// The first two plans split their tokens between the slot rows in blocks of 64 (64 columns per ciphertext); 99 rows
// leave row 1 one token short. The third has blocks of 8 (512 columns per ciphertext): its 40 inputs and 24 outputs
// meet at 63 offsets only, 32 giant steps of two blocks instead of 256, with the output blocks shifted.
describe.each([
  { copies: 2, steps: 32, plan: { n: 100, k: 64 + 101, m: 70, aBits: 37, wBits: 16 } },
  { copies: 1, steps: 64, plan: { n: 99, k: TWO_COPIES_BELOW_INPUTS * 64 + 37, m: 37, aBits: 37, wBits: 16 } },
  { copies: 2, steps: 32, plan: { n: 9, k: 40, m: 24, aBits: 37, wBits: 16 } },
] satisfies { copies: number; steps: number; plan: HePlan }[])("heProducts of $plan.n×$plan.k·$plan.k×$plan.m: $copies upload(s) per input, $steps giant steps", ({ copies, steps, plan }) => {
  let pair: Pair;
  let sessions: [HeSession, HeSession];

  beforeAll(async () => {
    pair = await makePair();
    sessions = await pair.both((p) => HeSession.setup(p, [plan]));
    const { layout } = sessions[0].plan(plan);
    expect([layout.copies, layout.steps]).toEqual([copies, steps]);
  }, 60_000);

  afterAll(() => {
    for (const s of sessions ?? []) s.delete();
  });

  it("random shares and 16-bit weights, with extreme rows in both slot rows: −2^36, 2^36 − 1, 0; ±2^15", async () => {
    const a = randomRing(plan.n * plan.k, ring);
    const w = randomSigned(plan.k * plan.m, plan.wBits);
    const top = 1n << 36n;
    a.fill(ring.reduce(-top), 0, plan.k).fill(top - 1n, plan.k, 2 * plan.k).fill(0n, 2 * plan.k, 3 * plan.k);
    a.fill(top - 1n, (plan.n - 1) * plan.k);
    for (let t = 0; t < plan.k; t++) w[t * plan.m] = t % 2 ? -(1n << 15n) : (1n << 15n) - 1n;
    const [[s0], [s1]] = await pair.both((p) =>
      heProducts(p, p.role === "server" ? sessions[0] : sessions[1], ring, [p.role === "server" ? { plan, w } : { plan, a }]),
    );
    expect(s0.map((v, i) => (v + s1[i]) & ring.mask)).toEqual(productReference(ring, a, w, plan));
  }, 300_000);

  // Flooding adds 2^floodBits of noise at the top level, 2^(floodBits − 60) = 2^61 after the switch to two primes,
  // where q'/(2t) ≈ 2^65: the computed noise must stay 40 bits below that, i.e. leave a budget of at least 44 bits.
  // Full-norm plaintexts (not constant ones, whose polynomial is a constant) are the worst case.
  it("leaves the 40-bit flooding gap at the weight and input limits, and a decryptable answer after compression", () => {
    const [hs, hc] = sessions;
    const s = hs.ctx.seal;
    const pc = hs.ctx.primes[0];
    const { layout } = hs.plan(plan);
    const a = new BigInt64Array(plan.n * plan.k).fill(-(1n << 36n));
    const w = BigInt64Array.from(randomRing(plan.k * plan.m, new Ring(1)), (bit) => (bit ? -(1n << 15n) : (1n << 15n) - 1n));
    const slots = packColumns(layout, a, plan.k, (len) => new BigUint64Array(len), (x) => (x < 0n ? x + pc.t : x));
    const inputs = encryptInputs(hc, 0, uploadVectors(layout, slots));
    const masks = Array.from({ length: layout.outCts }, () => new BigUint64Array(layout.slots));
    const task = { prime: 0, layout, weights: w, inputs, masks };
    const ct = s.CipherText();
    const codec = hc.clientKeys.responses[0];
    try {
      for (const [floodBits, compressed, min] of [
        [1, false, 44],
        [hs.serverPrimes[0].floodBits, false, 2],
        // Flooding (≤ 1/16 of the limit) plus the dropped bits (≤ 1/4) must leave at least one bit.
        [hs.serverPrimes[0].floodBits, true, 1],
      ] as const) {
        for (const out of evaluateProduct(s, serverPrimeWith(hs, floodBits, compressed), task)) {
          ct.loadArray(pc.context, compressed ? codec.expand(out) : out);
          expect(hc.clientKeys.decryptors[0].invariantNoiseBudget(ct)).toBeGreaterThanOrEqual(min);
        }
      }
    } finally {
      ct.delete();
    }
  }, 300_000);
});
