import { describe, expect, it } from "vitest";
import { configFromHuggingFace, configToHuggingFace, presetConfig, PRESETS } from "../src/model/config.js";
import { readSafetensors, writeSafetensors } from "../src/model/safetensors.js";
import { basicTokenize, WordPieceTokenizer } from "../src/model/tokenizer.js";
import { forward } from "../src/model/reference.js";
import { erf, geluFloat as gelu } from "../src/nonlinear/gelu.js";
import { randomWeights, weightsFromTensors, weightsToTensors } from "../src/model/weights.js";
import { loadModel, parseThresholds, saveModel } from "../src/model/directory.js";

describe("config", () => {
  it("has the standard presets", () => {
    expect(PRESETS.base).toMatchObject({ layers: 12, hidden: 768, heads: 12, intermediate: 3072 });
    expect(PRESETS.tiny).toMatchObject({ layers: 2, hidden: 128, heads: 2 });
    expect(() => presetConfig("huge")).toThrow(/unknown model preset "huge"/);
  });

  it("round-trips a Hugging Face config.json and names bad fields", () => {
    const c = presetConfig("mini", { labels: 3 });
    expect(configFromHuggingFace(configToHuggingFace(c))).toEqual(c);
    const bad = { ...configToHuggingFace(c), hidden_size: 250 };
    expect(() => configFromHuggingFace(bad)).toThrow(/not a multiple of the head count/);
    expect(() => configFromHuggingFace({ ...configToHuggingFace(c), num_hidden_layers: "4" })).toThrow(/"num_hidden_layers"/);
    expect(() => configFromHuggingFace({ ...configToHuggingFace(c), hidden_act: "relu" })).toThrow(/hidden_act/);
  });
});

describe("safetensors", () => {
  it("writes and reads back a model exactly", () => {
    const w = randomWeights(presetConfig("tiny", { vocabSize: 50, maxPositions: 16 }), 7);
    const bytes = writeSafetensors(weightsToTensors(w));
    const back = weightsFromTensors(w.config, readSafetensors(bytes));
    expect(back.layers[1].ffnIn.weight).toEqual(w.layers[1].ffnIn.weight);
    expect(back.classifier.bias).toEqual(w.classifier.bias);
  });

  it("reads F16 and BF16", () => {
    const header = JSON.stringify({ a: { dtype: "F16", shape: [2], data_offsets: [0, 4] }, b: { dtype: "BF16", shape: [1], data_offsets: [4, 6] } });
    const h = new TextEncoder().encode(header);
    const buf = new Uint8Array(8 + h.length + 6);
    const v = new DataView(buf.buffer);
    v.setBigUint64(0, BigInt(h.length), true);
    buf.set(h, 8);
    v.setUint16(8 + h.length, 0x3c00, true); // 1.0
    v.setUint16(8 + h.length + 2, 0xc000, true); // -2.0
    v.setUint16(8 + h.length + 4, 0x3fc0, true); // 1.5 in bfloat16
    const t = readSafetensors(buf);
    expect(Array.from(t.get("a")!.data)).toEqual([1, -2]);
    expect(Array.from(t.get("b")!.data)).toEqual([1.5]);
  });

  it("names the problem in malformed files", () => {
    expect(() => readSafetensors(new Uint8Array(3))).toThrow(/too short/);
    const w = randomWeights(presetConfig("tiny", { vocabSize: 50, maxPositions: 16 }), 7);
    const bytes = writeSafetensors(weightsToTensors(w));
    expect(() => readSafetensors(bytes.subarray(0, 100))).toThrow(/header length/);
    expect(() => readSafetensors(bytes.subarray(0, bytes.length - 4))).toThrow(/data_offsets/);
    const tensors = weightsToTensors(w);
    tensors.set("classifier.weight", { shape: [3, 128], data: new Float32Array(384) });
    expect(() => weightsFromTensors(w.config, readSafetensors(writeSafetensors(tensors)))).toThrow(/"classifier.weight" has shape \[3,128\], the config needs \[2,128\]/);
    tensors.delete("bert.pooler.dense.bias");
    expect(() => weightsFromTensors(w.config, tensors)).toThrow(/"bert.pooler.dense.bias" is missing|classifier.weight/);
  });
});

describe("WordPiece tokenizer", () => {
  const vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world", "un", "##aff", "##able", ",", "!", "the", "cat", "##s", "naive"];
  const tok = WordPieceTokenizer.fromVocabText(vocab.join("\n") + "\n");

  it("splits punctuation, lower-cases and strips accents as BERT uncased does", () => {
    expect(basicTokenize("Héllo,  World!\tNAÏVE")).toEqual(["hello", ",", "world", "!", "naive"]);
    expect(basicTokenize("a\u0000b 中文")).toEqual(["ab", "中", "文"]);
  });

  it("matches known WordPiece tokenizations", () => {
    expect(tok.tokenize("unaffable")).toEqual(["un", "##aff", "##able"]);
    expect(tok.tokenize("The cats, hello!")).toEqual(["the", "cat", "##s", ",", "hello", "!"]);
    expect(tok.tokenize("dogs")).toEqual(["[UNK]"]);
  });

  it("encodes with [CLS]/[SEP], padding and a mask, and refuses text that does not fit", () => {
    const e = tok.encode("hello world", 6);
    expect(Array.from(e.ids)).toEqual([2, 4, 5, 3, 0, 0]);
    expect(Array.from(e.mask)).toEqual([1, 1, 1, 1, 0, 0]);
    expect(() => tok.encode("hello world hello", 4)).toThrow(/5 tokens .* longer than the maximum 4/);
    expect(tok.encode("hello world hello", 4, { truncate: true }).tokens).toEqual(["[CLS]", "hello", "world", "[SEP]"]);
    expect(() => WordPieceTokenizer.fromVocabText("a\nb\n")).toThrow(/\[CLS\]/);
  });
});

describe("float reference", () => {
  it("computes erf and GELU to double precision", () => {
    const cases: [number, number][] = [[0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [3, 0.9999779095030014], [-1, -0.8427007929497149]];
    for (const [x, v] of cases) expect(Math.abs(erf(x) - v)).toBeLessThan(1e-14);
    expect(gelu(1)).toBeCloseTo(0.8413447460685429, 14);
    expect(gelu(-3)).toBeCloseTo(-0.004049694094890144, 14);
  });

  it("runs a random tiny model; a threshold below every score changes nothing, a high one keeps only [CLS]", () => {
    const w = randomWeights(presetConfig("tiny", { vocabSize: 50, maxPositions: 16 }), 3);
    const ids = Int32Array.from([2, 10, 11, 12, 13, 3, 0, 0]);
    const mask = Uint8Array.from([1, 1, 1, 1, 1, 1, 0, 0]);
    const plain = forward(w, ids, mask);
    expect(plain.logits.length).toBe(2);
    expect(plain.tokensPerLayer).toEqual([8, 8, 8]);
    const keepAll = forward(w, ids, mask, { thresholds: [-1, -1] });
    expect(Array.from(keepAll.logits)).toEqual(Array.from(plain.logits));
    expect(forward(w, ids, mask, { thresholds: [1, 1] }).tokensPerLayer).toEqual([8, 1, 1]);
    expect(() => forward(w, Int32Array.from([2, 99]), Uint8Array.from([1, 1]))).toThrow(/token id 99 at position 1/);
  });
});

describe("model directory", () => {
  const vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world"];
  const memoryDir = () => {
    const files = new Map<string, Uint8Array>();
    return {
      files,
      read: async (name: string) => files.get(name),
      write: async (name: string, data: Uint8Array) => void files.set(name, data),
    };
  };

  it("saves and loads a model with thresholds", async () => {
    const config = presetConfig("tiny", { vocabSize: vocab.length, maxPositions: 16 });
    const model = {
      config,
      weights: randomWeights(config, 5),
      tokenizer: WordPieceTokenizer.fromVocabText(vocab.join("\n")),
      thresholds: { theta: [0.01, 0.02], beta: [0.05, 0.05] },
    };
    const dir = memoryDir();
    await saveModel(dir.write, model);
    const back = await loadModel(dir.read);
    expect(back.config).toEqual(config);
    expect(back.thresholds).toEqual(model.thresholds);
    expect(back.tokenizer.encode("hello world", 5).tokens).toEqual(["[CLS]", "hello", "world", "[SEP]"]);
    expect(back.weights.layers[0].query.weight).toEqual(model.weights.layers[0].query.weight);
  });

  it("names the missing file or bad field", async () => {
    const dir = memoryDir();
    await expect(loadModel(dir.read, "m")).rejects.toThrow("m: config.json not found");
    dir.files.set("config.json", new TextEncoder().encode("{"));
    await expect(loadModel(dir.read, "m")).rejects.toThrow(/m\/config.json/);
    expect(() => parseThresholds({ theta: [0.1], beta: [0.05] }, 1)).toThrow(/beta\[0\] = 0.05 is below theta\[0\]/);
    expect(() => parseThresholds({ theta: [0.1, 0.2], beta: [0.3] }, 2)).toThrow(/"beta" must be a list of 2/);
  });
});
