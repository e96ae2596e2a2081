import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { PlainFx } from "../src/nonlinear/engine.js";
import { reciprocal, reciprocalApprox } from "../src/nonlinear/reciprocal.js";
import { rsqrt, rsqrtApprox } from "../src/nonlinear/rsqrt.js";
import { makePair, type Pair } from "./mpc-util.js";
import { fixed, runBoth } from "./nonlinear-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
});

const ring = new Ring(37, 12);
const plain = new PlainFx();
const ulp = 1 / 4096;
const logGrid = (a: number, b: number, n: number) => Array.from({ length: n }, (_, i) => 2 ** (a + ((b - a) * i) / (n - 1)));

describe.each(["high", "low"] as const)("reciprocal, %s degree", (degree) => {
  const range = { lo: 11, hi: 21, degree }; // v ∈ [0.5, 512)
  const rel = degree === "high" ? 2.5e-4 : 8e-3;

  it("the twin is within the stated relative error of 1/v (plus 2 ulp) over the range", async () => {
    // Compare against the input as encoded: the functions see v rounded to the scale.
    const vs = Array.from(ring.decodeArray(fixed([...logGrid(-1, 8.99, 3001), 0.5, 1, 2, 511.99], ring)));
    const out = await reciprocal(plain, fixed(vs, ring), ring, range);
    vs.forEach((v, i) => {
      const got = ring.decode(out[i]);
      expect(Math.abs(got - 1 / v), `v = ${v}`).toBeLessThanOrEqual(rel / v + 2 * ulp);
      expect(Math.abs(got - reciprocalApprox(v, degree)), `v = ${v}`).toBeLessThanOrEqual(3 * ulp);
    });
  });

  it("the protocol equals the twin exactly", async () => {
    const vs = [0.5, 1, 1 + ulp, 2 - ulp, 2, 3, 255.5, 511.99, ...Array.from({ length: 61 }, () => 0.5 + Math.random() * 500)];
    const { plain: tw, secure } = await runBoth(pair, ring, fixed(vs, ring), (E, v) => reciprocal(E, v, ring, range));
    expect(Array.from(secure)).toEqual(Array.from(tw));
  });
});

describe("reciprocal of an input at a finer scale", () => {
  // V at scale 14 (v ∈ [0.5, 512)), 1/v at scale 12: as softmax's row sums of e^x at scale 14 use it.
  const range = { lo: 13, hi: 23, inScale: 14 };

  it("the twin equals the reciprocal of the same value at the ring's scale within its stated error", async () => {
    const Vs = [...logGrid(13, 22.99, 2001), 2 ** 13, 2 ** 14, 2 ** 23 - 1].map(Math.floor);
    const out = await reciprocal(plain, BigUint64Array.from(Vs, BigInt), ring, range);
    Vs.forEach((V, i) => {
      const v = V / 2 ** 14;
      expect(Math.abs(ring.decode(out[i]) - 1 / v), `V = ${V}`).toBeLessThanOrEqual(2.5e-4 / v + 2 * ulp);
    });
  });

  it("the protocol equals the twin exactly", async () => {
    const Vs = [2 ** 13, 2 ** 14, 2 ** 14 + 1, 2 ** 23 - 1, ...Array.from({ length: 61 }, () => 2 ** 13 + Math.floor(Math.random() * (2 ** 23 - 2 ** 13)))];
    const { plain: tw, secure } = await runBoth(pair, ring, BigUint64Array.from(Vs, BigInt), (E, v) => reciprocal(E, v, ring, range));
    expect(Array.from(secure)).toEqual(Array.from(tw));
  });

  it("an input scale at or above hi is refused", async () => {
    await expect(reciprocal(plain, new BigUint64Array(1), ring, { lo: 11, hi: 21, inScale: 21 })).rejects.toThrow(/inScale must be an integer below hi = 21, got 21/);
  });
});

describe.each(["high", "low"] as const)("rsqrt, %s degree", (degree) => {
  const range = { lo: 0, hi: 35, degree }; // v ∈ [2^-12, 2^23)
  const rel = degree === "high" ? 3e-4 : 8e-3;

  it("the twin is within the stated relative error of 1/√v (plus 2 ulp) over the range", async () => {
    const vs = Array.from(ring.decodeArray(fixed([...logGrid(-12, 22.9, 3001), ulp, 1, 2, 3, 4], ring)));
    const out = await rsqrt(plain, fixed(vs, ring), ring, range);
    vs.forEach((v, i) => {
      const got = ring.decode(out[i]);
      const want = 1 / Math.sqrt(v);
      // y at scale s is scaled by 2^q ≤ 2^6 afterwards, so its last-bit rounding grows with 1/√v.
      const slack = 2 * ulp * Math.max(1, want / 2);
      expect(Math.abs(got - want), `v = ${v}`).toBeLessThanOrEqual(rel * want + slack);
      expect(Math.abs(got - rsqrtApprox(v, 12, degree)), `v = ${v}`).toBeLessThanOrEqual(slack + 2e-4 * want);
    });
  });

  it("the protocol equals the twin exactly", async () => {
    const vs = [ulp, 2 * ulp, 1, 2, 3, 2 ** 22, ...Array.from({ length: 41 }, () => 2 ** (Math.random() * 30 - 10))];
    const { plain: tw, secure } = await runBoth(pair, ring, fixed(vs, ring), (E, v) => rsqrt(E, v, ring, range));
    expect(Array.from(secure)).toEqual(Array.from(tw));
  });
});

it("ranges that would overflow the ring are refused", async () => {
  await expect(reciprocal(plain, new BigUint64Array(1), ring, { lo: 0, hi: 30 })).rejects.toThrow(/does not fit/);
  await expect(rsqrt(plain, new BigUint64Array(1), new Ring(30, 12), { lo: 0, hi: 29 })).rejects.toThrow(/does not fit/);
});
