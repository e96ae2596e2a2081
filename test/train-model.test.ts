import { beforeAll, describe, expect, it } from "vitest";
import type { BertConfig } from "../src/model/config.js";
import { loadModel, saveModel } from "../src/model/directory.js";
import { forward } from "../src/model/reference.js";
import { WordPieceTokenizer } from "../src/model/tokenizer.js";
import { randomWeights, type BertWeights } from "../src/model/weights.js";
import { maskNorm, pruningLoss } from "../src/train/loss.js";
import { initTf, tf } from "../src/train/tf.js";
import { forwardTf, geluLowTf, geluTf, keepMask, paramsFromWeights, weightsFromParams } from "../src/train/tfmodel.js";
import { geluApprox, geluFloat } from "../src/nonlinear/gelu.js";

const sigma = (x: number) => 1 / (1 + Math.exp(-x));

beforeAll(async () => {
  await initTf("wasm");
});

describe("soft masks and the pruning loss", () => {
  it("equal a hand computation on a toy batch", () => {
    // One input of 4 positions: [CLS], two real tokens, one padding position; two layers.
    const S0 = [0.5, 0.01, 0.03, 0];
    const S1 = [0.4, 0.02, 0.05, 0];
    const T = 0.01;
    const theta = [0.015, 0.03];
    const beta = [0.02, 0.04];
    const mask = tf.tensor2d([[1, 1, 1, 0]]);
    const keep = [S0, S1].map((S, l) => keepMask(tf.tensor2d([S]), tf.scalar(theta[l]), T, false));
    const high = [S0, S1].map((S, l) => tf.sigmoid(tf.div(tf.sub(tf.tensor2d([S]), beta[l]), T)) as tf.Tensor2D);
    const k0 = [1, sigma(-0.5), sigma(1.5), sigma(-1.5)];
    expect(Array.from(keep[0].dataSync())).toEqual(k0.map((v) => expect.closeTo(v, 6)));
    const pruneHand = ((sigma(-0.5) + sigma(1.5)) / 2 + (sigma(-1) + sigma(2)) / 2) / 2;
    const approxHand = ((sigma(-1) + sigma(1)) / 2 + (sigma(-2) + sigma(1)) / 2) / 2;
    expect(maskNorm(keep, mask).dataSync()[0]).toBeCloseTo(pruneHand, 6);
    const w = { lambda: 0.5, alpha: 0.2 };
    const parts = pruningLoss(tf.tensor2d([[2, 0]]), tf.tensor1d([0]), keep, high, mask, w);
    const task = Math.log(1 + Math.exp(-2));
    expect(parts.task.dataSync()[0]).toBeCloseTo(task, 6);
    expect(parts.approx.dataSync()[0]).toBeCloseTo(approxHand, 6);
    expect(parts.total.dataSync()[0]).toBeCloseTo(task + w.lambda * (pruneHand + w.alpha * approxHand), 6);
    // Hard masks are the indicator S > θ, [CLS] always kept.
    expect(Array.from(keepMask(tf.tensor2d([[0, 0.01, 0.03, 0]]), tf.scalar(0.02), T, true).dataSync())).toEqual([1, 0, 1, 0]);
    expect(maskNorm([], mask).dataSync()[0]).toBe(0);
  });

  it("GELU forms match the float functions of src/nonlinear", () => {
    const xs = [-4, -2.3, -2.2, -1, -0.5, 0, 0.3, 1, 2.19, 2.5, 5];
    const exact = geluTf(tf.tensor1d(xs)).dataSync();
    const low = geluLowTf(tf.tensor1d(xs)).dataSync();
    xs.forEach((x, i) => {
      expect(exact[i]).toBeCloseTo(geluFloat(x), 5);
      expect(low[i]).toBeCloseTo(geluApprox(x, "low"), 5);
    });
  });
});

/** A small model with weights large enough that every layer matters (σ = 0.3 instead of BERT's 0.02). */
function testModel(): BertWeights {
  const c: BertConfig = { layers: 2, hidden: 16, heads: 2, intermediate: 64, vocabSize: 40, maxPositions: 24, typeVocabSize: 2, labels: 2, layerNormEps: 1e-12 };
  const w = randomWeights(c, 11);
  const scale = (a: Float32Array) => a.forEach((v, i) => (a[i] = v * 15));
  [w.wordEmbeddings, w.positionEmbeddings, w.pooler.weight, w.classifier.weight].forEach(scale);
  for (const L of w.layers) [L.query, L.key, L.value, L.attnOut, L.ffnIn, L.ffnOut].forEach((l) => (scale(l.weight), scale(l.bias.fill(0.01))));
  return w;
}

function batch(n: number, lengths: number[]) {
  const ids = new Int32Array(lengths.length * n);
  const mask = new Uint8Array(lengths.length * n);
  lengths.forEach((len, b) => {
    for (let t = 0; t < n; t++) {
      ids[b * n + t] = t < len ? (7 * t + 3 * b + 1) % 40 : 0;
      mask[b * n + t] = t < len ? 1 : 0;
    }
  });
  return { ids, mask };
}

describe("TensorFlow.js twin of the float reference", () => {
  const w = testModel();
  const n = 24;
  const lengths = [24, 13, 2];
  const { ids, mask } = batch(n, lengths);

  it("gives the reference's logits, without and with hard pruning", () => {
    const P = paramsFromWeights(w);
    const idsT = tf.tensor2d(ids, [3, n], "int32");
    const maskT = tf.tensor2d(mask, [3, n], "float32");
    const plain = forwardTf(P, w.config, idsT, maskT);
    const logits = plain.logits.arraySync();
    // Thresholds between scores (never on one): the uniform score 1/n shifted off any observed value.
    const scores0 = plain.scores[0].arraySync().flat();
    let th = 1 / n;
    while (scores0.some((s) => Math.abs(s - th) < 1e-4)) th *= 1.01;
    const theta = [th, th * 1.2];
    const hard = forwardTf(P, w.config, idsT, maskT, { theta: tf.tensor1d(theta), temperature: 1, hard: true });
    const prunedLogits = hard.logits.arraySync();
    let prunedSome = false;
    lengths.forEach((_, b) => {
      const row = ids.subarray(b * n, (b + 1) * n);
      const m = mask.subarray(b * n, (b + 1) * n);
      const ref = forward(w, row, m);
      expect(Math.abs(ref.logits[0])).toBeGreaterThan(0.05);
      ref.logits.forEach((v, j) => expect(logits[b][j]).toBeCloseTo(v, 3));
      const refP = forward(w, row, m, { thresholds: theta });
      refP.logits.forEach((v, j) => expect(prunedLogits[b][j]).toBeCloseTo(v, 3));
      // Tokens kept after layer l: the running product of the hard masks.
      let kept = new Array<number>(n).fill(1);
      hard.keep.forEach((k, l) => {
        const kl = k.arraySync()[b];
        kept = kept.map((v, j) => v * kl[j]);
        expect(kept.reduce((a, v) => a + v, 0)).toBe(refP.tokensPerLayer[l + 1]);
      });
      if (refP.tokensPerLayer[2] < n) prunedSome = true;
    });
    expect(prunedSome).toBe(true);
    for (const v of P.values()) v.dispose();
  });

  it("drops out only when asked: rate 0 is the plain pass, a seed gives the same pass again", () => {
    const P = paramsFromWeights(w);
    const idsT = tf.tensor2d(ids, [3, n], "int32");
    const maskT = tf.tensor2d(mask, [3, n], "float32");
    const logits = (d?: { rate: number; seed: number }) => Array.from(forwardTf(P, w.config, idsT, maskT, undefined, d).logits.dataSync());
    const plain = logits();
    expect(logits({ rate: 0, seed: 5 })).toEqual(plain);
    const a = logits({ rate: 0.5, seed: 5 });
    expect(logits({ rate: 0.5, seed: 5 })).toEqual(a);
    expect(a).not.toEqual(plain);
    expect(logits({ rate: 0.5, seed: 6 })).not.toEqual(a);
    expect(() => logits({ rate: 1, seed: 5 })).toThrow(/dropout.rate/);
    for (const v of P.values()) v.dispose();
  });

  it("exports weights that reload from a model directory with identical logits", async () => {
    const P = paramsFromWeights(w);
    const exported = weightsFromParams(w.config, P);
    const vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", ...Array.from({ length: 36 }, (_, i) => `t${i}`)];
    const files = new Map<string, Uint8Array>();
    const thresholds = { theta: [0.01, 0.02], beta: [0.03, 0.04] };
    await saveModel(async (name, data) => void files.set(name, data), { config: w.config, weights: exported, tokenizer: new WordPieceTokenizer(new Map(vocab.map((t, i) => [t, i]))), thresholds });
    const back = await loadModel(async (name) => files.get(name));
    expect(back.thresholds).toEqual(thresholds);
    expect(back.config).toEqual(w.config);
    const row = ids.subarray(0, n);
    const m = mask.subarray(0, n);
    expect(Array.from(forward(back.weights, row, m).logits)).toEqual(Array.from(forward(w, row, m).logits));
    for (const v of P.values()) v.dispose();
  });
});
