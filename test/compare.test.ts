import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { getBit } from "../src/core/bits.js";
import { compareBatch, equal, greaterThan as gtPrivate, millionaire } from "../src/mpc/millionaire.js";
import { greaterThan, greaterThanPublic, lessThan, lessThanPublic } from "../src/mpc/compare.js";
import type { Party } from "../src/mpc/party.js";
import { edgeValues, makePair, randomRing, share, withEdges, type Pair } from "./mpc-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
}, 30_000);

const opened = ([a, b]: [Uint8Array, Uint8Array], n: number) => Array.from({ length: n }, (_, i) => getBit(a, i) ^ getBit(b, i));

/** Private inputs with the awkward pairs first: both 0, both max, max vs 0, 0 vs max, equal, one apart. */
function inputs(n: number, bits: number): [BigUint64Array, BigUint64Array] {
  const ring = new Ring(bits);
  const x = randomRing(n, ring), y = randomRing(n, ring);
  const max = ring.mask;
  const pairs: [bigint, bigint][] = [[0n, 0n], [max, max], [max, 0n], [0n, max], [5n & max, 5n & max], [1n, 0n], [0n, 1n], [max, max - 1n], [ring.half, ring.half - 1n]];
  pairs.slice(0, n).forEach(([a, b], i) => ((x[i] = a), (y[i] = b)));
  // Equal values in the middle as well, so the eq path runs on random digits too.
  for (let i = pairs.length; i < n; i += 7) y[i] = x[i];
  return [x, y];
}

describe("millionaire", { timeout: 30_000 }, () => {
  for (const bits of [1, 4, 5, 16, 32, 37, 63, 64]) {
    it(`compares private ${bits}-bit values (gt and eq)`, async () => {
      const n = bits === 37 ? 256 + 101 : 133;
      const [x, y] = inputs(n, bits);
      const [s, c] = await pair.both((p) => millionaire(p, p.isServer ? x : y, bits, { equal: true }));
      expect(opened([s.gt, c.gt], n)).toEqual(Array.from(x, (v, i) => (v > y[i] ? 1 : 0)));
      expect(opened([s.eq!, c.eq!], n)).toEqual(Array.from(x, (v, i) => (v === y[i] ? 1 : 0)));
      const gt = await pair.both((p) => gtPrivate(p, p.isServer ? x : y, bits));
      expect(opened(gt, n)).toEqual(Array.from(x, (v, i) => (v > y[i] ? 1 : 0)));
      const eq = await pair.both((p) => equal(p, p.isServer ? x : y, bits));
      expect(opened(eq, n)).toEqual(Array.from(x, (v, i) => (v === y[i] ? 1 : 0)));
    });
  }

  it("runs several comparisons in one batch, with a split low part", async () => {
    const n = 77;
    const [x, y] = inputs(n, 37);
    const [u, v] = inputs(n, 12);
    const low = (a: bigint) => a & 0xfffn;
    const [s, c] = await pair.both((p) =>
      compareBatch(p, n, [
        { input: p.isServer ? x : y, bits: 37, split: 12, equal: true },
        { input: p.isServer ? u : v, bits: 12 },
      ]),
    );
    expect(opened([s[0].gt, c[0].gt], n)).toEqual(Array.from(x, (a, i) => (a > y[i] ? 1 : 0)));
    expect(opened([s[0].eq!, c[0].eq!], n)).toEqual(Array.from(x, (a, i) => (a === y[i] ? 1 : 0)));
    expect(opened([s[0].low!, c[0].low!], n)).toEqual(Array.from(x, (a, i) => (low(a) > low(y[i]) ? 1 : 0)));
    expect(opened([s[1].gt, c[1].gt], n)).toEqual(Array.from(u, (a, i) => (a > v[i] ? 1 : 0)));
  });

  it("gives the same results when a batch runs in chunks", async () => {
    const n = 203;
    const [x, y] = inputs(n, 37);
    // 16 OTs per element at 37 bits, so 256 OTs make chunks of 16 elements.
    const [s, c] = await pair.both((p) => compareBatch(p, n, [{ input: p.isServer ? x : y, bits: 37, split: 12 }], 256));
    expect(opened([s[0].gt, c[0].gt], n)).toEqual(Array.from(x, (a, i) => (a > y[i] ? 1 : 0)));
    expect(opened([s[0].low!, c[0].low!], n)).toEqual(Array.from(x, (a, i) => ((a & 0xfffn) > (y[i] & 0xfffn) ? 1 : 0)));
  });

  it("handles an empty batch and rejects bad inputs", async () => {
    const [s] = await pair.both((p) => millionaire(p, new BigUint64Array(0), 37));
    expect(s.gt.length).toBe(0);
    await expect(millionaire(pair.server, new BigUint64Array([16n]), 4)).rejects.toThrow(/input\[0\] = 16 does not fit in 4 bits/);
    await expect(millionaire(pair.server, new BigUint64Array(1), 65)).rejects.toThrow(/bits must be an integer in \[1, 64\]/);
    await expect(millionaire(pair.server, [1n] as unknown as BigUint64Array, 4)).rejects.toThrow(TypeError);
  });

  for (const [bits, target] of [[32, 3932], [37, 4952], [64, 8456]] as const) {
    it(`costs at most SCI's ${target} bits per ${bits}-bit comparison`, async () => {
      const n = 4096;
      const [x, y] = inputs(n, bits);
      const { traffic } = await pair.measured((p) => millionaire(p, p.isServer ? x : y, bits));
      const perOp = (traffic.bytes * 8) / n;
      expect(perOp).toBeLessThanOrEqual(target * 1.005);
      expect(perOp).toBeGreaterThan(target * 0.8);
    });
  }

  it("tests equality alone with one AND per tree node", async () => {
    const n = 4096;
    const [x, y] = inputs(n, 37);
    const { traffic } = await pair.measured((p) => equal(p, p.isServer ? x : y, 37));
    // 10 digit OTs of 288 bits and 9 ANDs of 148 bits.
    expect((traffic.bytes * 8) / n).toBeLessThanOrEqual((10 * 288 + 9 * 148) * 1.005);
  });

  it("shows each party a view that does not depend on the other's input", { timeout: 20_000 }, async () => {
    const n = 2048;
    const bits = 37;
    const mine = randomRing(n, new Ring(bits));
    /** Bit frequencies of everything `watcher` receives while the other party's input is `theirs`. */
    const view = async (watcher: Party, theirs: BigUint64Array) => {
      const seen: Uint8Array[] = [];
      const ch = watcher.ch;
      const recv = ch.recv.bind(ch);
      ch.recv = async (tag, opts) => {
        const v = await recv(tag, opts);
        seen.push(v.slice());
        return v;
      };
      try {
        await pair.both((p) => millionaire(p, p === watcher ? mine : theirs, bits));
      } finally {
        ch.recv = recv;
      }
      const hist = new Float64Array(256);
      let total = 0;
      for (const f of seen) for (const b of f) (hist[b]++, total++);
      let ones = 0;
      for (let b = 0; b < 256; b++) ones += hist[b] * popcount(b);
      return { sizes: seen.map((f) => f.length), ones: ones / (8 * total), hist: hist.map((h) => h / total), total };
    };
    for (const watcher of [pair.server, pair.client]) {
      const zeros = await view(watcher, new BigUint64Array(n));
      const maxes = await view(watcher, new BigUint64Array(n).fill((1n << BigInt(bits)) - 1n));
      expect(zeros.sizes).toEqual(maxes.sizes);
      // Fixed framing bytes are the same in both views; the rest is uniform, so the share of one bits and the
      // byte histograms agree within sampling noise (L1 distance of two near-uniform histograms of N bytes each
      // is about 0.8·sqrt(512 / N); allow three times that).
      expect(Math.abs(zeros.ones - maxes.ones)).toBeLessThan(6 * Math.sqrt(0.5 / (8 * zeros.total)));
      let dist = 0;
      for (let b = 0; b < 256; b++) dist += Math.abs(zeros.hist[b] - maxes.hist[b]);
      expect(dist).toBeLessThan(2.4 * Math.sqrt(512 / zeros.total));
    }
  });
});

function popcount(b: number): number {
  let c = 0;
  for (; b; b &= b - 1) c++;
  return c;
}

describe("comparisons of shared values", { timeout: 30_000 }, () => {
  for (const bits of [16, 32, 37, 64]) {
    it(`lessThan, greaterThan and the public variants at ℓ = ${bits}`, async () => {
      const ring = new Ring(bits);
      const n = 257;
      // Values in [−2^(ℓ−2), 2^(ℓ−2)) so every difference fits the ring.
      const quarter = (v: bigint) => ring.reduce(ring.signed(v) >> 1n);
      const x = withEdges(n, ring, edgeValues(ring)).map(quarter);
      const y = randomRing(n, ring).map(quarter);
      for (let i = 0; i < 20; i++) y[i + 20] = x[i + 20];
      y[0] = quarter(ring.half);
      const [x0, x1] = share(x, ring);
      const [y0, y1] = share(y, ring);
      const sx = (i: number) => ring.signed(x[i]);
      const sy = (i: number) => ring.signed(y[i]);
      const lt = await pair.both((p) => lessThan(p, p.isServer ? x0 : x1, p.isServer ? y0 : y1, ring));
      expect(opened(lt, n)).toEqual(Array.from(x, (_, i) => (sx(i) < sy(i) ? 1 : 0)));
      const gt = await pair.both((p) => greaterThan(p, p.isServer ? x0 : x1, p.isServer ? y0 : y1, ring));
      expect(opened(gt, n)).toEqual(Array.from(x, (_, i) => (sx(i) > sy(i) ? 1 : 0)));
      for (const c of [0n, 1n, -1n, ring.signed(x[5]), -(ring.half >> 1n)]) {
        const ltc = await pair.both((p) => lessThanPublic(p, p.isServer ? x0 : x1, c, ring));
        expect(opened(ltc, n)).toEqual(Array.from(x, (_, i) => (sx(i) < c ? 1 : 0)));
        const gtc = await pair.both((p) => greaterThanPublic(p, p.isServer ? x0 : x1, c, ring));
        expect(opened(gtc, n)).toEqual(Array.from(x, (_, i) => (sx(i) > c ? 1 : 0)));
      }
    });
  }

  it("rejects mismatched inputs", async () => {
    const ring = new Ring(16);
    await expect(lessThan(pair.server, new BigUint64Array(2), new BigUint64Array(3), ring)).rejects.toThrow(/lessThan: x and y differ/);
    await expect(lessThanPublic(pair.server, new BigUint64Array(2), 1 as unknown as bigint, ring)).rejects.toThrow(/c must be a bigint/);
  });
});
