import { describe, expect, it } from "vitest";
import { WordPieceTokenizer } from "../src/model/tokenizer.js";
import { loadCorpus, messageBody, splitCorpus, type Example } from "../src/train/corpus.js";
import { encodeExamples } from "../src/train/dataset.js";
import { countWords, learnVocab, SPECIAL_TOKENS } from "../src/train/vocab.js";

describe("SpamAssassin corpus and split", () => {
  const corpus = loadCorpus();

  it("has every message with a label and a body without headers", () => {
    expect(corpus.length).toBe(6046);
    const spam = corpus.filter((e) => e.label === 1).length;
    expect(spam).toBe(corpus.filter((e) => e.id.startsWith("spam")).length);
    expect(spam).toBeGreaterThan(1000);
    const first = corpus.find((e) => e.id === "spam-1/00001")!;
    expect(first.label).toBe(1);
    expect(first.text.length).toBeGreaterThan(0);
    expect(first.text).not.toMatch(/^(Return-Path|Received|Subject):/m);
  });

  it("takes the body after the first empty line", () => {
    expect(messageBody("From: a\nSubject: b\n\nhello\n\nworld")).toBe("hello\n\nworld");
    expect(messageBody("From: a\r\n\r\nbody")).toBe("body");
    expect(messageBody("only headers")).toBe("");
  });

  it("splits reproducibly into disjoint parts covering the corpus", () => {
    const a = splitCorpus(corpus, 7);
    const b = splitCorpus(corpus, 7);
    const c = splitCorpus(corpus, 8);
    const ids = (s: Example[]) => s.map((e) => e.id);
    expect(ids(a.test)).toEqual(ids(b.test));
    expect(ids(a.train)).toEqual(ids(b.train));
    expect(ids(a.test)).not.toEqual(ids(c.test));
    expect(a.test.length).toBe(Math.floor(6046 * 0.1));
    expect(a.validation.length).toBe(Math.floor(6046 * 0.1));
    const all = new Set([...ids(a.train), ...ids(a.validation), ...ids(a.test)]);
    expect(all.size).toBe(6046);
    expect(() => splitCorpus(corpus, 1, { validation: 0.6, test: 0.5 })).toThrow(RangeError);
  });
});

describe("WordPiece vocabulary", () => {
  const texts = ["the quick brown fox jumps over the lazy dog", "the dog sleeps; the fox runs quickly!", "quick quick quicker quickest"];
  const words = countWords(texts);
  const vocab = learnVocab(words, { size: 80, minCharCount: 1, minWordCount: 1, mergesPerPass: 1 });
  const tok = new WordPieceTokenizer(new Map(vocab.map((t, i) => [t, i])));

  it("starts with the special tokens, has the requested size and no duplicates", () => {
    expect(vocab.slice(0, SPECIAL_TOKENS.length)).toEqual([...SPECIAL_TOKENS]);
    expect(vocab.length).toBeLessThanOrEqual(80);
    expect(new Set(vocab).size).toBe(vocab.length);
    // Merging stops once every word is one piece; a smaller size cuts the list at exactly that size.
    for (const w of words.keys()) expect(vocab).toContain(w);
    expect(learnVocab(words, { size: 50, minCharCount: 1, minWordCount: 1, mergesPerPass: 1 })).toEqual(vocab.slice(0, 50));
    expect(words.get("the")).toBe(4);
    expect(() => learnVocab(words, { size: 3 })).toThrow(RangeError);
  });

  it("merges frequent pairs first: the most frequent word becomes one piece", () => {
    expect(vocab).toContain("the");
    expect(vocab).toContain("quick");
  });

  it("round-trips: every piece tokenizes to itself, and words rebuild from their pieces", () => {
    for (const piece of vocab.slice(SPECIAL_TOKENS.length)) {
      if (piece.startsWith("##")) expect(tok.wordPieces("a" + piece.slice(2)).at(-1)).toBeDefined();
      else expect(tok.wordPieces(piece)).toEqual([piece]);
    }
    for (const w of words.keys()) {
      const pieces = tok.wordPieces(w);
      expect(pieces).not.toContain("[UNK]");
      expect(pieces.map((p, i) => (i ? p.slice(2) : p)).join("")).toBe(w);
    }
    expect(tok.wordPieces("xyz")).toEqual(["[UNK]"]); // characters never seen
  });

  it("encodes messages to fixed-length rows with [CLS] … [SEP] and padding", () => {
    const ex: Example[] = [
      { id: "a", text: "the dog", label: 0 },
      { id: "b", text: texts.join(" "), label: 1 },
    ];
    const e = encodeExamples(tok, ex, 8);
    expect([...e.labels]).toEqual([0, 1]);
    const short = tok.tokenize("the dog").length + 2;
    expect(short).toBeLessThan(8);
    expect([...e.mask.subarray(0, 8)]).toEqual(Array.from({ length: 8 }, (_, i) => (i < short ? 1 : 0)));
    expect([...e.mask.subarray(8)]).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(e.ids[0]).toBe(tok.clsId);
    expect(e.ids[short - 1]).toBe(tok.sepId);
    expect(e.ids[15]).toBe(tok.sepId);
    expect(e.ids[short]).toBe(tok.padId);
  });
});
