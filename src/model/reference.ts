// The float BERT forward pass, in float64, following Hugging Face's BertForSequenceClassification layer by layer
// (exact erf GELU, LayerNorm with ε, tanh pooler on [CLS]). Optional threshold pruning mirrors what the private
// run does: after a layer's attention, tokens whose importance score is not above θ_l are dropped ([CLS] stays).
import type { BertWeights, LayerNormWeights, Linear } from "./weights.js";

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

/** Abramowitz–Stegun 7.1.26 is too coarse for a reference; this is W. J. Cody's rational erf, |error| < 1e-15. */
export function erf(x: number): number {
  // Computed via the complementary function for |x| ≥ 0.5 for accuracy.
  const ax = Math.abs(x);
  if (ax < 0.5) {
    const t = x * x;
    const p = [3.16112374387056560e0, 1.13864154151050156e2, 3.77485237685302021e2, 3.20937758913846947e3, 1.85777706184603153e-1];
    const q = [2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3];
    let num = p[4] * t;
    let den = t;
    for (let i = 0; i < 3; i++) {
      num = (num + p[i]) * t;
      den = (den + q[i]) * t;
    }
    return (x * (num + p[3])) / (den + q[3]);
  }
  return x > 0 ? 1 - erfc(ax) : erfc(ax) - 1;
}

function erfc(ax: number): number {
  if (ax >= 27) return 0;
  if (ax < 4) {
    const c = [5.64188496988670089e-1, 8.88314979438837594e0, 6.61191906371416295e1, 2.98635138197400131e2, 8.81952221241769090e2, 1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3, 2.15311535474403846e-8];
    const d = [1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3, 3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3];
    let num = c[8] * ax;
    let den = ax;
    for (let i = 0; i < 7; i++) {
      num = (num + c[i]) * ax;
      den = (den + d[i]) * ax;
    }
    const r = (num + c[7]) / (den + d[7]);
    return r * Math.exp(-ax * ax);
  }
  const p = [3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2];
  const q = [2.56852019228982242e0, 1.87295284992346725e0, 5.27905102951428412e-1, 6.05183413124413191e-2, 2.33520497626869185e-3];
  const z = 1 / (ax * ax);
  let num = p[5] * z;
  let den = z;
  for (let i = 0; i < 4; i++) {
    num = (num + p[i]) * z;
    den = (den + q[i]) * z;
  }
  let r = (z * (num + p[4])) / (den + q[4]);
  r = (1 / Math.sqrt(Math.PI) - r) / ax;
  return r * Math.exp(-ax * ax);
}

export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
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
export function embed(w: BertWeights, ids: Int32Array, typeIds?: Int32Array): Float64Array {
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
    for (let i = 0; i < h.length; i++) h[i] = gelu(h[i]);
    x = layerNorm(addInPlace(linear(h, n, L.ffnOut), x), n, d, L.ffnNorm, c.layerNormEps);
  });
  tokensPerLayer.push(n);
  const pooled = linear(x.subarray(0, d), 1, w.pooler).map(Math.tanh);
  return { logits: linear(pooled, 1, w.classifier), tokensPerLayer };
}
