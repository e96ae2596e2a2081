// BERT's WordPiece tokenizer (uncased): the basic tokenizer (clean, lower-case, strip accents, split on whitespace
// and punctuation, isolate CJK characters) followed by greedy longest-match-first WordPiece with "##" continuations.

export interface Encoding {
  /** Token ids, padded to the requested length with [PAD]. */
  ids: Int32Array;
  /** 1 for real tokens (including [CLS] and [SEP]), 0 for padding. */
  mask: Uint8Array;
  /** The word pieces before padding, [CLS] … [SEP]. */
  tokens: string[];
}

const MAX_WORD_CHARS = 100;

function isPunctuation(cp: number, ch: string): boolean {
  // BERT treats every non-alphanumeric ASCII symbol as punctuation, plus Unicode class P*.
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return /\p{P}/u.test(ch);
}

function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

function isControl(ch: string): boolean {
  if (ch === "\t" || ch === "\n" || ch === "\r") return false;
  return /\p{Cc}|\p{Cf}/u.test(ch);
}

/** Splits text into words and punctuation as BERT's basic tokenizer does (lower-casing and stripping accents). */
export function basicTokenize(text: string): string[] {
  const words: string[] = [];
  let cur = "";
  const flush = () => {
    if (cur) words.push(cur);
    cur = "";
  };
  const cleaned = text.toLowerCase().normalize("NFD");
  for (const ch of cleaned) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
    if (/\p{Mn}/u.test(ch)) continue; // accents, after NFD
    if (/\s/u.test(ch)) flush();
    else if (isPunctuation(cp, ch) || isCjk(cp)) {
      flush();
      words.push(ch);
    } else cur += ch;
  }
  flush();
  return words;
}

export class WordPieceTokenizer {
  readonly vocab: ReadonlyMap<string, number>;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly unkId: number;

  constructor(vocab: Map<string, number>) {
    this.vocab = vocab;
    const id = (t: string) => {
      const v = vocab.get(t);
      if (v === undefined) throw new RangeError(`vocabulary lacks the special token ${t}`);
      return v;
    };
    this.clsId = id("[CLS]");
    this.sepId = id("[SEP]");
    this.padId = id("[PAD]");
    this.unkId = id("[UNK]");
  }

  /** Reads a vocab.txt: one token per line, the id is the line number. */
  static fromVocabText(text: string): WordPieceTokenizer {
    const vocab = new Map<string, number>();
    const lines = text.split(/\r?\n/);
    if (lines.length && lines[lines.length - 1] === "") lines.pop();
    lines.forEach((tok, i) => {
      if (!vocab.has(tok)) vocab.set(tok, i);
    });
    return new WordPieceTokenizer(vocab);
  }

  /** Word pieces of one word; [UNK] if the word cannot be covered. */
  wordPieces(word: string): string[] {
    const chars = Array.from(word);
    if (chars.length > MAX_WORD_CHARS) return ["[UNK]"];
    const pieces: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: string | undefined;
      while (start < end) {
        const sub = (start > 0 ? "##" : "") + chars.slice(start, end).join("");
        if (this.vocab.has(sub)) {
          found = sub;
          break;
        }
        end--;
      }
      if (found === undefined) return ["[UNK]"];
      pieces.push(found);
      start = end;
    }
    return pieces;
  }

  tokenize(text: string): string[] {
    return basicTokenize(text).flatMap((w) => this.wordPieces(w));
  }

  /**
   * [CLS] pieces [SEP], padded to `maxLength`. Text that does not fit is an error unless `truncate` is set, so a
   * caller never loses words silently.
   */
  encode(text: string, maxLength: number, opts: { truncate?: boolean } = {}): Encoding {
    if (!Number.isInteger(maxLength) || maxLength < 2) throw new RangeError(`maxLength must be an integer ≥ 2, got ${maxLength}`);
    let pieces = this.tokenize(text);
    if (pieces.length + 2 > maxLength) {
      if (!opts.truncate) throw new RangeError(`text is ${pieces.length + 2} tokens with [CLS] and [SEP], longer than the maximum ${maxLength}`);
      pieces = pieces.slice(0, maxLength - 2);
    }
    const tokens = ["[CLS]", ...pieces, "[SEP]"];
    const ids = new Int32Array(maxLength).fill(this.padId);
    const mask = new Uint8Array(maxLength);
    tokens.forEach((t, i) => {
      ids[i] = this.vocab.get(t) ?? this.unkId;
      mask[i] = 1;
    });
    return { ids, mask, tokens };
  }
}
