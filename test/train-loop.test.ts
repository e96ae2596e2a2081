import { describe, expect, it } from "vitest";
import { DEFAULT_TRAIN, trainModel } from "../src/train/train.js";

describe("training", () => {
  it("a short run on a small subset lowers the validation loss and learns thresholds", async () => {
    const lines: string[] = [];
    const { model, history } = await trainModel({
      ...DEFAULT_TRAIN,
      overrides: { hidden: 16, heads: 2, intermediate: 64, layers: 2 },
      vocabSize: 300,
      maxLength: 32,
      epochs: 3,
      pruneEpochs: 1,
      batch: 16,
      learningRate: 3e-3,
      limit: 96,
      log: (l) => lines.push(l),
    });
    expect(history.map((h) => h.phase)).toEqual(["init", "task", "task", "task", "prune"]);
    const best = Math.min(...history.slice(1).map((h) => h.validationLoss));
    expect(best).toBeLessThan(history[0].validationLoss);
    expect(model.config.maxPositions).toBe(32);
    expect(model.tokenizer.vocab.size).toBe(300);
    expect(model.thresholds!.theta).toHaveLength(2);
    model.thresholds!.beta.forEach((b, l) => expect(b).toBeGreaterThanOrEqual(model.thresholds!.theta[l]));
    expect(model.thresholds!.theta.some((t) => t !== 0)).toBe(true);
    expect(lines.some((l) => /min left/.test(l))).toBe(true);
  }, 60_000);
});
