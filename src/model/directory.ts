// A model directory in Hugging Face's layout (config.json, model.safetensors, vocab.txt) plus our pruning thresholds
// (thresholds.json: {"theta": [...], "beta": [...]}, one entry per layer). File access goes through a small reader so
// that Node (fs) and browsers (fetch) share this code.
import { configFromHuggingFace, configToHuggingFace, type BertConfig } from "./config.js";
import { readSafetensors, writeSafetensors } from "./safetensors.js";
import { WordPieceTokenizer } from "./tokenizer.js";
import { weightsFromTensors, weightsToTensors, type BertWeights } from "./weights.js";

export interface Thresholds {
  /** Prune token j at layer l unless its importance score exceeds theta[l]. */
  theta: number[];
  /** Among kept tokens, the high-degree path is taken iff the score exceeds beta[l] (beta[l] ≥ theta[l]). */
  beta: number[];
}

export interface Model {
  config: BertConfig;
  weights: BertWeights;
  tokenizer: WordPieceTokenizer;
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

/** Loads and checks a model directory; every error names the file and the field. */
export async function loadModel(read: FileReader, where = "model directory"): Promise<Model> {
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
  const weights = weightsFromTensors(config, readSafetensors(await need("model.safetensors"), `${where}/model.safetensors`), `${where}/model.safetensors`);
  const tokenizer = WordPieceTokenizer.fromVocabText(text(await need("vocab.txt")));
  if (tokenizer.vocab.size > config.vocabSize) throw new RangeError(`${where}/vocab.txt has ${tokenizer.vocab.size} tokens, the config's vocab_size is ${config.vocabSize}`);
  const th = await read("thresholds.json");
  const thresholds = th ? parseThresholds(JSON.parse(text(th)), config.layers, `${where}/thresholds.json`) : undefined;
  return { config, weights, tokenizer, thresholds };
}

export async function saveModel(write: FileWriter, model: Model): Promise<void> {
  const enc = (s: string) => new TextEncoder().encode(s);
  await write("config.json", enc(JSON.stringify(configToHuggingFace(model.config), null, 2) + "\n"));
  await write("model.safetensors", writeSafetensors(weightsToTensors(model.weights), { format: "pt" }));
  const vocab = [...model.tokenizer.vocab.entries()].sort((a, b) => a[1] - b[1]).map(([t]) => t);
  await write("vocab.txt", enc(vocab.join("\n") + "\n"));
  if (model.thresholds) await write("thresholds.json", enc(JSON.stringify(model.thresholds, null, 2) + "\n"));
}
