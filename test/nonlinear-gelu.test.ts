import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { PlainFx } from "../src/nonlinear/engine.js";
import { gelu, geluApprox, geluFloat } from "../src/nonlinear/gelu.js";
import { edgeValues, makePair, randomRing, type Pair } from "./mpc-util.js";
import { fixed, grid, maxError, runBoth } from "./nonlinear-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
});

const ring = new Ring(37, 12);
const plain = new PlainFx();
const ulp = 2 ** -ring.scale;

describe.each(["high", "low"] as const)("GELU, %s degree", (degree) => {
  // Table error against the form (half the form's range over a cell of 1/64 or 1/16: slope 1/2 and 0.27 at most)
  // plus half an ulp for the rounded entries; the form's own float error against GELU (1.3e-4 and 3.17e-2).
  const table = degree === "high" ? 0.5 * (1 / 64) / 2 + ulp / 2 : 0.27 * (1 / 16) / 2 + ulp / 2;
  const form = degree === "high" ? 1.3e-4 : 0.0317;

  it("the fixed-point twin stays within the stated error of GELU and of its float form, on a dense grid and far out", async () => {
    const xs = [...grid(-6, 6, 12_289), -1e5, -1000, -4, 4, -2.2, 2.2, 1000, 1e5, 0, ulp, -ulp];
    const out = await gelu(plain, fixed(xs, ring), ring, { degree });
    const err = maxError(ring, xs, out, geluFloat);
    expect(err.max, `at x = ${err.at}`).toBeLessThan(form + table);
    const near = maxError(ring, xs, out, (x) => geluApprox(x, degree));
    expect(near.max, `at x = ${near.at}`).toBeLessThan(table);
    // Far out the output is ReLU exactly.
    for (const x of [-1e5, -1000, -4, 4, 1000, 1e5]) expect(ring.decode(out[xs.indexOf(x)])).toBe(Math.max(x, 0));
  });

  it("the protocol equals the twin exactly on every input, ring edges included", async () => {
    const edges = [0, ulp, -ulp, 4, -4, 4 - ulp, -4 + ulp, 2.2, -2.2, 1 / 16, -1 / 16, 2 ** 20, -(2 ** 20), 2 ** 22, -(2 ** 22)];
    const rnd = Array.from({ length: 256 }, () => (Math.random() - 0.5) * 10);
    const x = new BigUint64Array([...fixed([...edges, ...rnd], ring), ...edgeValues(ring), ...randomRing(101 - edgeValues(ring).length, ring)]);
    const { plain: tw, secure } = await runBoth(pair, ring, x, (E, v) => gelu(E, v, ring, { degree }));
    expect(Array.from(secure)).toEqual(Array.from(tw));
  });
});

it("both forms cost under half the bits of the BOLT quartic they replace, the low form less than the high", async () => {
  const x = fixed(Array.from({ length: 64 }, (_, i) => i / 8 - 4), ring);
  const high = await runBoth(pair, ring, x, (E, v) => gelu(E, v, ring, { degree: "high" }));
  const low = await runBoth(pair, ring, x, (E, v) => gelu(E, v, ring, { degree: "low" }));
  // The quartic cost 39,409 bits per element (high) and 21,132 (low) at l = 37, s = 12.
  expect(high.bitsPerElement).toBeLessThan(39_409 / 2);
  expect(low.bitsPerElement).toBeLessThan(21_132 / 2);
  expect(low.bitsPerElement).toBeLessThan(0.85 * high.bitsPerElement);
});
