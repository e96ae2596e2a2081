// Learning a WordPiece vocabulary from text, the way Hugging Face's WordPiece trainer does: byte-pair merges on
// words split into characters, continuation pieces marked "##", and the merged pieces kept as the vocabulary
// (the tokenizer then applies it greedily, longest match first).
import { basicTokenize } from "../model/tokenizer.js";

export const SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] as const;

export interface VocabOptions {
  /** Total vocabulary size, special tokens included. */
  size: number;
  /** Characters seen fewer times are left out (they become [UNK]). */
  minCharCount?: number;
  /** Words seen fewer times take no part in merging (they still tokenize, into shorter pieces). */
  minWordCount?: number;
  /** Merges per counting pass: merging the best few pairs at once keeps learning fast with the same outcome in practice. */
  mergesPerPass?: number;
}

/** Word counts over texts (BERT's basic tokenization: lower case, punctuation split off). */
export function countWords(texts: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of basicTokenize(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/** The vocabulary (one piece per entry, the id is the index), specials first, then characters, then merges. */
export function learnVocab(words: ReadonlyMap<string, number>, opts: VocabOptions): string[] {
  const { size, minCharCount = 2, minWordCount = 3, mergesPerPass = 128 } = opts;
  if (!Number.isInteger(size) || size <= SPECIAL_TOKENS.length) throw new RangeError(`size must be an integer above ${SPECIAL_TOKENS.length}, got ${size}`);
  const charCount = new Map<string, number>();
  for (const [w, c] of words) Array.from(w).forEach((ch, i) => {
    const piece = i ? `##${ch}` : ch;
    charCount.set(piece, (charCount.get(piece) ?? 0) + c);
  });
  const vocab: string[] = [...SPECIAL_TOKENS];
  const known = new Set<string>(vocab);
  const add = (p: string) => {
    if (!known.has(p) && vocab.length < size) {
      known.add(p);
      vocab.push(p);
    }
  };
  [...charCount].filter(([, c]) => c >= minCharCount).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).forEach(([p]) => add(p));
  // Each word as its current pieces; words with an unknown character stay whole and take no part in merging.
  const seqs: { pieces: string[]; count: number }[] = [];
  for (const [w, count] of words) {
    if (count < minWordCount) continue;
    const pieces = Array.from(w).map((ch, i) => (i ? `##${ch}` : ch));
    if (pieces.every((p) => known.has(p)) && pieces.length > 1) seqs.push({ pieces, count });
  }
  const join = (a: string, b: string) => a + b.slice(2);
  let live = seqs;
  while (vocab.length < size) {
    live = live.filter((s) => s.pieces.length > 1);
    const pairs = new Map<string, number>();
    for (const { pieces, count } of live) {
      for (let i = 0; i + 1 < pieces.length; i++) {
        const key = `${pieces[i]}\u0000${pieces[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + count);
      }
    }
    if (pairs.size === 0) break;
    const best = [...pairs].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, Math.min(mergesPerPass, size - vocab.length));
    for (const [key] of best) {
      const [a, b] = key.split("\u0000");
      const merged = join(a, b);
      add(merged);
      for (const s of live) {
        const p = s.pieces;
        for (let i = 0; i + 1 < p.length; i++) if (p[i] === a && p[i + 1] === b) p.splice(i, 2, merged);
      }
    }
  }
  return vocab;
}
