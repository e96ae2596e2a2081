// Which model the command line runs: a Hugging Face directory, a preset with seeded random weights, or the bundled
// default (src/model/default/ once a trained model is there, else the seeded tiny model with a small vocabulary).
import { existsSync, statSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PRESETS, presetConfig } from "../model/config.js";
import { loadModel, loadPublicModel, publicModelFiles, publicPart, type FileReader, type Model, type PublicModel } from "../model/directory.js";
import { PUBLIC_FILES } from "../model/public.js";
import { WordPieceTokenizer } from "../model/tokenizer.js";
import { randomWeights } from "../model/weights.js";
import type { PublicModelStore } from "./session.js";

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

/** Reads files of a directory; a missing file is undefined. */
function dirReader(dir: string): FileReader {
  return async (name) => {
    try {
      return new Uint8Array(await readFile(join(dir, name)));
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return undefined;
      throw e;
    }
  };
}

/** Where `spec` points: a directory, a preset name, or undefined for the default model. */
function locate(spec: string | undefined): { dir: string; name: string } | { preset: string; name: string } {
  if (spec === undefined) {
    const dir = defaultModelDir();
    return existsSync(join(dir, "config.json")) ? { dir, name: "default" } : { preset: "tiny", name: "tiny (seeded random)" };
  }
  if (existsSync(spec) && statSync(spec).isDirectory()) return { dir: spec, name: spec };
  if (spec in PRESETS) return { preset: spec, name: `${spec} (seeded random)` };
  throw new RangeError(`unknown model "${spec}": not a directory, nor a preset (${Object.keys(PRESETS).join(", ")})`);
}

/** The server's model: every weight. */
export async function resolveModel(spec: string | undefined): Promise<{ model: Model; name: string }> {
  const at = locate(spec);
  return { model: "dir" in at ? await loadModel(dirReader(at.dir), at.dir) : presetModel(at.preset), name: at.name };
}

/** A client's model: the public part only (a client directory from export-client, or a full one read partly). */
export async function resolvePublicModel(spec: string | undefined): Promise<{ model: PublicModel; name: string }> {
  const at = locate(spec);
  return { model: "dir" in at ? await loadPublicModel(dirReader(at.dir), at.dir) : publicPart(presetModel(at.preset)), name: at.name };
}

/** Writes a client model directory (config.json, vocab.txt, the embedding tensors) for the model at `spec`. */
export async function exportClient(spec: string | undefined, out: string): Promise<{ name: string; files: string[] }> {
  const { model, name } = await resolvePublicModel(spec);
  await mkdir(out, { recursive: true });
  const files = publicModelFiles(model);
  for (const [file, data] of files) await writeFile(join(out, file), data);
  return { name, files: [...files.keys()] };
}

/** The cache of fetched public models: $CIPHERPRUNE_CACHE, else $XDG_CACHE_HOME/cipherprune, else ~/.cache/cipherprune. */
export function defaultCacheDir(): string {
  return process.env.CIPHERPRUNE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "cipherprune");
}

/** Fetched public models as client model directories under `root`/models/KEY (usable with --model as well). */
export function directoryStore(root: string): PublicModelStore {
  return {
    async load(key) {
      const read = dirReader(join(root, "models", key));
      const files = new Map<string, Uint8Array>();
      for (const [name] of PUBLIC_FILES) {
        const data = await read(name);
        if (!data) return undefined;
        files.set(name, data);
      }
      return files;
    },
    async save(key, files) {
      // Written beside and renamed into place, so that a concurrent reader never sees half a model.
      const dir = join(root, "models", key);
      const tmp = `${dir}.${process.pid}.tmp`;
      await mkdir(tmp, { recursive: true });
      for (const [name, data] of files) await writeFile(join(tmp, name), data);
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
    },
  };
}

