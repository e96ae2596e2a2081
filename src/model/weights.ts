// BERT weights in the layout of Hugging Face's BertForSequenceClassification (linear weights are [out, in]).
import type { BertConfig } from "./config.js";
import type { Tensor } from "./safetensors.js";

export interface Linear {
  /** [out, in], row-major. */
  weight: Float32Array;
  bias: Float32Array;
  inDim: number;
  outDim: number;
}

export interface LayerNormWeights {
  gamma: Float32Array;
  beta: Float32Array;
}

export interface LayerWeights {
  query: Linear;
  key: Linear;
  value: Linear;
  attnOut: Linear;
  attnNorm: LayerNormWeights;
  ffnIn: Linear;
  ffnOut: Linear;
  ffnNorm: LayerNormWeights;
}

/** The embedding tables: the public part of a model, which the client holds (DESIGN.md §2). */
export interface EmbeddingWeights {
  config: BertConfig;
  wordEmbeddings: Float32Array;
  positionEmbeddings: Float32Array;
  typeEmbeddings: Float32Array;
  embedNorm: LayerNormWeights;
}

export interface BertWeights extends EmbeddingWeights {
  layers: LayerWeights[];
  pooler: Linear;
  classifier: Linear;
}

/** The embedding tensors' names and shapes (the public model). */
export function embeddingTensors(c: BertConfig): Map<string, number[]> {
  return new Map([
    ["bert.embeddings.word_embeddings.weight", [c.vocabSize, c.hidden]],
    ["bert.embeddings.position_embeddings.weight", [c.maxPositions, c.hidden]],
    ["bert.embeddings.token_type_embeddings.weight", [c.typeVocabSize, c.hidden]],
    ["bert.embeddings.LayerNorm.weight", [c.hidden]],
    ["bert.embeddings.LayerNorm.bias", [c.hidden]],
  ]);
}

/** Every tensor name a model of this configuration has, with its shape. */
export function expectedTensors(c: BertConfig): Map<string, number[]> {
  const m = embeddingTensors(c);
  const lin = (name: string, out: number, inp: number) => {
    m.set(`${name}.weight`, [out, inp]);
    m.set(`${name}.bias`, [out]);
  };
  const norm = (name: string) => {
    m.set(`${name}.weight`, [c.hidden]);
    m.set(`${name}.bias`, [c.hidden]);
  };
  for (let l = 0; l < c.layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    lin(`${p}.attention.self.query`, c.hidden, c.hidden);
    lin(`${p}.attention.self.key`, c.hidden, c.hidden);
    lin(`${p}.attention.self.value`, c.hidden, c.hidden);
    lin(`${p}.attention.output.dense`, c.hidden, c.hidden);
    norm(`${p}.attention.output.LayerNorm`);
    lin(`${p}.intermediate.dense`, c.intermediate, c.hidden);
    lin(`${p}.output.dense`, c.hidden, c.intermediate);
    norm(`${p}.output.LayerNorm`);
  }
  lin("bert.pooler.dense", c.hidden, c.hidden);
  lin("classifier", c.labels, c.hidden);
  return m;
}

/** A getter of the named tensors that checks each one's presence and shape against `expected`. */
function tensorGetter(expected: Map<string, number[]>, tensors: Map<string, Tensor>, source: string, missing = ""): (name: string) => Float32Array {
  return (name) => {
    const t = tensors.get(name);
    const shape = expected.get(name)!;
    if (!t) throw new RangeError(`${source}: tensor "${name}" is missing${missing}`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new RangeError(`${source}: tensor "${name}" has shape [${t.shape}], the config needs [${shape}]`);
    }
    return t.data;
  };
}

/** The embedding tables from named tensors (other tensors are ignored), checked against the configuration. */
export function embeddingsFromTensors(c: BertConfig, tensors: Map<string, Tensor>, source = "model.safetensors"): EmbeddingWeights {
  const get = tensorGetter(embeddingTensors(c), tensors, source);
  return {
    config: c,
    wordEmbeddings: get("bert.embeddings.word_embeddings.weight"),
    positionEmbeddings: get("bert.embeddings.position_embeddings.weight"),
    typeEmbeddings: get("bert.embeddings.token_type_embeddings.weight"),
    embedNorm: { gamma: get("bert.embeddings.LayerNorm.weight"), beta: get("bert.embeddings.LayerNorm.bias") },
  };
}

/** Builds the weights from named tensors, checking each name and shape against the configuration. */
export function weightsFromTensors(c: BertConfig, tensors: Map<string, Tensor>, source = "model.safetensors"): BertWeights {
  const expected = expectedTensors(c);
  // A file with the embeddings and nothing else is a client model (export-client): say so.
  const embeddings = embeddingTensors(c);
  const clientOnly = [...expected.keys()].every((name) => tensors.has(name) === embeddings.has(name));
  const get = tensorGetter(expected, tensors, source, clientOnly ? " (the file holds only the embedding tables: a client model; the server needs the full model)" : "");
  const lin = (name: string): Linear => {
    const [outDim, inDim] = expected.get(`${name}.weight`)!;
    return { weight: get(`${name}.weight`), bias: get(`${name}.bias`), inDim, outDim };
  };
  const norm = (name: string): LayerNormWeights => ({ gamma: get(`${name}.weight`), beta: get(`${name}.bias`) });
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    layers.push({
      query: lin(`${p}.attention.self.query`),
      key: lin(`${p}.attention.self.key`),
      value: lin(`${p}.attention.self.value`),
      attnOut: lin(`${p}.attention.output.dense`),
      attnNorm: norm(`${p}.attention.output.LayerNorm`),
      ffnIn: lin(`${p}.intermediate.dense`),
      ffnOut: lin(`${p}.output.dense`),
      ffnNorm: norm(`${p}.output.LayerNorm`),
    });
  }
  return {
    ...embeddingsFromTensors(c, tensors, source),
    layers,
    pooler: lin("bert.pooler.dense"),
    classifier: lin("classifier"),
  };
}

/** The embedding tensors by name, for writing a client model. */
export function embeddingsToTensors(w: EmbeddingWeights): Map<string, Tensor> {
  const shapes = embeddingTensors(w.config);
  const out = new Map<string, Tensor>();
  const put = (name: string, data: Float32Array) => out.set(name, { shape: shapes.get(name)!, data });
  put("bert.embeddings.word_embeddings.weight", w.wordEmbeddings);
  put("bert.embeddings.position_embeddings.weight", w.positionEmbeddings);
  put("bert.embeddings.token_type_embeddings.weight", w.typeEmbeddings);
  put("bert.embeddings.LayerNorm.weight", w.embedNorm.gamma);
  put("bert.embeddings.LayerNorm.bias", w.embedNorm.beta);
  return out;
}

/** The named tensors of a model, for writing a safetensors file. */
export function weightsToTensors(w: BertWeights): Map<string, Tensor> {
  const out = embeddingsToTensors(w);
  const expected = expectedTensors(w.config);
  const put = (name: string, data: Float32Array) => out.set(name, { shape: expected.get(name)!, data });
  const lin = (name: string, l: Linear) => {
    put(`${name}.weight`, l.weight);
    put(`${name}.bias`, l.bias);
  };
  const norm = (name: string, n: LayerNormWeights) => {
    put(`${name}.weight`, n.gamma);
    put(`${name}.bias`, n.beta);
  };
  w.layers.forEach((L, l) => {
    const p = `bert.encoder.layer.${l}`;
    lin(`${p}.attention.self.query`, L.query);
    lin(`${p}.attention.self.key`, L.key);
    lin(`${p}.attention.self.value`, L.value);
    lin(`${p}.attention.output.dense`, L.attnOut);
    norm(`${p}.attention.output.LayerNorm`, L.attnNorm);
    lin(`${p}.intermediate.dense`, L.ffnIn);
    lin(`${p}.output.dense`, L.ffnOut);
    norm(`${p}.output.LayerNorm`, L.ffnNorm);
  });
  lin("bert.pooler.dense", w.pooler);
  lin("classifier", w.classifier);
  return out;
}

/**
 * A model with seeded random weights (normal, standard deviation 0.02 as BERT's initialiser; LayerNorm γ = 1, β = 0),
 * for benchmarks and tests. Not cryptographic randomness: weights are public test data here.
 */
export function randomWeights(c: BertConfig, seed = 1): BertWeights {
  let state = seed >>> 0 || 1;
  const uniform = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 0.5) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const tensors = new Map<string, Tensor>();
  for (const [name, shape] of expectedTensors(c)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith("LayerNorm.weight")) data.fill(1);
    else if (!name.endsWith(".bias")) for (let i = 0; i < data.length; i++) data[i] = 0.02 * normal();
    tensors.set(name, { shape, data });
  }
  return weightsFromTensors(c, tensors, `random ${c.layers}-layer model`);
}
