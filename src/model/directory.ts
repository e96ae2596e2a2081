// A model directory in Hugging Face's layout (config.json, model.safetensors, vocab.txt) plus our pruning thresholds
// (thresholds.json: {"theta": [...], "beta": [...]}, one entry per layer). A client model directory has the same
// layout with only the embedding tensors and no thresholds: the public part of the model, all a client ever holds.
// File access goes through a small reader so that Node (fs) and browsers (fetch) share this code.
import { configFromHuggingFace, configToHuggingFace, type BertConfig } from "./config.js";
import { readSafetensors, writeSafetensors } from "./safetensors.js";
import { WordPieceTokenizer } from "./tokenizer.js";
import { embeddingsFromTensors, embeddingsToTensors, weightsFromTensors, weightsToTensors, type BertWeights, type EmbeddingWeights } from "./weights.js";

export interface Thresholds {
  /** Prune token j at layer l unless its importance score exceeds theta[l]. */
  theta: number[];
  /** Among kept tokens, the high-degree path is taken iff the score exceeds beta[l] (beta[l] ≥ theta[l]). */
  beta: number[];
}

/** What both parties hold: the configuration, the vocabulary and the embedding tables. */
export interface PublicModel {
  config: BertConfig;
  weights: EmbeddingWeights;
  tokenizer: WordPieceTokenizer;
}

/** The server's model: every weight, and the pruning thresholds when it prunes. */
export interface Model extends PublicModel {
  weights: BertWeights;
  thresholds?: Thresholds;
}

/** Reads a file of the model directory; resolves undefined when it does not exist. */
export type FileReader = (name: string) => Promise<Uint8Array | undefined>;
export type FileWriter = (name: string, data: Uint8Array) => Promise<void>;

const text = (b: Uint8Array) => new TextDecoder().decode(b);

export function parseThresholds(json: unknown, layers: number, source = "thresholds.json"): Thresholds {
  const t = json as Partial<Thresholds> | null;
  const list = (key: "theta" | "beta") => {
    const v = t?.[key];
    if (!Array.isArray(v) || v.length !== layers || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
      throw new RangeError(`${source}: "${key}" must be a list of ${layers} finite numbers`);
    }
    return v as number[];
  };
  const theta = list("theta");
  const beta = list("beta");
  beta.forEach((b, l) => {
    if (b < theta[l]) throw new RangeError(`${source}: beta[${l}] = ${b} is below theta[${l}] = ${theta[l]}`);
  });
  return { theta, beta };
}

/** config.json and vocab.txt of a model directory, checked against each other. */
async function readConfigAndVocab(read: FileReader, where: string): Promise<{ config: BertConfig; tokenizer: WordPieceTokenizer; need: (name: string) => Promise<Uint8Array> }> {
  const need = async (name: string) => {
    const b = await read(name);
    if (!b) throw new Error(`${where}: ${name} not found`);
    return b;
  };
  let cfgJson: unknown;
  try {
    cfgJson = JSON.parse(text(await need("config.json")));
  } catch (e) {
    if (e instanceof SyntaxError) throw new SyntaxError(`${where}/config.json: ${e.message}`);
    throw e;
  }
  const config = configFromHuggingFace(cfgJson, `${where}/config.json`);
  let tokenizer: WordPieceTokenizer;
  try {
    tokenizer = WordPieceTokenizer.fromVocabText(text(await need("vocab.txt")));
  } catch (e) {
    if (e instanceof Error && !e.message.startsWith(where)) e.message = `${where}/vocab.txt: ${e.message}`;
    throw e;
  }
  if (tokenizer.vocab.size > config.vocabSize) throw new RangeError(`${where}/vocab.txt has ${tokenizer.vocab.size} tokens, the config's vocab_size is ${config.vocabSize}`);
  return { config, tokenizer, need };
}

/** Loads and checks a model directory (the server's: every tensor); every error names the file and the field. */
export async function loadModel(read: FileReader, where = "model directory"): Promise<Model> {
  const { config, tokenizer, need } = await readConfigAndVocab(read, where);
  const weights = weightsFromTensors(config, readSafetensors(await need("model.safetensors"), `${where}/model.safetensors`), `${where}/model.safetensors`);
  const th = await read("thresholds.json");
  let thresholds: Thresholds | undefined;
  if (th) {
    let json: unknown;
    try {
      json = JSON.parse(text(th));
    } catch (e) {
      throw new SyntaxError(`${where}/thresholds.json: ${(e as Error).message}`);
    }
    thresholds = parseThresholds(json, config.layers, `${where}/thresholds.json`);
  }
  return { config, weights, tokenizer, thresholds };
}

/**
 * Loads the public part of a model directory: a client model (export-client) or a full one, whose encoder tensors
 * and thresholds are then not read into the result.
 */
export async function loadPublicModel(read: FileReader, where = "client model directory"): Promise<PublicModel> {
  const { config, tokenizer, need } = await readConfigAndVocab(read, where);
  const weights = embeddingsFromTensors(config, readSafetensors(await need("model.safetensors"), `${where}/model.safetensors`), `${where}/model.safetensors`);
  return { config, weights, tokenizer };
}

/** The public part of a server's model, holding no reference to its other weights or thresholds. */
export function publicPart(model: PublicModel): PublicModel {
  const { config, wordEmbeddings, positionEmbeddings, typeEmbeddings, embedNorm } = model.weights;
  return { config: model.config, tokenizer: model.tokenizer, weights: { config, wordEmbeddings, positionEmbeddings, typeEmbeddings, embedNorm } };
}

const encode = (s: string) => new TextEncoder().encode(s);
const configFile = (c: BertConfig) => encode(JSON.stringify(configToHuggingFace(c), null, 2) + "\n");
const vocabFile = (t: WordPieceTokenizer) => encode([...t.vocab.entries()].sort((a, b) => a[1] - b[1]).map(([tok]) => tok).join("\n") + "\n");

/** The files of a client model directory: config.json, vocab.txt and model.safetensors with the embeddings only. */
export function publicModelFiles(model: PublicModel): Map<string, Uint8Array> {
  return new Map([
    ["config.json", configFile(model.config)],
    ["vocab.txt", vocabFile(model.tokenizer)],
    ["model.safetensors", writeSafetensors(embeddingsToTensors(model.weights), { format: "pt" })],
  ]);
}

export async function saveModel(write: FileWriter, model: Model): Promise<void> {
  await write("config.json", configFile(model.config));
  await write("model.safetensors", writeSafetensors(weightsToTensors(model.weights), { format: "pt" }));
  await write("vocab.txt", vocabFile(model.tokenizer));
  if (model.thresholds) await write("thresholds.json", encode(JSON.stringify(model.thresholds, null, 2) + "\n"));
}
