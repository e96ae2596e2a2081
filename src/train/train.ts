// Training from scratch on the SpamAssassin split, then threshold learning: the soft masks M_θ, M_β join the forward
// pass and θ_l, β_l are learned together with the weights (src/train/loss.ts). Progress and time estimates go to `log`.
import { presetConfig, type BertConfig } from "../model/config.js";
import type { Model } from "../model/directory.js";
import { WordPieceTokenizer } from "../model/tokenizer.js";
import { randomWeights } from "../model/weights.js";
import { LABEL_NAMES, loadCorpus, seededRandom, shuffled, splitCorpus, type Example } from "./corpus.js";
import { encodeExamples, selectRows, type Encoded } from "./dataset.js";
import { pruningLoss, taskLoss, type LossWeights } from "./loss.js";
import { AdamW, warmupLinearDecay } from "./optimizer.js";
import { initTf, tf, type Backend } from "./tf.js";
import { forwardTf, paramsFromWeights, weightsFromParams, type Params, type Pruning } from "./tfmodel.js";
import { countWords, learnVocab } from "./vocab.js";

export interface TrainOptions {
  preset: string;
  /** Overrides of the preset (e.g. a smaller hidden width). */
  overrides?: Partial<BertConfig>;
  vocabSize: number;
  /** Tokens per input, [CLS] and [SEP] included. */
  maxLength: number;
  /** Epochs of plain task training. */
  epochs: number;
  /** Further epochs with the soft masks and learned thresholds. */
  pruneEpochs: number;
  batch: number;
  /** Peak learning rate of the task epochs: linear warm-up, then linear decay to 0 at their end. */
  learningRate: number;
  /** Share of the task steps spent warming up. */
  warmup: number;
  /** Dropout rate during training (0 = none). */
  dropout: number;
  /** Decoupled weight decay (AdamW) on the weight matrices. */
  weightDecay: number;
  /** Constant learning rate of the weights during the pruning epochs. */
  pruneLearningRate: number;
  thresholdLearningRate: number;
  /** Soft-mask temperature T. */
  temperature: number;
  loss: LossWeights;
  seed: number;
  /** Use only the first `limit` training examples (quick runs). */
  limit?: number;
  backend: Backend;
  log: (line: string) => void;
}

export const DEFAULT_TRAIN: Omit<TrainOptions, "log"> = {
  preset: "tiny",
  vocabSize: 4096,
  maxLength: 128,
  epochs: 3,
  pruneEpochs: 1,
  batch: 32,
  learningRate: 1e-3,
  warmup: 0.06,
  weightDecay: 0.01,
  dropout: 0,
  pruneLearningRate: 2e-4,
  thresholdLearningRate: 2e-4,
  temperature: 2e-3,
  loss: { lambda: 0.5, alpha: 0.2 },
  seed: 2025,
  backend: "wasm",
};

export interface EpochStats {
  /** 0 = before training. */
  epoch: number;
  phase: "init" | "task" | "prune";
  trainLoss: number;
  validationLoss: number;
  validationAccuracy: number;
  seconds: number;
}

/** Vocabulary and tokenizer learned from the training texts. */
function tokenizerFor(train: readonly Example[], vocabSize: number): WordPieceTokenizer {
  const vocab = learnVocab(countWords(train.map((e) => e.text)), { size: vocabSize });
  return new WordPieceTokenizer(new Map(vocab.map((t, i) => [t, i])));
}

/** Tensors of the rows [from, from + count) of an encoded set (by default all of them), without copying them first. */
export function batchTensors(b: Encoded, from = 0, count = b.count - from) {
  const [start, end] = [from * b.length, (from + count) * b.length];
  return {
    ids: tf.tensor2d(b.ids.subarray(start, end), [count, b.length], "int32"),
    mask: tf.tensor2d(b.mask.subarray(start, end), [count, b.length], "float32"),
    labels: tf.tensor1d(b.labels.subarray(from, from + count), "float32"),
  };
}

/** Mean task loss and accuracy on a set, in batches, without gradients (hard masks when pruning is given). */
export function validate(P: Params, config: BertConfig, data: Encoded, batch: number, pruning?: Pruning): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  for (let s = 0; s < data.count; s += batch) {
    const count = Math.min(batch, data.count - s);
    const [l, c] = tf.tidy(() => {
      const t = batchTensors(data, s, count);
      const f = forwardTf(P, config, t.ids, t.mask, pruning && { ...pruning, hard: true, lowDegree: false });
      const ce = taskLoss(f.logits, t.labels);
      const ok = tf.sum(tf.cast(tf.equal(tf.argMax(f.logits, 1), tf.cast(t.labels, "int32")), "float32"));
      return [ce.dataSync()[0] * count, ok.dataSync()[0]];
    });
    loss += l;
    correct += c;
  }
  return { loss: loss / data.count, accuracy: correct / data.count };
}

export interface TrainResult {
  model: Model;
  history: EpochStats[];
  /** Seconds per epoch of task training (the first epoch), for time estimates. */
  secondsPerEpoch: number;
}

export async function trainModel(opts: TrainOptions): Promise<TrainResult> {
  await initTf(opts.backend);
  const { log } = opts;
  const split = splitCorpus(loadCorpus(), opts.seed);
  const trainSet = opts.limit ? split.train.slice(0, opts.limit) : split.train;
  log(`corpus: ${split.train.length} train / ${split.validation.length} validation / ${split.test.length} test messages${opts.limit ? ` (training on ${trainSet.length})` : ""}`);
  const tokenizer = tokenizerFor(trainSet, opts.vocabSize);
  const config = presetConfig(opts.preset, { ...opts.overrides, vocabSize: tokenizer.vocab.size, maxPositions: opts.maxLength, labels: LABEL_NAMES.length, labelNames: [...LABEL_NAMES] });
  const train = encodeExamples(tokenizer, trainSet, opts.maxLength);
  const val = encodeExamples(tokenizer, opts.limit ? split.validation.slice(0, Math.max(64, opts.limit >> 2)) : split.validation, opts.maxLength);
  const P = paramsFromWeights(randomWeights(config, opts.seed));
  const weightVars = [...P.values()];
  const theta = tf.variable(tf.zeros([config.layers]) as tf.Tensor1D, true, "theta");
  const beta = tf.variable(tf.fill([config.layers], opts.temperature * 5) as tf.Tensor1D, true, "beta");
  const optW = new AdamW(weightVars, { weightDecay: opts.weightDecay });
  const optT = tf.train.adam(opts.thresholdLearningRate);
  const random = seededRandom(opts.seed + 1);
  const history: EpochStats[] = [];
  const steps = Math.ceil(train.count / opts.batch);
  const totalEpochs = opts.epochs + opts.pruneEpochs;
  const taskSteps = steps * opts.epochs;
  const warmupSteps = Math.round(opts.warmup * taskSteps);
  let secondsPerEpoch = 0;
  const v0 = validate(P, config, val, 64);
  history.push({ epoch: 0, phase: "init", trainLoss: NaN, validationLoss: v0.loss, validationAccuracy: v0.accuracy, seconds: 0 });
  for (let epoch = 1; epoch <= totalEpochs; epoch++) {
    const phase = epoch <= opts.epochs ? "task" : "prune";
    const pruning: Pruning | undefined = phase === "prune" ? { theta, beta, temperature: opts.temperature, lowDegree: true } : undefined;
    const order = shuffled(Array.from({ length: train.count }, (_, i) => i), random);
    const t0 = performance.now();
    let lossSum = 0;
    for (let s = 0; s < steps; s++) {
      const step = (epoch - 1) * steps + s;
      const rows = order.slice(s * opts.batch, (s + 1) * opts.batch);
      const parts = tf.tidy(() => {
        const t = batchTensors(selectRows(train, rows));
        let prune = 0;
        let approx = 0;
        const f = () => {
          const out = forwardTf(P, config, t.ids, t.mask, pruning, { rate: opts.dropout, seed: opts.seed + step });
          const l = pruningLoss(out.logits, t.labels, out.keep, out.highDegree, t.mask, opts.loss);
          prune = l.prune.dataSync()[0];
          approx = l.approx.dataSync()[0];
          return l.total;
        };
        const { value, grads } = tf.variableGrads(f, pruning ? [...weightVars, theta, beta] : weightVars);
        // Gradients are keyed by variable name: the thresholds go to their own optimizer (another learning rate).
        const { theta: gT, beta: gB, ...gW } = grads as unknown as Record<string, tf.Variable>;
        const lr = phase === "task" ? warmupLinearDecay(step, taskSteps, opts.learningRate, warmupSteps) : opts.pruneLearningRate;
        optW.step(gW, lr);
        if (pruning) optT.applyGradients({ theta: gT, beta: gB });
        return { loss: value.dataSync()[0], prune, approx };
      });
      lossSum += parts.loss;
      const done = s + 1;
      if (done % 10 === 0 || done === steps) {
        const el = (performance.now() - t0) / 1000;
        const left = (el / done) * (steps - done) + (el / done) * steps * (totalEpochs - epoch);
        const extra = pruning ? ` keep ${parts.prune.toFixed(3)} high ${parts.approx.toFixed(3)} θ [${fmt(theta)}] β [${fmt(beta)}]` : "";
        log(`epoch ${epoch}/${totalEpochs} (${phase}) step ${done}/${steps} loss ${(lossSum / done).toFixed(4)}${extra} · ${el.toFixed(0)} s, about ${Math.ceil(left / 60)} min left`);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    if (epoch === 1) secondsPerEpoch = seconds;
    const v = validate(P, config, val, 64, pruning);
    history.push({ epoch, phase, trainLoss: lossSum / steps, validationLoss: v.loss, validationAccuracy: v.accuracy, seconds });
    log(`epoch ${epoch} done in ${seconds.toFixed(0)} s: validation loss ${v.loss.toFixed(4)}, accuracy ${(100 * v.accuracy).toFixed(2)} %`);
  }
  const th = Array.from(theta.dataSync());
  const thresholds = opts.pruneEpochs > 0 ? { theta: th, beta: Array.from(beta.dataSync(), (b, l) => Math.max(b, th[l])) } : undefined;
  const model: Model = { config, weights: weightsFromParams(config, P), tokenizer, thresholds };
  for (const v of [...weightVars, theta, beta]) v.dispose();
  optW.dispose();
  optT.dispose();
  return { model, history, secondsPerEpoch };
}

const fmt = (v: tf.Variable) => Array.from(v.dataSync(), (x) => x.toExponential(2)).join(", ");
