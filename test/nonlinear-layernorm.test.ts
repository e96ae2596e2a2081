import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { PlainFx, SecureFx } from "../src/nonlinear/engine.js";
import { layerNorm, layerNormFloat } from "../src/nonlinear/layernorm.js";
import { makePair, open, share, type Pair } from "./mpc-util.js";
import { fixed, runBoth } from "./nonlinear-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
});

const ring = new Ring(37, 12);
const d = 37;
const rowsOf = (): number[][] => {
  const rnd = (scale: number, shift = 0) => Array.from({ length: d }, () => (Math.random() - 0.5) * scale + shift);
  // Random rows of several magnitudes (|x − μ| < 64, the documented range; σ ≥ 0.29 so that σ² spans ≥ 340 ulp: below
  // that the variance's own resolution, 2^−s/σ², dominates the error), a
  // row with one huge entry, a constant row (all zero out).
  return [rnd(2), rnd(20, 5), rnd(2, -3), [40, ...new Array(d - 1).fill(0.5)], new Array(d).fill(2.5), rnd(60), rnd(1, 1)];
};

describe.each(["high", "low"] as const)("LayerNorm, %s degree", (degree) => {
  // Relative error of rsqrt (0.03% / 0.8%) on outputs of magnitude ≤ √d, plus the truncations.
  const bound = (y: number) => (degree === "high" ? 0.008 : 0.012) + (degree === "high" ? 6e-4 : 8e-3) * Math.abs(y);

  it("the twin stays close to LayerNorm, with public γ, β and without", async () => {
    const raw = rowsOf();
    const rows = raw.map((r) => Array.from(ring.decodeArray(fixed(r, ring))));
    const gamma = Array.from({ length: d }, () => 0.5 + Math.random());
    const beta = Array.from({ length: d }, () => Math.random() - 0.5);
    const g = Array.from(ring.decodeArray(fixed(gamma, ring)));
    const b = Array.from(ring.decodeArray(fixed(beta, ring)));
    for (const affine of [undefined, { gamma: fixed(gamma, ring), beta: fixed(beta, ring), shared: false }]) {
      const out = await layerNorm(new PlainFx(), fixed(rows.flat(), ring), rows.length, d, ring, { degree, affine });
      rows.forEach((row, r) => {
        if (r === 4) {
          // Constant row: the mean is off by at most an ulp or two, and the variance floor is one ulp, so y is that
          // error times 64; float gives exactly β.
          row.forEach((_, c) => expect(Math.abs(ring.decode(out[r * d + c]) - (affine ? b[c] : 0))).toBeLessThan(0.05));
          return;
        }
        const want = affine ? layerNormFloat(row, g, b) : layerNormFloat(row);
        want.forEach((w, c) => expect(Math.abs(ring.decode(out[r * d + c]) - w), `row ${r} col ${c}`).toBeLessThan(bound(w) + (affine ? 0.002 : 0)));
      });
    }
  });

  it("the protocol equals the twin exactly, with shared γ and β", async () => {
    const rows = rowsOf();
    const x = fixed(rows.flat(), ring);
    const gamma = fixed(Array.from({ length: d }, () => Math.random() * 2), ring);
    const beta = fixed(Array.from({ length: d }, () => Math.random() - 0.5), ring);
    const plain = await layerNorm(new PlainFx(), x, rows.length, d, ring, { degree, affine: { gamma, beta, shared: false } });
    const [xs, xc] = share(x, ring);
    const [gs, gc] = share(gamma, ring);
    const [bs, bc] = share(beta, ring);
    const got = await pair.both((p) =>
      layerNorm(new SecureFx(p), p.isServer ? xs : xc, rows.length, d, ring, {
        degree,
        affine: { gamma: p.isServer ? gs : gc, beta: p.isServer ? bs : bc, shared: true },
      }),
    );
    expect(Array.from(open(got, ring))).toEqual(Array.from(plain));
  });
});

it("keeps |normalised| under the known-sign offset even for a lone spike over a variance of a few ulp", async () => {
  // One spike of c ulp per row of width 768: |y| peaks near √d, and the variance's roundings matter most for small c.
  const wide = 768;
  const spikes = [1, 2, 3, 5, 8, 13, 40, 64, 100, 181, 1000, 4096, 1 << 16, (1 << 18) - 1];
  const x = new BigUint64Array(spikes.length * wide);
  spikes.forEach((c, r) => (x[r * wide + (r % wide)] = BigInt(c)));
  const { plain, secure } = await runBoth(pair, ring, x, (E, v) => layerNorm(E, v, spikes.length, wide, ring, { degree: "low" }));
  spikes.forEach((_, r) => expect(Math.abs(ring.decode(plain[r * wide + (r % wide)]))).toBeLessThan(2 * Math.sqrt(wide)));
  expect(Array.from(secure)).toEqual(Array.from(plain));
});

it("checks shapes", async () => {
  await expect(layerNorm(new PlainFx(), new BigUint64Array(10), 2, 4, ring)).rejects.toThrow(/rows·d = 8/);
  await expect(layerNorm(new PlainFx(), new BigUint64Array(8), 2, 4, ring, { affine: { gamma: new BigUint64Array(3), beta: new BigUint64Array(4), shared: false } })).rejects.toThrow(/d = 4/);
});
