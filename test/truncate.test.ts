import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { truncate, truncateReduce } from "../src/mpc/truncate.js";
import { edgeValues, makePair, open, share, withEdges, type Pair } from "./mpc-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
}, 30_000);

/** floor(x / 2^s) of the signed reading, back in the ring. */
const shifted = (ring: Ring, v: bigint, s: number) => ring.reduce(ring.signed(v) >> BigInt(s));

describe("truncate", { timeout: 30_000 }, () => {
  for (const bits of [2, 16, 32, 37, 64]) {
    for (const s of [...new Set([1, 12, bits - 1])].filter((s) => s < bits)) {
      it(`floor(x / 2^${s}) at ℓ = ${bits}, every sign variant`, async () => {
        const ring = new Ring(bits);
        const n = 101;
        const x = withEdges(n, ring, [...edgeValues(ring), ring.half + (1n << BigInt(s)), (1n << BigInt(s)) - 1n, -(1n << BigInt(s))].map((v) => ring.reduce(v)));
        const [x0, x1] = share(x, ring);
        const got = open(await pair.both((p) => truncate(p, p.isServer ? x0 : x1, s, ring)), ring);
        expect(Array.from(got)).toEqual(Array.from(x, (v) => shifted(ring, v, s)));

        const nonneg = x.map((v) => v & (ring.half - 1n));
        const [p0, p1] = share(nonneg, ring);
        const gotP = open(await pair.both((p) => truncate(p, p.isServer ? p0 : p1, s, ring, { sign: "nonneg" })), ring);
        expect(Array.from(gotP)).toEqual(Array.from(nonneg, (v) => shifted(ring, v, s)));

        const neg = x.map((v) => v | ring.half);
        const [n0, n1] = share(neg, ring);
        const gotN = open(await pair.both((p) => truncate(p, p.isServer ? n0 : n1, s, ring, { sign: "neg" })), ring);
        expect(Array.from(gotN)).toEqual(Array.from(neg, (v) => shifted(ring, v, s)));

        const red = await pair.both((p) => truncateReduce(p, p.isServer ? x0 : x1, s, ring));
        const small = red[0].ring;
        expect(small.bits).toBe(bits - s);
        expect(Array.from(open([red[0].x, red[1].x], small))).toEqual(Array.from(x, (v) => small.reduce(ring.signed(v) >> BigInt(s))));
      });
    }
  }

  it("rounds toward minus infinity", async () => {
    const ring = new Ring(37, 12);
    const x = new BigUint64Array([ring.encode(-0.5), ring.encode(-1 / 4096), ring.encode(0.99), ring.encode(-2.5)]);
    const [x0, x1] = share(x, ring);
    const got = open(await pair.both((p) => truncate(p, p.isServer ? x0 : x1, 12, ring)), ring);
    expect(Array.from(got, (v) => ring.signed(v))).toEqual([-1n, -1n, 0n, -3n]);
  });

  it("returns empty shares for an empty batch", async () => {
    const ring = new Ring(37);
    for (const sign of ["unknown", "nonneg", "neg"] as const) {
      const [s] = await pair.both((p) => truncate(p, new BigUint64Array(0), 12, ring, { sign }));
      expect(s.length).toBe(0);
    }
    const [r] = await pair.both((p) => truncateReduce(p, new BigUint64Array(0), 12, ring));
    expect(r.x.length).toBe(0);
  });

  it("returns the input for s = 0 and rejects bad shifts and hints", async () => {
    const ring = new Ring(16);
    const x = new BigUint64Array([1n, 2n]);
    const [s] = await pair.both((p) => truncate(p, x, 0, ring));
    expect(Array.from(s)).toEqual([1n, 2n]);
    await expect(truncate(pair.server, x, 16, ring)).rejects.toThrow(/s must be an integer in \[0, 16\)/);
    await expect(truncateReduce(pair.server, x, -1, ring)).rejects.toThrow(/truncateReduce: s must be/);
    await expect(truncate(pair.server, x, 3, ring, { sign: "positive" as "neg" })).rejects.toThrow(/sign must be/);
  });

  for (const [sign, target] of [["unknown", 5197], ["nonneg", 1725]] as const) {
    it(`costs at most SCI's ${target} bits per truncation by 12 at ℓ = 37, sign ${sign}`, async () => {
      const ring = new Ring(37);
      const n = 4096;
      const x = withEdges(n, ring, []).map((v) => (sign === "nonneg" ? v & (ring.half - 1n) : v));
      const { traffic } = await pair.measured((p) => truncate(p, x, 12, ring, { sign }));
      expect((traffic.bytes * 8) / n).toBeLessThanOrEqual(target * 1.005);
    });
  }

  it("costs at most SCI's 1,313 bits per truncateReduce by 12 at ℓ = 37", async () => {
    const ring = new Ring(37);
    const n = 4096;
    const x = withEdges(n, ring, []);
    const { traffic } = await pair.measured((p) => truncateReduce(p, x, 12, ring));
    expect((traffic.bytes * 8) / n).toBeLessThanOrEqual(1313 * 1.005);
  });
});
