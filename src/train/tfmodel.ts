// BERT for sequence classification in TensorFlow.js, layer for layer the float reference of src/model/reference.ts
// (exact erf GELU, LayerNorm with the config's ε, tanh pooler on [CLS], importance score = column mean of the
// attention probabilities over heads and query rows), with CipherPrune's soft token masks for threshold learning.
//
// Pruning is expressed through two per-token weights instead of removing rows, so that it is differentiable:
//  - query weight q_i: how much row i counts in the score mean (all 1 in layer 0, as in the reference);
//  - key weight k_j = mask_j · q_j: attention probabilities are p_ij ∝ k_j·exp(s_ij).
// After layer l's attention, q ← q · M_θ with M_θ = σ((S − θ_l)/T) ([CLS] kept). With hard masks (M_θ = [S > θ_l])
// this is exactly the reference's row removal; the test checks it.
import { LOW } from "../nonlinear/gelu.js";
import type { BertConfig } from "../model/config.js";
import type { Tensor as NamedTensor } from "../model/safetensors.js";
import { weightsFromTensors, weightsToTensors, type BertWeights } from "../model/weights.js";
import { tf } from "./tf.js";

export type Params = Map<string, tf.Variable>;

export function paramsFromWeights(w: BertWeights): Params {
  const p: Params = new Map();
  for (const [name, t] of weightsToTensors(w)) p.set(name, tf.variable(tf.tensor(t.data, t.shape), true, name));
  return p;
}

export function weightsFromParams(config: BertConfig, p: Params): BertWeights {
  const tensors = new Map<string, NamedTensor>();
  for (const [name, v] of p) tensors.set(name, { shape: v.shape.slice(), data: Float32Array.from(v.dataSync() as Float32Array) });
  return weightsFromTensors(config, tensors, "trained parameters");
}

export interface Pruning {
  /** θ_l per layer, shape [layers]. */
  theta: tf.Tensor1D;
  /** β_l per layer, shape [layers]; only used with `lowDegree`. */
  beta?: tf.Tensor1D;
  /** Soft-mask temperature T; ignored with `hard`. */
  temperature: number;
  /** Hard masks [S > θ]: the inference-time behaviour. */
  hard?: boolean;
  /** Mixes the low-degree GELU into the FFN by the soft mask (1 − M_β): the approximation the private run applies. */
  lowDegree?: boolean;
}

export interface TfForward {
  logits: tf.Tensor2D;
  /** Per layer: importance scores S [B, n]. */
  scores: tf.Tensor2D[];
  /** Per layer: M_θ [B, n] ([CLS] = 1); empty without pruning. */
  keep: tf.Tensor2D[];
  /** Per layer: M_β [B, n]; empty unless `lowDegree`. */
  highDegree: tf.Tensor2D[];
}

/**
 * Embedding lookup whose gradient is a ScatterNd (duplicate ids summed): tfjs's own gather gradient needs
 * UnsortedSegmentSum, which the WASM backend lacks.
 */
function embedLookup(table: tf.Variable, ids: tf.Tensor2D): tf.Tensor {
  const [V, d] = table.shape as [number, number];
  const flat = ids.reshape([-1, 1]);
  const lookup = tf.customGrad((t) => ({
    value: tf.gather(t as tf.Tensor2D, ids),
    gradFunc: (dy: tf.Tensor) => tf.scatterND(flat, dy.reshape([-1, d]), [V, d]),
  }));
  return lookup(table);
}

/**
 * x·Wᵀ + b on 2-D x, with gradients from untransposed products only: the WASM backend's matMul is several times
 * slower with a transpose flag than after an explicit transpose.
 */
export const dense = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, tf.transpose(w)), b),
    gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor2D[]) => [tf.matMul(dy, ws), tf.matMul(tf.transpose(dy), xs), tf.sum(dy, 0)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/**
 * exp(s − max_row s) with the max held constant in the gradient: the shift cancels in the normalisation, and the
 * backend's gradient of max is slow.
 */
export const expShifted = tf.customGrad(((s: tf.Tensor, save: tf.GradSaveFunc) => {
  const e = tf.exp(tf.sub(s, tf.max(s, -1, true)));
  save([e]);
  return { value: e, gradFunc: (dy: tf.Tensor, [es]: tf.Tensor[]) => tf.mul(dy, es) };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

function linear(P: Params, name: string, x: tf.Tensor): tf.Tensor {
  const w = P.get(`${name}.weight`)!;
  const lead = x.shape.slice(0, -1);
  return dense(x.reshape([-1, w.shape[1]!]), w, P.get(`${name}.bias`)!).reshape([...lead, w.shape[0]!]);
}

function layerNorm(P: Params, name: string, x: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  const y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(y, P.get(`${name}.weight`)!), P.get(`${name}.bias`)!);
}

/** Exact GELU, x·Φ(x) with erf (tfjs's erf agrees with the reference's to float precision). */
export function geluTf(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

/** The low-degree GELU of src/nonlinear/gelu.ts in float: ReLU(x) + c0 + c1·|x| + c2·x² on |x| < cut. */
export function geluLowTf(x: tf.Tensor): tf.Tensor {
  const y = tf.abs(x);
  const q = tf.add(tf.add(LOW.c0, tf.mul(LOW.c1, y)), tf.mul(LOW.c2, tf.square(y)));
  // step(cut − |x|) is the indicator |x| < cut with a zero gradient (tfjs has no gradient for comparisons).
  return tf.add(tf.relu(x), tf.mul(tf.step(tf.sub(LOW.cut, y)), q));
}

/** Soft or hard keep mask of one layer, with [CLS] (column 0) always kept. */
export function keepMask(S: tf.Tensor2D, threshold: tf.Scalar | tf.Tensor, temperature: number, hard: boolean): tf.Tensor2D {
  const m = hard ? tf.cast(tf.greater(S, threshold), "float32") : tf.sigmoid(tf.div(tf.sub(S, threshold), temperature));
  const cls = tf.oneHot(tf.zeros([S.shape[0]], "int32"), S.shape[1]).cast("float32");
  return tf.add(tf.mul(m, tf.sub(1, cls)), cls) as tf.Tensor2D;
}

/** Training-time dropout, as in BERT: on the embeddings, the attention probabilities, both sublayer outputs and the pooled vector. */
export interface Dropout {
  rate: number;
  /** Seed of this forward pass (change it every step); each dropout site derives its own from it. */
  seed: number;
}

/** Forward pass on a batch: ids [B, n] int32, mask [B, n] (1 = real token). */
export function forwardTf(P: Params, c: BertConfig, ids: tf.Tensor2D, mask: tf.Tensor2D, pruning?: Pruning, dropout?: Dropout): TfForward {
  if (dropout && !(dropout.rate >= 0 && dropout.rate < 1)) throw new RangeError(`dropout.rate must lie in [0, 1), got ${dropout.rate}`);
  let site = 0;
  const drop = <T extends tf.Tensor>(t: T): T => (dropout && dropout.rate > 0 ? (tf.dropout(t, dropout.rate, undefined, dropout.seed * 64 + site++) as T) : t);
  const [B, n] = ids.shape;
  const d = c.hidden;
  const H = c.heads;
  const dh = d / H;
  const eps = c.layerNormEps;
  const pos = tf.slice(P.get("bert.embeddings.position_embeddings.weight")!, [0, 0], [n, d]);
  const type0 = tf.slice(P.get("bert.embeddings.token_type_embeddings.weight")!, [0, 0], [1, d]);
  let x = tf.add(tf.add(embedLookup(P.get("bert.embeddings.word_embeddings.weight")!, ids), pos), type0);
  x = drop(layerNorm(P, "bert.embeddings.LayerNorm", x, eps));
  const realTokens = tf.cast(mask, "float32") as tf.Tensor2D;
  let queryW = tf.onesLike(realTokens) as tf.Tensor2D;
  const out: TfForward = { logits: undefined as unknown as tf.Tensor2D, scores: [], keep: [], highDegree: [] };
  const heads = (t: tf.Tensor) => t.reshape([B, n, H, dh]).transpose([0, 2, 1, 3]);
  for (let l = 0; l < c.layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const q = heads(linear(P, `${p}.attention.self.query`, x));
    const k = heads(linear(P, `${p}.attention.self.key`, x));
    const v = heads(linear(P, `${p}.attention.self.value`, x));
    const keyW = tf.mul(realTokens, queryW).reshape([B, 1, 1, n]);
    const s = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh));
    // Row max over present keys only (absent keys pushed down by 1e9), for a stable exponent.
    const sMasked = tf.add(s, tf.mul(tf.sub(tf.step(keyW), 1), 1e9));
    const e = tf.mul(expShifted(sMasked), keyW);
    const probs = tf.div(e, tf.sum(e, -1, true));
    const colSum = tf.matMul(queryW.reshape([B, 1, 1, n]).tile([1, H, 1, 1]), probs).sum(1).reshape([B, n]);
    const S = tf.div(colSum, tf.mul(tf.sum(queryW, -1, true), H)) as tf.Tensor2D;
    out.scores.push(S);
    const ctx = tf.matMul(drop(probs), v).transpose([0, 2, 1, 3]).reshape([B, n, d]);
    x = layerNorm(P, `${p}.attention.output.LayerNorm`, tf.add(drop(linear(P, `${p}.attention.output.dense`, ctx)), x), eps);
    const h = linear(P, `${p}.intermediate.dense`, x);
    let g = geluTf(h);
    if (pruning) {
      const mTheta = keepMask(S, pruning.theta.slice([l], [1]), pruning.temperature, pruning.hard ?? false);
      out.keep.push(mTheta);
      queryW = tf.mul(queryW, mTheta) as tf.Tensor2D;
      if (pruning.lowDegree) {
        if (!pruning.beta) throw new TypeError("pruning.beta is required with lowDegree");
        const mBeta = tf.sigmoid(tf.div(tf.sub(S, pruning.beta.slice([l], [1])), pruning.temperature)) as tf.Tensor2D;
        out.highDegree.push(mBeta);
        const w = mBeta.reshape([B, n, 1]);
        g = tf.add(tf.mul(w, g), tf.mul(tf.sub(1, w), geluLowTf(h)));
      }
    }
    x = layerNorm(P, `${p}.output.LayerNorm`, tf.add(drop(linear(P, `${p}.output.dense`, g)), x), eps);
  }
  const cls = tf.slice(x, [0, 0, 0], [B, 1, d]).reshape([B, d]);
  const pooled = tf.tanh(linear(P, "bert.pooler.dense", cls));
  out.logits = linear(P, "classifier", drop(pooled)) as tf.Tensor2D;
  return out;
}
