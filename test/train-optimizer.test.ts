import { beforeAll, describe, expect, it } from "vitest";
import { AdamW, warmupLinearDecay } from "../src/train/optimizer.js";
import { initTf, tf } from "../src/train/tf.js";
import { dense, expShifted } from "../src/train/tfmodel.js";

beforeAll(async () => {
  await initTf("wasm");
});

/** AdamW in doubles, the textbook form: bias-corrected moments, decay x·(1 − lr·wd) on matrices. */
function adamwReference(x0: number[], grads: number[][], lrs: number[], wd: number, decays: boolean) {
  const [b1, b2, eps] = [0.9, 0.999, 1e-7];
  const x = x0.slice();
  const m = x.map(() => 0);
  const v = x.map(() => 0);
  grads.forEach((g, s) => {
    const t = s + 1;
    const step = (lrs[s] * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    x.forEach((xi, i) => {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      x[i] = (decays ? xi * (1 - lrs[s] * wd) : xi) - (step * m[i]) / (Math.sqrt(v[i]) + eps);
    });
  });
  return x;
}

describe("AdamW", () => {
  it("matches the update in doubles, decaying matrices but not vectors", () => {
    const w0 = [0.5, -1, 2, 0];
    const b0 = [1, -0.25];
    const w = tf.variable(tf.tensor2d(w0, [2, 2]), true, "opt.w");
    const b = tf.variable(tf.tensor1d(b0), true, "opt.b");
    const opt = new AdamW([w, b], { weightDecay: 0.1 });
    const gw = [[0.1, -0.2, 0, 3], [-0.5, 0.5, 1e-3, -2], [0.2, 0.2, -0.2, 1]];
    const gb = [[1, 0], [-1, 2], [0.5, 0.5]];
    const lrs = [0.01, 0.05, 0.02];
    gw.forEach((g, s) => opt.step({ "opt.w": tf.tensor2d(g, [2, 2]), "opt.b": tf.tensor1d(gb[s]) }, lrs[s]));
    const ew = adamwReference(w0, gw, lrs, 0.1, true);
    const eb = adamwReference(b0, gb, lrs, 0.1, false);
    expect(Array.from(w.dataSync())).toEqual(ew.map((e) => expect.closeTo(e, 5)));
    expect(Array.from(b.dataSync())).toEqual(eb.map((e) => expect.closeTo(e, 5)));
    // A variable without a gradient stays put; bad rates are refused.
    const before = Array.from(b.dataSync());
    opt.step({ "opt.w": tf.tensor2d(gw[0], [2, 2]) }, 0.01);
    expect(Array.from(b.dataSync())).toEqual(before);
    expect(() => opt.step({}, -1)).toThrow(RangeError);
    expect(() => new AdamW([w], { weightDecay: -0.1 })).toThrow(/weightDecay/);
    opt.dispose();
    w.dispose();
    b.dispose();
  });
});

describe("learning-rate schedule", () => {
  it("warms up linearly, then decays linearly to the floor at the last step", () => {
    const total = 2 ** 4 + 101;
    expect(warmupLinearDecay(0, total, 1e-3, 10)).toBeCloseTo(1e-4, 15);
    expect(warmupLinearDecay(9, total, 1e-3, 10)).toBeCloseTo(1e-3, 15);
    expect(warmupLinearDecay(10, total, 1e-3, 10)).toBeCloseTo(1e-3, 15);
    expect(warmupLinearDecay(total - 1, total, 1e-3, 10)).toBe(0);
    expect(warmupLinearDecay(total - 1, total, 1e-3, 10, 0.1)).toBeCloseTo(1e-4, 15);
    const mid = 10 + (total - 11) / 2;
    expect(warmupLinearDecay(mid, total, 1e-3, 10)).toBeCloseTo(5e-4, 15);
    expect(warmupLinearDecay(0, 1, 2, 0)).toBe(2);
    expect(() => warmupLinearDecay(0, 0, 1, 0)).toThrow(/total/);
  });
});

describe("custom gradients of the TensorFlow.js twin", () => {
  it("dense and the shifted exponential give the plain forms' values and gradients", () => {
    const x = tf.randomNormal([37, 8], 0, 1, "float32", 1) as tf.Tensor2D;
    const w = tf.randomNormal([5, 8], 0, 1, "float32", 2) as tf.Tensor2D;
    const b = tf.randomNormal([5], 0, 1, "float32", 3) as tf.Tensor1D;
    const r = tf.randomNormal([37, 5], 0, 1, "float32", 4);
    const close = (a: tf.Tensor, e: tf.Tensor) => expect(Array.from(a.dataSync())).toEqual(Array.from(e.dataSync(), (v) => expect.closeTo(v, 4)));
    const viaDense = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(tf.tanh(dense(xx, ww, bb)), r));
    const plain = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(tf.tanh(tf.add(tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D, false, true), bb)), r));
    close(viaDense(x, w, b), plain(x, w, b));
    tf.grads(viaDense)([x, w, b]).forEach((g, i) => close(g, tf.grads(plain)([x, w, b])[i]));
    // Rows with a large shift and an absent key (−1e9): the normalised form and its gradient are unchanged.
    const s = tf.tensor2d([[3, -1, 0.5, 40], [1e-3, 0, -1e9, 2], [-50, -49, -48, -47]]);
    const weights = tf.tensor2d([[1, 0.2, 3, -1], [0.5, 0.5, 0.5, 0.5], [2, -2, 1, 0]]);
    const norm = (e: tf.Tensor) => tf.sum(tf.mul(tf.div(e, tf.sum(e, -1, true)), weights));
    const viaShift = (t: tf.Tensor) => norm(expShifted(t));
    const plainExp = (t: tf.Tensor) => norm(tf.exp(tf.sub(t, tf.max(t, -1, true))));
    close(viaShift(s), plainExp(s));
    close(tf.grad(viaShift)(s), tf.grad(plainExp)(s));
  });
});
