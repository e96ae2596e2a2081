import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { mulPublic, mult, square } from "../src/mpc/mult.js";
import { matmulShares } from "../src/mpc/matmul.js";
import { edgeValues, makePair, open, randomRing, share, withEdges, type Pair } from "./mpc-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
}, 30_000);

/** Every ordered pair of edge values, then random values. */
function operands(n: number, ring: Ring): [BigUint64Array, BigUint64Array] {
  const e = edgeValues(ring);
  const xs = e.flatMap((a) => e.map(() => a));
  const ys = e.flatMap(() => e);
  return [withEdges(n, ring, xs), withEdges(n, ring, ys)];
}

describe("mulPublic", () => {
  it("multiplies by a scalar and by a vector mod 2^l", () => {
    const ring = new Ring(37);
    const x = withEdges(50, ring, edgeValues(ring));
    const c = randomRing(50, ring);
    expect([...mulPublic(x, -3n, ring)]).toEqual([...x].map((v) => (v * -3n) & ring.mask));
    expect([...mulPublic(x, c, ring)]).toEqual([...x].map((v, i) => (v * c[i]) & ring.mask));
    expect(() => mulPublic(x, c.subarray(1), ring)).toThrow(/mulPublic: c/);
  });
});

describe("mult", () => {
  for (const bits of [2, 16, 32, 37, 64]) {
    it(`multiplies shares mod 2^${bits}`, { timeout: 20_000 }, async () => {
      const ring = new Ring(bits);
      for (const n of [0, 1, 512 + 101]) {
        const [x, y] = operands(n, ring);
        const [xs, xc] = share(x, ring);
        const [ys, yc] = share(y, ring);
        const out = await pair.both((p) => (p.isServer ? mult(p, xs, ys, ring) : mult(p, xc, yc, ring)));
        const v = open(out, ring);
        for (let i = 0; i < n; i++) expect(v[i]).toBe((x[i] * y[i]) & ring.mask);
      }
    });
  }

  it("costs 2·l·(128 + (l + 1)/2) bits per product (plus framing)", async () => {
    const ring = new Ring(37);
    const n = 2048;
    const { traffic } = await pair.measured((p) => mult(p, randomRing(n, ring), randomRing(n, ring), ring));
    const perOp = (traffic.bytes * 8) / n;
    const ideal = 2 * 37 * (128 + 19);
    expect(perOp).toBeGreaterThanOrEqual(ideal);
    expect(perOp).toBeLessThan(ideal + 8);
    expect(perOp).toBeLessThan(11_152);
    // Both parties send their OT flight, then their pads: at most four flights in the transcript.
    expect(traffic.rounds).toBeLessThanOrEqual(4);
  });

  it("multiplies a batch whose pads span several frames", { timeout: 20_000 }, async () => {
    // 2^13 + 101 products at l = 64 carry about 2 MiB of pads: three frames.
    const ring = new Ring(64);
    const n = (1 << 13) + 101;
    const [x, y] = operands(n, ring);
    const [xs, xc] = share(x, ring);
    const [ys, yc] = share(y, ring);
    const out = await pair.both((p) => (p.isServer ? mult(p, xs, ys, ring) : mult(p, xc, yc, ring)));
    const v = open(out, ring);
    let wrong = 0;
    for (let i = 0; i < n; i++) if (v[i] !== ((x[i] * y[i]) & ring.mask)) wrong++;
    expect(wrong).toBe(0);
  });

  it("rejects operands of different lengths", async () => {
    const ring = new Ring(16);
    await expect(mult(pair.server, new BigUint64Array(2), new BigUint64Array(3), ring)).rejects.toThrow(/mult: x and y/);
  });
});

describe("square", () => {
  for (const bits of [2, 16, 37, 64]) {
    it(`squares shares mod 2^${bits} at half the cost of mult`, async () => {
      const ring = new Ring(bits);
      const n = 256 + 101;
      const x = withEdges(n, ring, edgeValues(ring));
      const [xs, xc] = share(x, ring);
      const { result, traffic } = await pair.measured((p) => square(p, p.isServer ? xs : xc, ring));
      const v = open(result, ring);
      for (let i = 0; i < n; i++) expect(v[i]).toBe((x[i] * x[i]) & ring.mask);
      const positions = bits - 1;
      expect(traffic.bytes * 8).toBeGreaterThanOrEqual(n * positions * (128 + (positions + 1) / 2));
      expect(traffic.bytes * 8).toBeLessThan(n * positions * (128 + (positions + 1) / 2) + 1024);
    });
  }
});

describe("matmulShares", () => {
  it("multiplies shared matrices exactly, including empty and 1×1 shapes", { timeout: 20_000 }, async () => {
    for (const bits of [16, 37, 64]) {
      const ring = new Ring(bits);
      for (const [m, k, n] of [[1, 1, 1], [3, 5, 4], [2, 7, 1], [0, 3, 2]]) {
        const A = withEdges(m * k, ring, edgeValues(ring));
        const B = randomRing(k * n, ring);
        const [as, ac] = share(A, ring);
        const [bs, bc] = share(B, ring);
        const out = await pair.both((p) => (p.isServer ? matmulShares(p, as, bs, m, k, n, ring) : matmulShares(p, ac, bc, m, k, n, ring)));
        const v = open(out, ring);
        for (let r = 0; r < m; r++) {
          for (let c = 0; c < n; c++) {
            let s = 0n;
            for (let t = 0; t < k; t++) s += A[r * k + t] * B[t * n + c];
            expect(v[r * n + c]).toBe(s & ring.mask);
          }
        }
      }
    }
  });

  it("costs m·k·l OTs plus m·k·n·l(l+1)/2 bits per cross term", async () => {
    const ring = new Ring(16);
    const [m, k, n] = [4, 6, 5];
    const { traffic } = await pair.measured((p) => matmulShares(p, randomRing(m * k, ring), randomRing(k * n, ring), m, k, n, ring));
    const ideal = 2 * (m * k * 16 * 128 + (m * k * n * 16 * 17) / 2);
    expect(traffic.bytes * 8).toBeGreaterThanOrEqual(ideal);
    expect(traffic.bytes * 8).toBeLessThan(ideal + 4096);
    expect(traffic.rounds).toBeLessThanOrEqual(4);
  });

  it("splits products with many pad values into row chunks", { timeout: 20_000 }, async () => {
    // 512·2048 pad values per row reach the per-call bound of 2^20: one row per chunk. l = 2 keeps the traffic small.
    const ring = new Ring(2);
    const [m, k, n] = [2, 512, 2048];
    const A = randomRing(m * k, ring);
    const B = randomRing(k * n, ring);
    const [as, ac] = share(A, ring);
    const [bs, bc] = share(B, ring);
    const v = open(await pair.both((p) => (p.isServer ? matmulShares(p, as, bs, m, k, n, ring) : matmulShares(p, ac, bc, m, k, n, ring))), ring);
    let wrong = 0;
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c += 7) {
        let s = 0n;
        for (let t = 0; t < k; t++) s += A[r * k + t] * B[t * n + c];
        if (v[r * n + c] !== (s & ring.mask)) wrong++;
      }
    }
    expect(wrong).toBe(0);
  });

  it("rejects a matrix of the wrong size", async () => {
    await expect(matmulShares(pair.server, new BigUint64Array(5), new BigUint64Array(6), 2, 3, 2, new Ring(16))).rejects.toThrow(/A has 5/);
  });
});
