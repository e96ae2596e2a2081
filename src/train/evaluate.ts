// Test-split evaluation of a model directory. `float` comes from the project's float reference
// (src/model/reference.ts); `fixed` and `pruned` from the fixed-point twin of the private run (src/model/fixed.ts,
// the session ring), `pruned` with the model's thresholds: hard pruning at θ and the low-degree GELU for kept tokens
// with score ≤ β, exactly what the private run computes; kept tokens and the low-degree share come from that run too.
// Without the fixed-point twin (fixedPoint: false), `pruned` is the float reference with hard pruning at θ, and the
// low-degree share comes from the hard-mask TensorFlow.js twin, which equals the reference's pruning (tested).
import { fixedForward } from "../model/fixed.js";
import type { LayerTokens } from "../model/forward.js";
import { quantize, RING } from "../model/quantize.js";
import { forward } from "../model/reference.js";
import type { Model } from "../model/directory.js";
import type { Example } from "./corpus.js";
import { encodeExamples } from "./dataset.js";
import { tf } from "./tf.js";
import { forwardTf, paramsFromWeights } from "./tfmodel.js";
import { batchTensors } from "./train.js";

export interface EvalReport {
  accuracy: { float: number; fixed: number | null; pruned: number | null };
  /** Mean tokens left after each layer's pruning (of `maxLength` positions, padding included). */
  keptPerLayer: number[];
  /** Of the kept token-layer positions, the share with score ≤ β_l (the low-degree path; [CLS] is always high). */
  lowDegreeShare: number | null;
  /** Share of the token-layer positions (maxLength per layer, after the layer's pruning) that were pruned. */
  prunedShare: number | null;
  /** Mean real tokens per input ([CLS], [SEP] included). */
  realTokens: number;
  examples: number;
  maxLength: number;
}

const argmax = (v: Float64Array) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);

export interface EvalOptions {
  /** Also run the fixed-point twin (about half a second per 128-token input for the bundled model). */
  fixedPoint?: boolean;
  progress?: (done: number) => void;
}

export async function evaluateModel(model: Model, examples: readonly Example[], maxLength: number, opts: EvalOptions = {}): Promise<EvalReport> {
  const { fixedPoint = true, progress = () => {} } = opts;
  const fixed = fixedPoint ? quantize(model.weights, RING) : undefined;
  let fixedOk = 0;
  const data = encodeExamples(model.tokenizer, examples, maxLength);
  const L = model.config.layers;
  const th = model.thresholds;
  let floatOk = 0;
  let prunedOk = 0;
  let real = 0;
  const kept = new Array<number>(L).fill(0);
  let lowFixed = 0;
  for (let i = 0; i < data.count; i++) {
    const ids = data.ids.subarray(i * maxLength, (i + 1) * maxLength);
    const mask = data.mask.subarray(i * maxLength, (i + 1) * maxLength);
    real += mask.reduce((a, b) => a + b, 0);
    if (argmax(forward(model.weights, ids, mask).logits) === data.labels[i]) floatOk++;
    if (fixed && argmax(await fixedForward(model.weights, RING, ids, mask, { fixed })) === data.labels[i]) fixedOk++;
    if (th && fixed) {
      const tokens: LayerTokens[] = [];
      const logits = await fixedForward(model.weights, RING, ids, mask, { fixed, thresholds: th, onLayer: (_, __, t) => tokens.push(t) });
      if (argmax(logits) === data.labels[i]) prunedOk++;
      tokens.forEach((t, l) => {
        kept[l] += t.kept;
        lowFixed += t.low;
      });
    } else if (th) {
      const r = forward(model.weights, ids, mask, { thresholds: th.theta });
      if (argmax(r.logits) === data.labels[i]) prunedOk++;
      for (let l = 0; l < L; l++) kept[l] += r.tokensPerLayer[l + 1];
    }
    progress(i + 1);
  }
  const n = data.count;
  let lowDegreeShare: number | null = null;
  if (th && fixed) lowDegreeShare = lowFixed / Math.max(1, kept.reduce((a, k) => a + k, 0));
  else if (th) {
    // Score of every kept token at each layer, from the hard-mask twin: low degree iff S ≤ β_l.
    let low = 0;
    let all = 0;
    const P = paramsFromWeights(model.weights);
    for (let s = 0; s < n; s += 64) {
      const b = Math.min(64, n - s);
      const [lo, al] = tf.tidy(() => {
        const { ids, mask } = batchTensors(data, s, b);
        const f = forwardTf(P, model.config, ids, mask, { theta: tf.tensor1d(th.theta), temperature: 1, hard: true });
        let keptBefore: tf.Tensor = tf.onesLike(mask);
        let lowN: tf.Tensor = tf.scalar(0);
        let allN: tf.Tensor = tf.scalar(0);
        f.keep.forEach((k, l) => {
          const keptNow = tf.mul(keptBefore, k);
          lowN = tf.add(lowN, tf.sum(tf.mul(keptNow, tf.cast(tf.lessEqual(f.scores[l], th.beta[l]), "float32"))));
          allN = tf.add(allN, tf.sum(keptNow));
          keptBefore = keptNow;
        });
        return [lowN.dataSync()[0], allN.dataSync()[0]];
      });
      low += lo;
      all += al;
    }
    for (const v of P.values()) v.dispose();
    lowDegreeShare = all ? low / all : 0;
  }
  return {
    accuracy: { float: floatOk / n, fixed: fixed ? fixedOk / n : null, pruned: th ? prunedOk / n : null },
    keptPerLayer: th ? kept.map((k) => k / n) : [],
    lowDegreeShare,
    prunedShare: th ? 1 - kept.reduce((a, k) => a + k, 0) / (n * L * maxLength) : null,
    realTokens: real / n,
    examples: n,
    maxLength,
  };
}
