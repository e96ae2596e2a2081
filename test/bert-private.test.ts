// The private two-party inference equals the fixed-point twin exactly on small random BERTs, and its channel scopes
// give a per-stage breakdown: the tiny preset narrowed to one layer of width 32 (2 heads, FFN 64) at 64 tokens; the
// tiny preset itself (2 layers, width 128); an odd shape (3 heads, width 96, FFN 160).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import type { HeBackend } from "../src/he/backend.js";
import { presetConfig } from "../src/model/config.js";
import { fixedForward } from "../src/model/fixed.js";
import { clientData } from "../src/model/forward.js";
import { privateInference, setupPrivate } from "../src/model/private.js";
import { quantize } from "../src/model/quantize.js";
import { summarizeStages } from "../src/model/stages.js";
import { randomWeights } from "../src/model/weights.js";
import { makePair, type Pair } from "./mpc-util.js";

const ring = new Ring(37, 12);
const cfg = presetConfig("tiny", { layers: 1, hidden: 32, heads: 2, intermediate: 64, vocabSize: 120, maxPositions: 64 });
const n = 64;
const w = randomWeights(cfg, 7);
for (const l of [w.pooler, w.classifier]) for (let i = 0; i < l.weight.length; i++) l.weight[i] *= 8;
const fixed = quantize(w, ring);

describe("private BERT inference", () => {
  let pair: Pair;
  let he: [HeBackend, HeBackend];

  beforeAll(async () => {
    pair = await makePair();
    he = await pair.both((p) => setupPrivate(p, cfg, n, ring));
  }, 120_000);

  afterAll(async () => {
    for (const b of he ?? []) await b.close();
  });

  const run = (ids: Int32Array, mask: Uint8Array, onLayer?: (d: number, t: number) => void) =>
    pair.both((p) =>
      p.isServer
        ? privateInference(p, he[0], ring, cfg, n, { weights: fixed })
        : privateInference(p, he[1], ring, cfg, n, { data: clientData(w, ids, mask, ring) }, { onLayer }),
    );

  it.each([
    ["full", Int32Array.from({ length: n }, (_, i) => (i * 37 + 2) % cfg.vocabSize), n],
    ["padded", Int32Array.from({ length: n }, (_, i) => (i < 5 ? [2, 5, 77, 119, 3][i] : 0)), 5],
  ])("%s input: the client's logits equal the fixed-point twin; the server learns none", async (_, ids, real) => {
    const mask = Uint8Array.from({ length: n }, (_, i) => (i < real ? 1 : 0));
    const progress: number[] = [];
    const [server, client] = await run(ids, mask, (d) => progress.push(d));
    expect(server).toBeUndefined();
    expect(client).toEqual(await fixedForward(w, ring, ids, mask, { fixed }));
    expect(progress).toEqual([1]);
  }, 150_000);

  it("per-stage breakdown: every stage of every layer is counted", () => {
    const sum = summarizeStages(pair.client.ch.scopes());
    for (const st of ["input", "qkv", "scores", "softmax", "context", "attnOut", "norm1", "ffnIn", "gelu", "ffnOut", "norm2", "pooler", "tanh", "classifier", "output"]) {
      expect(sum.stages[st], st).toBeDefined();
      expect(sum.stages[st].bytes, st).toBeGreaterThan(0);
    }
    expect(sum.layers).toHaveLength(cfg.layers);
    // A layer's total covers its stages.
    const inLayers = ["qkv", "softmax", "gelu"].reduce((a, st) => a + sum.stages[st].bytes, 0);
    expect(sum.layers.reduce((a, c) => a + c.bytes, 0)).toBeGreaterThan(inLayers);
  });
});

describe.each([
  { name: "tiny preset", cfg: presetConfig("tiny", { vocabSize: 120, maxPositions: 32 }), n: 32, kind: "simd" as const },
  { name: "3 heads, width 96", cfg: presetConfig("tiny", { layers: 1, hidden: 96, heads: 3, intermediate: 160, vocabSize: 120, maxPositions: 24 }), n: 24, kind: "simd" as const },
])("private BERT, $name on the $kind backend", ({ cfg: c, n: len, kind }) => {
  it("equals the fixed-point twin exactly", async () => {
    const weights = randomWeights(c, 11);
    const q = quantize(weights, ring);
    const pair = await makePair();
    const he = await pair.both((p) => setupPrivate(p, c, len, ring, { kind }));
    try {
      const ids = Int32Array.from({ length: len }, (_, i) => (i * 53 + 1) % c.vocabSize);
      const mask = Uint8Array.from({ length: len }, (_, i) => (i < len - 3 ? 1 : 0));
      const [server, client] = await pair.both((p) =>
        p.isServer
          ? privateInference(p, he[0], ring, c, len, { weights: q })
          : privateInference(p, he[1], ring, c, len, { data: clientData(weights, ids, mask, ring) }),
      );
      expect(server).toBeUndefined();
      expect(client).toEqual(await fixedForward(weights, ring, ids, mask, { fixed: q }));
    } finally {
      for (const b of he) await b.close();
    }
  }, 300_000);
});
