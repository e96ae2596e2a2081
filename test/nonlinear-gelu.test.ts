import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { PlainFx } from "../src/nonlinear/engine.js";
import { gelu, geluApprox, geluFloat } from "../src/nonlinear/gelu.js";
import { makePair, type Pair } from "./mpc-util.js";
import { fixed, grid, maxError, runBoth } from "./nonlinear-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
});

const ring = new Ring(37, 12);
const plain = new PlainFx();

describe.each(["high", "low"] as const)("GELU, %s degree", (degree) => {
  // Float error of each form (computed offline on a 1e-3 grid) plus fixed-point rounding.
  const bound = degree === "high" ? 0.0094 + 0.002 : 0.0317 + 0.002;

  it("the fixed-point twin stays within the stated error of GELU on a dense grid and far out", async () => {
    const xs = [...grid(-6, 6, 4001), -1e5, -1000, -2.7, 2.7, 1000, 1e5, 0];
    const out = await gelu(plain, fixed(xs, ring), ring, { degree });
    const err = maxError(ring, xs, out, geluFloat);
    expect(err.max, `at x = ${err.at}`).toBeLessThan(bound);
    // And close to the float form it implements: only fixed-point rounding separates them (away from the cut-off,
    // where the form jumps and the two may fall on different sides).
    const cut = degree === "high" ? 2.7 : 2.2;
    const away = xs.map((x, i) => [x, i] as const).filter(([x]) => Math.abs(Math.abs(x) - cut) > 1e-3);
    const sub = BigUint64Array.from(away, ([, i]) => out[i]);
    expect(maxError(ring, away.map(([x]) => x), sub, (x) => geluApprox(x, degree)).max).toBeLessThan(0.003);
  });

  it("the protocol equals the twin exactly, edge values included", async () => {
    const edges = [0, 1 / 4096, -1 / 4096, 2.7, -2.7, 2.2, -2.2, 3, -3, 2 ** 20, -(2 ** 20), 2 ** 22, -(2 ** 22)];
    const rnd = Array.from({ length: 201 }, () => (Math.random() - 0.5) * 16);
    const x = fixed([...edges, ...rnd], ring);
    const { plain: tw, secure } = await runBoth(pair, ring, x, (E, v) => gelu(E, v, ring, { degree }));
    expect(Array.from(secure)).toEqual(Array.from(tw));
  });
});

it("the low form costs fewer bits than the high form", async () => {
  const x = fixed(Array.from({ length: 64 }, (_, i) => i / 8 - 4), ring);
  const high = await runBoth(pair, ring, x, (E, v) => gelu(E, v, ring, { degree: "high" }));
  const low = await runBoth(pair, ring, x, (E, v) => gelu(E, v, ring, { degree: "low" }));
  expect(low.bitsPerElement).toBeLessThan(0.75 * high.bitsPerElement);
});
