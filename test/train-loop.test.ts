import { describe, expect, it } from "vitest";
import { loadCorpus, splitCorpus } from "../src/train/corpus.js";
import { encodeExamples } from "../src/train/dataset.js";
import { evaluateModel } from "../src/train/evaluate.js";
import { tf } from "../src/train/tf.js";
import { paramsFromWeights } from "../src/train/tfmodel.js";
import { DEFAULT_TRAIN, trainModel, validate } from "../src/train/train.js";

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
    expect(model.config.labelNames).toEqual(["ham", "spam"]);
    expect(model.tokenizer.vocab.size).toBe(300);
    expect(model.thresholds!.theta).toHaveLength(2);
    model.thresholds!.beta.forEach((b, l) => expect(b).toBeGreaterThanOrEqual(model.thresholds!.theta[l]));
    expect(model.thresholds!.theta.some((t) => t !== 0)).toBe(true);
    expect(lines.some((l) => /min left/.test(l))).toBe(true);

    // Evaluation: the reference's accuracy equals the TensorFlow.js twin's on the same inputs, pruning included.
    const examples = splitCorpus(loadCorpus(), DEFAULT_TRAIN.seed).validation.slice(0, 24);
    const report = await evaluateModel(model, examples, 32, { fixedPoint: false });
    const P = paramsFromWeights(model.weights);
    const data = encodeExamples(model.tokenizer, examples, 32);
    const th = model.thresholds!;
    const pruning = { theta: tf.tensor1d(th.theta), temperature: 1 };
    expect(report.accuracy.float).toBeCloseTo(validate(P, model.config, data, 8).accuracy, 10);
    expect(report.accuracy.pruned).toBeCloseTo(validate(P, model.config, data, 8, pruning).accuracy, 10);
    expect(report.accuracy.fixed).toBeNull();
    expect(report.keptPerLayer).toHaveLength(2);
    expect(report.keptPerLayer[1]).toBeLessThanOrEqual(report.keptPerLayer[0]);
    expect(report.keptPerLayer[0]).toBeLessThanOrEqual(32);
    expect(report.prunedShare).toBeCloseTo(1 - (report.keptPerLayer[0] + report.keptPerLayer[1]) / 64, 10);
    expect(report.lowDegreeShare).toBeGreaterThanOrEqual(0);
    expect(report.lowDegreeShare).toBeLessThanOrEqual(1);
  }, 90_000);
});
