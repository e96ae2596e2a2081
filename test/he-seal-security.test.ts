// What the seal backend's answers show the client, checked on real answers of heProducts: every slot outside the
// result decrypts to an exact zero whatever W is, and every result slot to A·W plus the server's mask, uniform mod
// each plaintext prime t_i and the same for W and W′. The slots are the whole decrypted plaintext (its coefficients
// are their inverse NTT mod t_i). Control: the server's own evaluation with zero masks (ProductTask.masks) returns
// A·W in the result slots, far from uniform, and tells W from W′.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import type { HePlan } from "../src/he/backend.js";
import { unpackChunks } from "../src/he/chunks.js";
import { Crt } from "../src/he/crt.js";
import { evaluateProduct } from "../src/he/evaluate.js";
import { forEachSlot, packColumns, uploadVectors } from "../src/he/layout.js";
import { heProducts } from "../src/he/product.js";
import { HeSession, type PlannedProduct } from "../src/he/session.js";
import { Party } from "../src/mpc/party.js";
import { memoryPair } from "../src/net/memory.js";
import { encryptInputs } from "./he-util.js";
import { randomRing } from "./mpc-util.js";
import { recording, type Frame } from "./recording.js";

const ring = new Ring(37, 12);
// 500 tokens make blocks of 256 slots, 16 columns per ciphertext: 20 inputs in 2 ciphertexts (uploaded in 2 turns
// each), 20 outputs in 2 answer ciphertexts per prime, 8 giant steps. Outside the 10 000 results: the second answer's
// 12 unused blocks and the 6 padding slots of every block.
const plan: HePlan = { n: 500, k: 20, m: 20, aBits: 37, wBits: 16 };
/** Masked answers per weight matrix: 40 000 result residues per prime. */
const RUNS = 4;

/** Chi-square statistic of a histogram against equal cell probabilities, and its critical value. */
function uniformity(counts: number[]): { chi: number; critical: number } {
  const total = counts.reduce((s, v) => s + v, 0);
  const e = total / counts.length;
  return { chi: counts.reduce((s, v) => s + (v - e) ** 2 / e, 0), critical: critical(counts.length - 1) };
}

/** Chi-square homogeneity of two histograms over the same cells. */
function homogeneity(x: number[], y: number[]): { chi: number; critical: number } {
  const nx = x.reduce((s, v) => s + v, 0);
  const ny = y.reduce((s, v) => s + v, 0);
  let chi = 0;
  let cells = 0;
  x.forEach((a, i) => {
    const both = a + y[i];
    if (both === 0) return;
    cells++;
    const [ex, ey] = [(both * nx) / (nx + ny), (both * ny) / (nx + ny)];
    chi += (a - ex) ** 2 / ex + (y[i] - ey) ** 2 / ey;
  });
  return { chi, critical: critical(Math.max(1, cells - 1)) };
}

/** Wilson–Hilferty: the chi-square quantile at p = 10^-6 (z = 4.75); 12 comparisons give a false alarm about once in 80 000 runs. */
function critical(df: number): number {
  return df * (1 - 2 / (9 * df) + 4.75 * Math.sqrt(2 / (9 * df))) ** 3;
}

/** 16-cell histograms of residues mod t: their top 4 bits (⌊16v/t⌋) and their low 4 bits. */
function fields(values: bigint[], t: bigint): { top: number[]; low: number[] } {
  const top = new Array<number>(16).fill(0);
  const low = new Array<number>(16).fill(0);
  for (const v of values) {
    top[Number((16n * v) / t)]++;
    low[Number(v & 15n)]++;
  }
  return { top, low };
}

describe("seal HE: the answer outside the result is exact zeros, the result is masked", () => {
  let server: Party;
  let client: Party;
  /** The client's received frames (the answers it decrypts). */
  const log: Frame[] = [];
  let hs: HeSession;
  let hc: HeSession;
  let pp: PlannedProduct;
  /** Answer slot → entry i·m + j of the result, per answer ciphertext. */
  let results: Map<number, number>[];
  let A: BigUint64Array;
  let W: BigInt64Array;
  let W2: BigInt64Array;

  /** signed(A)·w as integers (not reduced). */
  function product(w: BigInt64Array): bigint[] {
    const { n, k, m } = plan;
    return Array.from({ length: n * m }, (_, e) => {
      const [i, j] = [Math.floor(e / m), e % m];
      let s = 0n;
      for (let x = 0; x < k; x++) s += ring.signed(A[i * k + x]) * w[x * m + j];
      return s;
    });
  }

  beforeAll(async () => {
    const [a, b] = memoryPair();
    [server, client] = await Promise.all([Party.create("server", a), Party.create("client", recording(b, log))]);
    [hs, hc] = await Promise.all([HeSession.setup(server, [plan]), HeSession.setup(client, [plan])]);
    pp = hs.plan(plan);
    results = Array.from({ length: pp.layout.outCts }, () => new Map());
    forEachSlot(pp.layout, plan.m, pp.layout.outShift, (i, j, ct, slot) => results[ct].set(slot, i * plan.m + j));
    A = randomRing(plan.n * plan.k, ring);
    const w16 = new Ring(plan.wBits);
    W = BigInt64Array.from(randomRing(plan.k * plan.m, w16), (v) => w16.signed(v));
    W2 = BigInt64Array.from(randomRing(plan.k * plan.m, w16), (v) => w16.signed(v));
  }, 60_000);

  afterAll(() => {
    hs?.delete();
    hc?.delete();
  });

  /** The slots of one compressed answer ciphertext of plaintext prime `pr`, as the client decrypts them. */
  function decrypt(pr: number, packed: Uint8Array): BigUint64Array {
    const s = hc.ctx.seal;
    const pc = hc.ctx.primes[pr];
    const ct = s.CipherText();
    const pt = s.PlainText();
    try {
      ct.loadArray(pc.context, hc.clientKeys.responses[pr].expand(packed));
      hc.clientKeys.decryptors[pr].decrypt(ct, pt);
      return pc.encoder.decodeBigInt(pt, false) as BigUint64Array;
    } finally {
      ct.delete();
      pt.delete();
    }
  }

  /** One real product: the decrypted answers ([prime][answer ciphertext]) and both parties' shares. */
  async function maskedRun(w: BigInt64Array): Promise<{ slots: BigUint64Array[][]; server: BigUint64Array; client: BigUint64Array }> {
    log.length = 0;
    const [[s], [c]] = await Promise.all([heProducts(server, hs, ring, [{ plan, w }]), heProducts(client, hc, ring, [{ plan, a: A }])]);
    const frame = log.find((f) => f.dir === "received" && f.tag === "he.product.out")!;
    const outs = unpackChunks(frame.payload!, pp.primes * pp.layout.outCts, "he.product.out");
    const slots = Array.from({ length: pp.primes }, (_, pr) => Array.from({ length: pp.layout.outCts }, (_, ct) => decrypt(pr, outs[pr * pp.layout.outCts + ct])));
    return { slots, server: s, client: c };
  }

  /** The server's evaluation of the same product with zero masks: what an unmasked answer decrypts to. */
  function unmaskedRun(w: BigInt64Array): BigUint64Array[][] {
    const l = pp.layout;
    const signed = BigInt64Array.from(A, (v) => ring.signed(v));
    return Array.from({ length: pp.primes }, (_, pr) => {
      const t = hc.ctx.primes[pr].t;
      const packed = packColumns(l, signed, plan.k, (len) => new BigUint64Array(len), (x) => (x < 0n ? x + t : x));
      const inputs = encryptInputs(hc, pr, uploadVectors(l, packed));
      const masks = Array.from({ length: l.outCts }, () => new BigUint64Array(l.slots));
      return evaluateProduct(hs.ctx.seal, hs.serverPrimes[pr], { prime: pr, layout: l, weights: w, inputs, masks }).map((out) => decrypt(pr, out));
    });
  }

  /** Slots outside the result that do not decrypt to 0, over all primes and answers. */
  function nonzeroOutside(slots: BigUint64Array[][]): number {
    let bad = 0;
    for (const perCt of slots) perCt.forEach((v, ct) => v.forEach((x, slot) => (bad += x !== 0n && !results[ct].has(slot) ? 1 : 0)));
    return bad;
  }

  /** Every result residue of prime pr, in a fixed order. */
  function resultValues(slots: BigUint64Array[][], pr: number): bigint[] {
    return results.flatMap((r, ct) => [...r.keys()].map((slot) => slots[pr][ct][slot]));
  }

  it("the layout: 2 answer ciphertexts per prime, 2 primes, 10 000 result slots and 6384 others", () => {
    expect([pp.primes, pp.layout.outCts, pp.layout.inCts, pp.layout.copies, pp.layout.steps]).toEqual([2, 2, 2, 2, 8]);
    expect(results.reduce((s, r) => s + r.size, 0)).toBe(plan.n * plan.m);
    expect(pp.layout.outCts * pp.layout.slots - plan.n * plan.m).toBe(6384);
  });

  it("masked: exact zeros outside the result; the result is A·W plus the server's mask, uniform mod t_i and the same for W and W′", async () => {
    const crt = new Crt(hc.ctx.plainModuli.slice(0, pp.primes));
    const wide = (1n << 256n) - 1n; // above T: toRing returns the integer itself
    const [lo, span] = [1n << BigInt(pp.boundBits), 1n << BigInt(pp.boundBits + hs.ctx.params.sigma)];
    const hist: { top: number[]; low: number[] }[][] = []; // [W, W′][prime]
    for (const w of [W, W2]) {
      const Y = product(w);
      const values: bigint[][] = Array.from({ length: pp.primes }, () => []);
      for (let run = 0; run < RUNS; run++) {
        const { slots, server: s, client: c } = await maskedRun(w);
        expect(nonzeroOutside(slots), "nonzero slots outside the result").toBe(0);
        // the integer z of every result and its mask z − Y: in the mask's range, and the server's share is −mask
        const wrong: string[] = [];
        results.forEach((r, ct) =>
          r.forEach((e, slot) => {
            const z = crt.toRing(slots.map((perCt) => perCt[ct][slot]), wide);
            const mask = z - Y[e];
            if (mask < lo || mask >= lo + span || ((mask + s[e]) & ring.mask) !== 0n || (z & ring.mask) !== c[e]) wrong.push(`entry ${e}: z ${z}, Y ${Y[e]}`);
          }),
        );
        expect(wrong.slice(0, 3)).toEqual([]);
        for (let pr = 0; pr < pp.primes; pr++) values[pr].push(...resultValues(slots, pr));
      }
      hist.push(values.map((v, pr) => fields(v, hc.ctx.primes[pr].t)));
    }
    const stats: string[] = [];
    hist.forEach((perPrime, wi) =>
      perPrime.forEach((h, pr) => {
        for (const [name, cells] of Object.entries(h)) {
          const u = uniformity(cells);
          expect(u.chi, `${wi ? "W′" : "W"} prime ${pr} ${name} 4 bits`).toBeLessThan(u.critical);
          stats.push(`${wi ? "W′" : "W"} t${pr} ${name} ${u.chi.toFixed(1)}`);
        }
      }),
    );
    for (let pr = 0; pr < pp.primes; pr++) {
      for (const name of ["top", "low"] as const) {
        const hg = homogeneity(hist[0][pr][name], hist[1][pr][name]);
        expect(hg.chi, `W against W′, prime ${pr} ${name} 4 bits`).toBeLessThan(hg.critical);
        stats.push(`W/W′ t${pr} ${name} ${hg.chi.toFixed(1)}`);
      }
    }
    console.log(`masked, ${RUNS} answers per W, ${plan.n * plan.m} results each: chi-square (df 15, critical ${critical(15).toFixed(1)}) ${stats.join(", ")}`);
  }, 60_000);

  it("control, no mask: the result slots are A·W mod t_i, not uniform, and tell W from W′", () => {
    const decoded = [W, W2].map((w) => {
      const slots = unmaskedRun(w);
      const Y = product(w);
      expect(nonzeroOutside(slots)).toBe(0);
      hc.ctx.primes.slice(0, pp.primes).forEach(({ t }, pr) => {
        const expected = results.flatMap((r) => [...r.values()].map((e) => ((Y[e] % t) + t) % t));
        expect(resultValues(slots, pr)).toEqual(expected);
      });
      return slots;
    });
    const chis: string[] = [];
    for (let pr = 0; pr < pp.primes; pr++) {
      for (const slots of decoded) {
        const u = uniformity(fields(resultValues(slots, pr), hc.ctx.primes[pr].t).top);
        expect(u.chi).toBeGreaterThan(10 * u.critical);
        chis.push(u.chi.toFixed(0));
      }
    }
    const [x, y] = decoded.map((slots) => resultValues(slots, 0));
    const differ = x.filter((v, i) => v !== y[i]).length;
    expect(differ).toBeGreaterThan(x.length / 2);
    console.log(`unmasked control: chi-square of the top 4 bits (critical ${critical(15).toFixed(1)}) W/W′ ${chis.join(", ")}; ${differ} of ${x.length} results differ between W and W′`);
  }, 60_000);
});
