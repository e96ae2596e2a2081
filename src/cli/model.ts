// Which model the command line runs: a Hugging Face directory, a preset with seeded random weights, or the bundled
// default (src/model/default/ once a trained model is there, else the seeded tiny model with a small vocabulary).
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { Ring } from "../core/ring.js";
import { configToHuggingFace, PRESETS, presetConfig } from "../model/config.js";
import { loadModel, type Model } from "../model/directory.js";
import { WordPieceTokenizer } from "../model/tokenizer.js";
import { randomWeights, weightsToTensors } from "../model/weights.js";

/** The package root: the nearest folder above this module holding package.json (src/ or dist/src/ alike). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the package root");
    dir = up;
  }
  return dir;
}

function defaultModelDir(): string {
  return join(packageRoot(), "src", "model", "default");
}

/** Special tokens, letters, digits and their continuations, punctuation and some common words. */
function demoVocab(): string[] {
  const chars = [..."abcdefghijklmnopqrstuvwxyz0123456789"];
  const words = "the a an and or not is was are be it this that of to in on for with movie film good bad great awful fun boring very".split(" ");
  // A Set: a token listed twice would shift every later id when the vocabulary is saved and read back.
  return [...new Set(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ...chars, ...chars.map((c) => `##${c}`), ...".,!?;:'\"()-", ...words])];
}

/** A preset with seeded random weights and the small demonstration vocabulary. */
export function presetModel(name: string, seed = 1): Model {
  const vocab = demoVocab();
  const config = presetConfig(name, { vocabSize: vocab.length, maxPositions: 128 });
  const tokenizer = new WordPieceTokenizer(new Map(vocab.map((t, i) => [t, i])));
  return { config, weights: randomWeights(config, seed), tokenizer };
}

async function loadDir(dir: string): Promise<Model> {
  return loadModel(async (name) => {
    try {
      return new Uint8Array(await readFile(join(dir, name)));
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return undefined;
      throw e;
    }
  }, dir);
}

/** `spec`: a directory, a preset name, or undefined for the default model. */
export async function resolveModel(spec: string | undefined): Promise<{ model: Model; name: string }> {
  if (spec === undefined) {
    const dir = defaultModelDir();
    return existsSync(join(dir, "config.json")) ? { model: await loadDir(dir), name: "default" } : { model: presetModel("tiny"), name: "tiny (seeded random)" };
  }
  if (existsSync(spec) && statSync(spec).isDirectory()) return { model: await loadDir(spec), name: spec };
  if (spec in PRESETS) return { model: presetModel(spec), name: `${spec} (seeded random)` };
  throw new RangeError(`unknown model "${spec}": not a directory, nor a preset (${Object.keys(PRESETS).join(", ")})`);
}

function digest(parts: Uint8Array[]): string {
  const h = sha256.create();
  for (const p of parts) h.update(p);
  return bytesToHex(h.digest());
}

const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const utf8 = (s: string) => new TextEncoder().encode(s);

/** The hash compared in the handshake: what both sides hold (config, vocabulary, embedding tables, ring). */
export function publicHash(m: Model, ring: Ring): string {
  const w = m.weights;
  const vocab = [...m.tokenizer.vocab.entries()].sort((a, b) => a[1] - b[1]).map(([t]) => t).join("\n");
  return digest([
    utf8(JSON.stringify(configToHuggingFace(m.config))),
    utf8(vocab),
    utf8(ring.toString()),
    ...[w.wordEmbeddings, w.positionEmbeddings, w.typeEmbeddings, w.embedNorm.gamma, w.embedNorm.beta].map(bytesOf),
  ]);
}

/** The hash of every tensor, which only the server shows in the handshake (information, not compared). */
export function weightsHash(m: Model): string {
  return digest([...weightsToTensors(m.weights)].flatMap(([name, t]) => [utf8(name), bytesOf(t.data)]));
}
