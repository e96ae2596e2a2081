// The float BERT forward pass, in float64, following Hugging Face's BertForSequenceClassification layer by layer
// (exact erf GELU, LayerNorm with ε, tanh pooler on [CLS]). Optional threshold pruning mirrors what the private
// run does: after a layer's attention, tokens whose importance score is not above θ_l are dropped ([CLS] stays).
import type { BertWeights, EmbeddingWeights, LayerNormWeights, Linear } from "./weights.js";
import { geluFloat } from "../nonlinear/gelu.js";

export interface ForwardOptions {
  /** Per-layer pruning thresholds θ_l on the importance score; omitted = no pruning. */
  thresholds?: number[];
  /** Token type ids; all zero if omitted. */
  typeIds?: Int32Array;
}

export interface ForwardResult {
  logits: Float64Array;
  /** Tokens entering each layer, and after the last pruning. */
  tokensPerLayer: number[];
}

/** y[r] = x[r] · Wᵀ + b for `rows` rows of width l.inDim. */
export function linear(x: Float64Array, rows: number, l: Linear): Float64Array {
  const { inDim, outDim, weight, bias } = l;
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let s = bias[o];
      const w = o * inDim;
      const xr = r * inDim;
      for (let i = 0; i < inDim; i++) s += x[xr + i] * weight[w + i];
      y[r * outDim + o] = s;
    }
  }
  return y;
}

export function layerNorm(x: Float64Array, rows: number, width: number, n: LayerNormWeights, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let mean = 0;
    for (let i = 0; i < width; i++) mean += x[o + i];
    mean /= width;
    let v = 0;
    for (let i = 0; i < width; i++) v += (x[o + i] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / width + eps);
    for (let i = 0; i < width; i++) y[o + i] = (x[o + i] - mean) * inv * n.gamma[i] + n.beta[i];
  }
  return y;
}

/** Word + position + type embeddings and their LayerNorm: the part the client computes in the clear. */
export function embed(w: EmbeddingWeights, ids: Int32Array, typeIds?: Int32Array): Float64Array {
  const { hidden: d, vocabSize, maxPositions, typeVocabSize, layerNormEps } = w.config;
  const n = ids.length;
  if (n > maxPositions) throw new RangeError(`input has ${n} tokens, the model's maximum is ${maxPositions}`);
  const x = new Float64Array(n * d);
  for (let t = 0; t < n; t++) {
    const id = ids[t];
    const type = typeIds ? typeIds[t] : 0;
    if (id < 0 || id >= vocabSize) throw new RangeError(`token id ${id} at position ${t} is outside the vocabulary (${vocabSize})`);
    if (type < 0 || type >= typeVocabSize) throw new RangeError(`token type ${type} at position ${t} is outside [0, ${typeVocabSize})`);
    for (let i = 0; i < d; i++) {
      x[t * d + i] = w.wordEmbeddings[id * d + i] + w.positionEmbeddings[t * d + i] + w.typeEmbeddings[type * d + i];
    }
  }
  return layerNorm(x, n, d, w.embedNorm, layerNormEps);
}

/**
 * Attention probabilities of every head for n tokens: [heads][query][key], masked keys get probability 0.
 * Returns the context rows (n × d) and the importance score of each token (column mean over heads and queries).
 */
function attention(q: Float64Array, k: Float64Array, v: Float64Array, n: number, d: number, heads: number, keyMask: Uint8Array) {
  const dh = d / heads;
  const scale = 1 / Math.sqrt(dh);
  const ctx = new Float64Array(n * d);
  const score = new Float64Array(n);
  const p = new Float64Array(n);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let j = 0; j < n; j++) {
        if (!keyMask[j]) continue;
        let s = 0;
        for (let c = 0; c < dh; c++) s += q[i * d + h * dh + c] * k[j * d + h * dh + c];
        p[j] = s * scale;
        if (p[j] > max) max = p[j];
      }
      let sum = 0;
      for (let j = 0; j < n; j++) {
        p[j] = keyMask[j] ? Math.exp(p[j] - max) : 0;
        sum += p[j];
      }
      for (let j = 0; j < n; j++) {
        const a = p[j] / sum;
        score[j] += a / (heads * n);
        for (let c = 0; c < dh; c++) ctx[i * d + h * dh + c] += a * v[j * d + h * dh + c];
      }
    }
  }
  return { ctx, score };
}

function addInPlace(a: Float64Array, b: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
  return a;
}

/** Keeps the rows listed in `keep` (in order). */
function selectRows(x: Float64Array, width: number, keep: number[]): Float64Array {
  const y = new Float64Array(keep.length * width);
  keep.forEach((r, i) => y.set(x.subarray(r * width, (r + 1) * width), i * width));
  return y;
}

/** The float forward pass on token ids with an attention mask (1 = real token). */
export function forward(w: BertWeights, ids: Int32Array, mask: Uint8Array, opts: ForwardOptions = {}): ForwardResult {
  const c = w.config;
  const d = c.hidden;
  if (mask.length !== ids.length) throw new RangeError(`mask has ${mask.length} entries for ${ids.length} tokens`);
  if (opts.thresholds && opts.thresholds.length !== c.layers) throw new RangeError(`thresholds has ${opts.thresholds.length} entries for ${c.layers} layers`);
  let x = embed(w, ids, opts.typeIds);
  let keyMask = mask;
  let n = ids.length;
  const tokensPerLayer: number[] = [];
  w.layers.forEach((L, l) => {
    tokensPerLayer.push(n);
    const { ctx, score } = attention(linear(x, n, L.query), linear(x, n, L.key), linear(x, n, L.value), n, d, c.heads, keyMask);
    x = layerNorm(addInPlace(linear(ctx, n, L.attnOut), x), n, d, L.attnNorm, c.layerNormEps);
    const theta = opts.thresholds?.[l];
    if (theta !== undefined) {
      const keep = [0];
      for (let j = 1; j < n; j++) if (score[j] > theta) keep.push(j);
      x = selectRows(x, d, keep);
      keyMask = Uint8Array.from(keep, (j) => keyMask[j]);
      n = keep.length;
    }
    const h = linear(x, n, L.ffnIn);
    for (let i = 0; i < h.length; i++) h[i] = geluFloat(h[i]);
    x = layerNorm(addInPlace(linear(h, n, L.ffnOut), x), n, d, L.ffnNorm, c.layerNormEps);
  });
  tokensPerLayer.push(n);
  const pooled = linear(x.subarray(0, d), 1, w.pooler).map(Math.tanh);
  return { logits: linear(pooled, 1, w.classifier), tokensPerLayer };
}
