import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { PlainFx, SecureFx } from "../src/nonlinear/engine.js";
import { paddingMask, softmax, softmaxApprox, softmaxFloat } from "../src/nonlinear/softmax.js";
import { makePair, share, open, type Pair } from "./mpc-util.js";
import { fixed } from "./nonlinear-util.js";
import { randomBytes } from "./bytes.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
});

const ring = new Ring(37, 12);
const cols = 13;
const rowsOf = (): { rows: number[][]; mask: number[] } => {
  const rnd = (scale: number) => Array.from({ length: cols }, () => (Math.random() - 0.5) * scale);
  return {
    rows: [rnd(8), rnd(2), new Array(cols).fill(1.5), [40, ...new Array(cols - 1).fill(-3)], rnd(30), rnd(8)],
    mask: [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0],
  };
};

describe.each(["high", "low"] as const)("softmax, %s degree", (degree) => {
  const bound = degree === "high" ? 0.001 : 0.03;

  it("the twin stays close to softmax on random, all-equal and one-huge rows, masked and not", async () => {
    const { rows: raw, mask } = rowsOf();
    // The functions see the inputs rounded to the scale; compare against those.
    const rows = raw.map((r) => Array.from(ring.decodeArray(fixed(r, ring))));
    for (const m of [undefined, mask]) {
      const x = fixed(rows.flat(), ring);
      const out = await softmax(new PlainFx(), x, rows.length, cols, ring, { degree, mask: m && paddingMask(m, rows.length, ring) });
      rows.forEach((row, r) => {
        const want = softmaxFloat(row, m);
        const approx = softmaxApprox(row, degree, m);
        row.forEach((_, c) => {
          const got = ring.decode(out[r * cols + c]);
          expect(Math.abs(got - want[c]), `row ${r} col ${c}`).toBeLessThan(bound);
          // The low form's reciprocal is a piecewise-constant seed (steps up to 1.6% of 1/S); twin and float form can
          // sit on either side of a step.
          const step = degree === "low" ? 0.016 * approx[c] : 0;
          expect(Math.abs(got - approx[c]), `row ${r} col ${c}`).toBeLessThan(8 / 4096 + step);
        });
      });
    }
  });

  it("rows of 128 keys, as attention has them: the row sums carry no rounding bias", async () => {
    // Flooring each e^x would bias a row sum by up to half an ulp per key (3.6e-3 per probability here, high degree);
    // tables rounded at scale 12 drifted sums of 128 keys by up to ~3e-3 in 384 such rows.
    const n = 128;
    const rowCount = 384;
    const bytes = randomBytes(8 * rowCount * n, 128);
    const uniform = (i: number) => (new DataView(bytes.buffer).getUint32(4 * i, true) + 0.5) / 2 ** 32;
    const normal = (i: number) => Math.sqrt(-2 * Math.log(uniform(2 * i))) * Math.cos(2 * Math.PI * uniform(2 * i + 1));
    const x = fixed(Array.from({ length: rowCount * n }, (_, i) => 2 * normal(i)), ring);
    const out = await softmax(new PlainFx(), x, rowCount, n, ring, { degree });
    const rows = Array.from(ring.decodeArray(x));
    for (let r = 0; r < rowCount; r++) {
      const want = softmaxFloat(rows.slice(r * n, (r + 1) * n));
      want.forEach((p, c) => expect(Math.abs(ring.decode(out[r * n + c]) - p), `row ${r} col ${c}`).toBeLessThan(bound));
    }
  });

  it("a fully masked row gives uniform probabilities", async () => {
    const x = fixed(new Array(cols).fill(0).map((_, i) => i / 4), ring);
    const out = await softmax(new PlainFx(), x, 1, cols, ring, { degree, mask: paddingMask(new Array(cols).fill(0), 1, ring) });
    const got = Array.from(ring.decodeArray(out));
    const mean = got.reduce((a, b) => a + b, 0) / cols;
    expect(Math.abs(mean - 1 / cols)).toBeLessThan(bound);
  });

  it("the protocol equals the twin exactly, with a shared padding mask", async () => {
    const { rows, mask } = rowsOf();
    const n = rows.length;
    const x = fixed(rows.flat(), ring);
    const pen = paddingMask(mask, n, ring);
    const plain = await softmax(new PlainFx(), x, n, cols, ring, { degree, mask: pen });
    const [xs, xc] = share(x, ring);
    const [ms, mc] = share(pen, ring);
    const got = await pair.both((p) => softmax(new SecureFx(p), p.isServer ? xs : xc, n, cols, ring, { degree, mask: p.isServer ? ms : mc }));
    expect(Array.from(open(got, ring))).toEqual(Array.from(plain));
  });
});

it("mixed degrees: each flagged row as the low form gives it, the others as the high form; the protocol equals the twin", async () => {
  const { rows, mask } = rowsOf();
  const n = rows.length;
  const x = fixed(rows.flat(), ring);
  const pen = paddingMask(mask, n, ring);
  const lowRows = Uint8Array.from([0, 1, 1, 0, 1, 0]);
  const plain = await softmax(new PlainFx(), x, n, cols, ring, { mask: pen, lowRows });
  for (const degree of ["high", "low"] as const) {
    const pure = await softmax(new PlainFx(), x, n, cols, ring, { degree, mask: pen });
    for (let r = 0; r < n; r++) {
      if ((lowRows[r] === 1) === (degree === "low")) expect(plain.subarray(r * cols, (r + 1) * cols), `row ${r}`).toEqual(pure.subarray(r * cols, (r + 1) * cols));
    }
  }
  const [xs, xc] = share(x, ring);
  const [ms, mc] = share(pen, ring);
  const got = await pair.both((p) => softmax(new SecureFx(p), p.isServer ? xs : xc, n, cols, ring, { mask: p.isServer ? ms : mc, lowRows }));
  expect(Array.from(open(got, ring))).toEqual(Array.from(plain));
});

it("rejects shapes that do not match", async () => {
  await expect(softmax(new PlainFx(), new BigUint64Array(5), 2, 3, ring)).rejects.toThrow(/rows·cols = 6/);
  await expect(softmax(new PlainFx(), new BigUint64Array(6), 2, 3, ring, { lowRows: new Uint8Array(3) })).rejects.toThrow(/lowRows must be 2 flags/);
  await expect(softmax(new PlainFx(), new BigUint64Array(6), 2, 3, ring, { lowRows: Uint8Array.from([0, 2]) })).rejects.toThrow(/lowRows/);
});
