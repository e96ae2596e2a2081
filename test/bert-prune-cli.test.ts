// The command line with pruning, run from the compiled build (npm run build:ts): a model directory with
// thresholds.json and id2label prunes by default, prints kept/high/low per layer and the class name, and its logits
// and counts equal the fixed-point twin with the same thresholds; a client's --no-prune gets an unpruned pass from a pruning server.
// Also the id2label parsing of config.json. The model: one narrow layer (as test/cli.test.ts) at 64 tokens.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { presetModel } from "../src/cli/model.js";
import { RING } from "../src/model/quantize.js";
import { configFromHuggingFace, configToHuggingFace, presetConfig } from "../src/model/config.js";
import { saveModel, type Model } from "../src/model/directory.js";
import { fixedForward } from "../src/model/fixed.js";
import type { LayerTokens } from "../src/model/forward.js";
import { randomWeights } from "../src/model/weights.js";

const MAIN = new URL("../dist/src/cli/main.js", import.meta.url).pathname;
const SEQ = 64;

function run(args: string[], onStderr?: (text: string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => {
    stderr += b.toString();
    onStderr?.(stderr);
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

const text = "a great movie , not boring at all !";
let dir: string;
let model: Model;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cipherprune-prune-cli-"));
  const base = presetModel("tiny");
  const config = presetConfig("tiny", { layers: 1, hidden: 32, heads: 1, intermediate: 64, vocabSize: base.config.vocabSize, maxPositions: SEQ });
  const weights = randomWeights(config, 3);
  for (const l of [weights.pooler, weights.classifier]) for (let i = 0; i < l.weight.length; i++) l.weight[i] *= 8;
  const real = base.tokenizer.encode(text, SEQ).mask.reduce((a, b) => a + b, 0);
  // θ = 0 prunes exactly the padding (it receives no attention); β = the mean score sends the less attended half low.
  const thresholds = { theta: [0], beta: [1 / real] };
  model = { config: { ...config, labelNames: ["negative", "positive"] }, weights, tokenizer: base.tokenizer, thresholds };
  await saveModel((name, data) => writeFile(join(dir, name), data), model);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(dir + "-cache", { recursive: true, force: true });
});

describe("id2label", () => {
  it("names the classes, survives a save and reload, and is checked", () => {
    const c = presetConfig("tiny", { labels: 3, labelNames: ["a", "b", "c"] });
    const hf = configToHuggingFace(c);
    expect(hf.id2label).toEqual({ 0: "a", 1: "b", 2: "c" });
    expect(configFromHuggingFace(hf)).toEqual(c);
    expect(configFromHuggingFace({ ...hf, id2label: { 0: "x", 1: "y" } }).labels).toBe(2);
    expect(() => configFromHuggingFace({ ...hf, id2label: { 0: "x", 2: "y" } })).toThrow(/"id2label" .* "1"/);
    expect(() => configFromHuggingFace({ ...hf, id2label: ["x"] })).toThrow(/"id2label"/);
    expect(() => presetConfig("tiny", { labelNames: ["a"] })).toThrow(/1 label names for 2 labels/);
  });
});

describe("cipherprune infer with pruning", () => {
  it("prunes by default: logits and kept/high/low equal the pruned twin; the class name is shown", async () => {
    const d = await run(["infer", "--text", text, "--model", dir, "--seq", String(SEQ), "--json"]);
    expect(d.code, d.stderr).toBe(0);
    const lines = d.stdout.trim().split("\n");
    const out = JSON.parse(lines[lines.length - 1]) as { logits: number[]; label: number; labelName: string; kept: (LayerTokens & { layer: number })[] };
    const enc = model.tokenizer.encode(text, SEQ);
    const tokens: LayerTokens[] = [];
    const twin = await fixedForward(model.weights, RING, enc.ids, enc.mask, { thresholds: model.thresholds, onLayer: (_, __, t) => tokens.push(t) });
    expect(out.logits).toEqual(Array.from(twin));
    expect(out.kept).toEqual(tokens.map((t, layer) => ({ layer, ...t })));
    const real = enc.mask.reduce((a, b) => a + b, 0);
    expect(out.kept[0].kept).toBe(real);
    expect(out.kept[0].low).toBeGreaterThan(0);
    expect(out.labelName).toBe(["negative", "positive"][out.label]);
  }, 240_000);

  it("--no-prune on the client: a pruning server runs the unpruned pass, and the counts are all n", async () => {
    let seen: (port: string) => void = () => {};
    const port = new Promise<string>((resolve) => (seen = resolve));
    const server = run(["serve", "--model", dir, "--port", "0", "--seq", String(SEQ), "--once"], (e) => {
      const m = /on 127\.0\.0\.1:(\d+)/.exec(e);
      if (m) seen(m[1]);
    });
    const client = await run(["infer", "--connect", `127.0.0.1:${await port}`, "--text", text, "--seq", String(SEQ), "--no-prune", "--json", "--cache", dir + "-cache"]);
    expect(client.code, client.stderr).toBe(0);
    expect((await server).code).toBe(0);
    const lines = client.stdout.trim().split("\n");
    const out = JSON.parse(lines[lines.length - 1]) as { logits: number[]; kept: (LayerTokens & { layer: number })[] };
    expect(out.kept).toEqual([{ layer: 0, kept: SEQ, high: SEQ, low: 0 }]);
    const enc = model.tokenizer.encode(text, SEQ);
    expect(out.logits).toEqual(Array.from(await fixedForward(model.weights, RING, enc.ids, enc.mask)));
  }, 120_000);
});
