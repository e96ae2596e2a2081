// The server's weights in fixed point, laid out for the linear layers: W as X·W (k×m, row-major) at the ring's scale
// s, biases at scale 2s (they are added to the product before its truncation), LayerNorm γ and β at scale s. The
// attention scale 1/√d_h is folded into the query weights (as BOLT does), and Q, K, V share one k×3d product.
import { Ring } from "../core/ring.js";
import type { BertConfig } from "./config.js";
import type { BertWeights, LayerNormWeights, Linear } from "./weights.js";

/** The ring of the model's fixed-point values: ℓ = 37 bits at scale 12 (public; part of the session handshake). */
export const RING = new Ring(37, 12);

/** Signed bit width of every quantised weight (|w| < 8 at scale 12); public, part of the HE plans. */
export const WEIGHT_BITS = 16;

export interface FixedLinear {
  /** Input and output width. */
  k: number;
  m: number;
  /** k×m at scale s. */
  w: BigUint64Array;
  /** m entries at scale 2s. */
  bias: BigUint64Array;
}

export interface FixedNorm {
  gamma: BigUint64Array;
  beta: BigUint64Array;
}

export interface FixedLayer {
  /** [Q·(1/√d_h) | K | V]: d × 3d. */
  qkv: FixedLinear;
  attnOut: FixedLinear;
  attnNorm: FixedNorm;
  ffnIn: FixedLinear;
  ffnOut: FixedLinear;
  ffnNorm: FixedNorm;
}

/** What only the server holds: every weight after the embeddings. */
export interface FixedBert {
  config: BertConfig;
  layers: FixedLayer[];
  pooler: FixedLinear;
  classifier: FixedLinear;
}

function encodeAt(ring: Ring, x: number, scale: number, bits: number, field: string): bigint {
  if (!Number.isFinite(x)) throw new RangeError(`${field} is not a finite number`);
  const v = BigInt(Math.round(x * 2 ** scale));
  const lim = 1n << BigInt(bits - 1);
  if (v < -lim || v >= lim) throw new RangeError(`${field} = ${x} does not fit in ${bits} signed bits at scale ${scale}`);
  return v & ring.mask;
}

/** Several HF linears (same input width) side by side as one k × Σm product, each scaled by its factor. */
function fixedLinear(ring: Ring, parts: { l: Linear; factor: number; name: string }[]): FixedLinear {
  const k = parts[0].l.inDim;
  const m = parts.reduce((a, p) => a + p.l.outDim, 0);
  const w = new BigUint64Array(k * m);
  const bias = new BigUint64Array(m);
  const s = ring.scale;
  let col = 0;
  for (const { l, factor, name } of parts) {
    for (let o = 0; o < l.outDim; o++) {
      for (let i = 0; i < k; i++) w[i * m + col + o] = encodeAt(ring, l.weight[o * k + i] * factor, s, WEIGHT_BITS, `${name}.weight[${o}][${i}]`);
      bias[col + o] = encodeAt(ring, l.bias[o] * factor, 2 * s, ring.bits, `${name}.bias[${o}]`);
    }
    col += l.outDim;
  }
  return { k, m, w, bias };
}

function fixedNorm(ring: Ring, n: LayerNormWeights, name: string): FixedNorm {
  const enc = (a: Float32Array, field: string) => BigUint64Array.from(a, (x, i) => encodeAt(ring, x, ring.scale, ring.bits, `${field}[${i}]`));
  return { gamma: enc(n.gamma, `${name}.weight`), beta: enc(n.beta, `${name}.bias`) };
}

/** Quantises a model for the ring; errors name the tensor entry that does not fit. */
export function quantize(w: BertWeights, ring: Ring): FixedBert {
  const c = w.config;
  const qScale = 1 / Math.sqrt(c.hidden / c.heads);
  const layers = w.layers.map((L, l): FixedLayer => {
    const p = `layer.${l}`;
    return {
      qkv: fixedLinear(ring, [
        { l: L.query, factor: qScale, name: `${p}.attention.self.query` },
        { l: L.key, factor: 1, name: `${p}.attention.self.key` },
        { l: L.value, factor: 1, name: `${p}.attention.self.value` },
      ]),
      attnOut: fixedLinear(ring, [{ l: L.attnOut, factor: 1, name: `${p}.attention.output.dense` }]),
      attnNorm: fixedNorm(ring, L.attnNorm, `${p}.attention.output.LayerNorm`),
      ffnIn: fixedLinear(ring, [{ l: L.ffnIn, factor: 1, name: `${p}.intermediate.dense` }]),
      ffnOut: fixedLinear(ring, [{ l: L.ffnOut, factor: 1, name: `${p}.output.dense` }]),
      ffnNorm: fixedNorm(ring, L.ffnNorm, `${p}.output.LayerNorm`),
    };
  });
  return {
    config: c,
    layers,
    pooler: fixedLinear(ring, [{ l: w.pooler, factor: 1, name: "pooler.dense" }]),
    classifier: fixedLinear(ring, [{ l: w.classifier, factor: 1, name: "classifier" }]),
  };
}
