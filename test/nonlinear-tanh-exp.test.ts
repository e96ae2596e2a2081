import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { PlainFx } from "../src/nonlinear/engine.js";
import { tanh, tanhApprox, tanhFloat } from "../src/nonlinear/tanh.js";
import { exp, expApprox } from "../src/nonlinear/exp.js";
import { makePair, type Pair } from "./mpc-util.js";
import { fixed, grid, maxError, runBoth } from "./nonlinear-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
});

const ring = new Ring(37, 12);
const plain = new PlainFx();

describe.each(["high", "low"] as const)("tanh, %s degree", (degree) => {
  const bound = degree === "high" ? 0.0066 + 0.002 : 0.0079 + 0.002;

  it("the twin stays within the stated error of tanh, far-out inputs included", async () => {
    const xs = [...grid(-5, 5, 4001), -1e5, 1e5, 0];
    const out = await tanh(plain, fixed(xs, ring), ring, { degree });
    const err = maxError(ring, xs, out, tanhFloat);
    expect(err.max, `at x = ${err.at}`).toBeLessThan(bound);
    const cut = degree === "high" ? 2.855 : 2.9;
    const away = xs.map((x, i) => [x, i] as const).filter(([x]) => Math.abs(Math.abs(x) - cut) > 1e-3);
    const sub = BigUint64Array.from(away, ([, i]) => out[i]);
    expect(maxError(ring, away.map(([x]) => x), sub, (x) => tanhApprox(x, degree)).max).toBeLessThan(0.002);
  });

  it("the protocol equals the twin exactly", async () => {
    const xs = [0, 1 / 4096, -1 / 4096, 2.855, -2.855, 2.9, -2.9, 2 ** 22, -(2 ** 22), ...Array.from({ length: 101 }, () => (Math.random() - 0.5) * 8)];
    const { plain: tw, secure } = await runBoth(pair, ring, fixed(xs, ring), (E, v) => tanh(E, v, ring, { degree }));
    expect(Array.from(secure)).toEqual(Array.from(tw));
  });
});

describe.each(["high", "low"] as const)("exp on x ≤ 0, %s degree", (degree) => {
  // Half a cell of the finest table, relatively: tanh(1/512) (high) and tanh(1/64) (low).
  const rel = Math.tanh(degree === "high" ? 1 / 512 : 1 / 64);

  it("the twin stays within the stated relative error (plus 2 ulp) of e^x, very negative inputs included", async () => {
    const xs = [...grid(-16, 0, 4001), -1e4, -(2 ** 22)];
    const input = fixed(xs, ring);
    const out = await exp(plain, input, ring, { degree });
    xs.forEach((x, i) => {
      const got = ring.decode(out[i]);
      expect(Math.abs(got - Math.exp(x)), `x = ${x}`).toBeLessThanOrEqual(rel * Math.exp(x) + 2 / 4096);
      // The float form on the same (encoded) input: the tables step at cell edges.
      expect(Math.abs(got - expApprox(ring.decode(input[i]), degree)), `x = ${x}`).toBeLessThanOrEqual(3 / 4096);
    });
  });

  it("the protocol equals the twin exactly", async () => {
    const xs = [0, -1 / 4096, -Math.LN2, -1 / 64, -3 / 64, -1 / 512, -8, -8 + 1 / 64, -8 + 1 / 4096, -16, -16 + 1 / 512, -16.001, -(2 ** 22), ...Array.from({ length: 256 + 101 }, () => -Math.random() * 20)];
    const { plain: tw, secure } = await runBoth(pair, ring, fixed(xs, ring), (E, v) => exp(E, v, ring, { degree }));
    expect(Array.from(secure)).toEqual(Array.from(tw));
  });
});

describe("exp at a finer output scale", () => {
  const q = 16;
  const cells = (a: number, b: number) => Array.from({ length: (b - a) * 4096 }, (_, i) => a + i / 4096);

  it("sums of e^x over whole cells drift by table rounding at the ring's scale, not at scale 16", async () => {
    // On [−5, −4) the tables' entries rounded at scale 12 err the same way for every input of a cell.
    const xs = cells(-5, -4);
    const drift = async (scale: number) => {
      const out = await exp(plain, fixed(xs, ring), ring, { degree: "high", scale });
      const sum = xs.reduce((acc, x, i) => acc + Number(out[i]) / 2 ** scale - Math.exp(x), 0);
      return (sum / xs.length) * 4096; // mean error per input, in ulps at scale 12
    };
    expect(Math.abs(await drift(12))).toBeGreaterThan(0.3);
    expect(Math.abs(await drift(q))).toBeLessThan(0.05);
  });

  it.each(["high", "low"] as const)("%s: within the relative error plus 2 ulp at its tables' scale, and the protocol equals the twin", async (degree) => {
    const rel = Math.tanh(degree === "high" ? 1 / 512 : 1 / 64);
    // The low form's table is at the output scale; the high form's two at 12 + ⌈(16 − 12)/2⌉ = 14.
    const tables = degree === "high" ? 14 : q;
    const xs = [...grid(-16, 0, 2001), -16.001, -(2 ** 22)];
    // Against the inputs as encoded: 2 ulp at scale 14 or 16 do not absorb the inputs' rounding to scale 12.
    const input = fixed(xs, ring);
    const out = await exp(plain, input, ring, { degree, scale: q });
    xs.forEach((x, i) => {
      const want = Math.exp(ring.decode(input[i]));
      // The low form is 0 below its table's range (−8, less the half cell its inputs are shifted by).
      const floor = degree === "low" && x < -8 + 1 / 64 ? Math.exp(-8) : 0;
      expect(Math.abs(Number(out[i]) / 2 ** q - want), `x = ${x}`).toBeLessThanOrEqual(rel * want + 2 / 2 ** tables + floor);
    });
    const some = [0, -1 / 4096, -8, -16, -(2 ** 22), ...Array.from({ length: 128 + 101 }, () => -Math.random() * 20)];
    const { plain: tw, secure } = await runBoth(pair, ring, fixed(some, ring), (E, v) => exp(E, v, ring, { degree, scale: q }));
    expect(Array.from(secure)).toEqual(Array.from(tw));
  });

  it("rejects scales outside [s, s + 6]", async () => {
    await expect(exp(plain, new BigUint64Array(1), ring, { scale: 11 })).rejects.toThrow(/scale must be an integer in \[12, 18\], got 11/);
    await expect(exp(plain, new BigUint64Array(1), ring, { scale: 19 })).rejects.toThrow(/got 19/);
  });
});

it("exp rejects a ring too small for its intermediate products", async () => {
  await expect(exp(plain, new BigUint64Array(1), new Ring(20, 12), {})).rejects.toThrow(/at least 2·scale \+ 8 bits/);
});
