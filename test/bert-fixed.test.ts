// The fixed-point twin against the float reference on small random models: logits within a stated bound.
import { describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { presetConfig } from "../src/model/config.js";
import { fixedForward } from "../src/model/fixed.js";
import { quantize, WEIGHT_BITS } from "../src/model/quantize.js";
import { forward } from "../src/model/reference.js";
import { randomWeights, type BertWeights } from "../src/model/weights.js";

const ring = new Ring(37, 12);
const cfg = presetConfig("tiny", { vocabSize: 200, maxPositions: 64, labels: 3 });
/**
 * Stated bound on |fixed − float| per logit for these models: the approximations (GELU 9.4e-3, tanh 6.6e-3 and
 * the exp and reciprocal tables, DESIGN.md §7) and 2^-12 rounding at every truncation; measured up to 7.6e-3 on
 * logits of about ±0.5 (the pooler's 8× weights amplify the hidden-state error).
 */
const BOUND = 0.02;

/** Pooler and classifier weights scaled up so that the logits span about ±1 (random BERT ones are ≈ ±0.05). */
function widened(seed: number): BertWeights {
  const w = randomWeights(cfg, seed);
  for (const l of [w.pooler, w.classifier]) for (let i = 0; i < l.weight.length; i++) l.weight[i] *= 8;
  return w;
}

function input(n: number, real: number, seed: number) {
  const ids = Int32Array.from({ length: n }, (_, i) => (i === 0 ? 2 : (i * 37 + seed * 11) % cfg.vocabSize));
  const mask = Uint8Array.from({ length: n }, (_, i) => (i < real ? 1 : 0));
  return { ids, mask };
}

describe("fixed-point BERT twin", () => {
  it.each([
    [1, 16, 11],
    [2, 16, 16],
    [3, 8 + 5, 1],
  ])("seed %i, %i tokens (%i real): logits within the bound of float, same label", async (seed, n, real) => {
    const w = widened(seed);
    const { ids, mask } = input(n, real, seed);
    const fx = await fixedForward(w, ring, ids, mask);
    const fl = forward(w, ids, mask).logits;
    expect(fx.length).toBe(cfg.labels);
    let worst = 0;
    fx.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - fl[i]))));
    expect(worst).toBeLessThan(BOUND);
    const argmax = (a: ArrayLike<number>) => Array.from(a).reduce((b, v, i, all) => (v > all[b] ? i : b), 0);
    const sorted = Array.from(fl).sort((a, b) => b - a);
    if (sorted[0] - sorted[1] > 2 * BOUND) expect(argmax(fx)).toBe(argmax(fl));
  }, 30_000);

  it("padding does not change the logits of the real tokens", async () => {
    const w = widened(4);
    const a = input(16, 9, 4);
    const short = { ids: a.ids.slice(0, 9), mask: a.mask.slice(0, 9) };
    const long = await fixedForward(w, ring, a.ids, a.mask);
    const ref = forward(w, short.ids, short.mask).logits;
    long.forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThan(BOUND));
  }, 30_000);

  it("quantisation rejects a weight beyond the signed weight width, naming it", () => {
    const w = randomWeights(cfg, 5);
    w.layers[1].ffnOut.weight[7] = 2 ** (WEIGHT_BITS - 1 - ring.scale);
    expect(() => quantize(w, ring)).toThrow(/layer\.1\.output\.dense\.weight\[0\]\[7\]/);
  });
});
