// Offline model tooling: `train` reproduces the bundled model from the SpamAssassin corpus, `eval` scores a model
// directory on the test split. Progress goes to stderr; `eval --json` ends stdout with one JSON line.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadModel, saveModel } from "../model/directory.js";
import { loadCorpus, splitCorpus } from "./corpus.js";
import { evaluateModel } from "./evaluate.js";
import { initTf, type Backend } from "./tf.js";
import { DEFAULT_TRAIN, trainModel, type TrainOptions } from "./train.js";

const USAGE = `usage:
  train --out DIR [--preset tiny] [--hidden N] [--vocab 4096] [--max-length 128] [--epochs 3] [--prune-epochs 1]
        [--batch 32] [--lr 1e-3] [--warmup 0.06] [--weight-decay 0.01] [--dropout 0] [--prune-lr 2e-4] [--threshold-lr 2e-4] [--temperature 2e-3] [--lambda 0.5] [--alpha 0.2]
        [--seed 2025] [--limit N] [--backend wasm|cpu]
  eval --model DIR [--max-length 128] [--limit N] [--seed 2025] [--backend wasm|cpu] [--no-fixed] [--json]`;

function parseArgs(argv: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new RangeError(`unexpected argument "${a}"\n${USAGE}`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) m.set(a.slice(2), "true");
    else m.set(a.slice(2), argv[++i]);
  }
  return m;
}

function num(args: Map<string, string>, key: string, fallback: number): number {
  const v = args.get(key);
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!Number.isFinite(x)) throw new RangeError(`--${key} must be a number, got "${v}"`);
  return x;
}

const log = (line: string) => process.stderr.write(line + "\n");
const fileReader = (dir: string) => async (name: string) => readFile(join(dir, name)).then((b) => new Uint8Array(b), () => undefined);

async function train(args: Map<string, string>) {
  const out = args.get("out");
  if (!out) throw new RangeError(`train needs --out DIR\n${USAGE}`);
  const d = DEFAULT_TRAIN;
  const hidden = args.has("hidden") ? num(args, "hidden", 0) : undefined;
  const opts: TrainOptions = {
    preset: args.get("preset") ?? d.preset,
    overrides: hidden === undefined ? undefined : { hidden, intermediate: 4 * hidden },
    vocabSize: num(args, "vocab", d.vocabSize),
    maxLength: num(args, "max-length", d.maxLength),
    epochs: num(args, "epochs", d.epochs),
    pruneEpochs: num(args, "prune-epochs", d.pruneEpochs),
    batch: num(args, "batch", d.batch),
    learningRate: num(args, "lr", d.learningRate),
    warmup: num(args, "warmup", d.warmup),
    weightDecay: num(args, "weight-decay", d.weightDecay),
    dropout: num(args, "dropout", d.dropout),
    pruneLearningRate: num(args, "prune-lr", d.pruneLearningRate),
    thresholdLearningRate: num(args, "threshold-lr", d.thresholdLearningRate),
    temperature: num(args, "temperature", d.temperature),
    loss: { lambda: num(args, "lambda", d.loss.lambda), alpha: num(args, "alpha", d.loss.alpha) },
    seed: num(args, "seed", d.seed),
    limit: args.has("limit") ? num(args, "limit", 0) : undefined,
    backend: (args.get("backend") ?? d.backend) as Backend,
    log,
  };
  const t0 = performance.now();
  const { model, history } = await trainModel(opts);
  await mkdir(out, { recursive: true });
  await saveModel((name, data) => writeFile(join(out, name), data), model);
  const { log: _, ...hyper } = opts;
  log(`wrote ${out} in ${((performance.now() - t0) / 60000).toFixed(1)} min`);
  process.stdout.write(JSON.stringify({ hyperParameters: hyper, history, thresholds: model.thresholds ?? null }) + "\n");
}

async function evaluate(args: Map<string, string>) {
  const dir = args.get("model");
  if (!dir) throw new RangeError(`eval needs --model DIR\n${USAGE}`);
  await initTf((args.get("backend") ?? "wasm") as Backend);
  const model = await loadModel(fileReader(dir), dir);
  let test = splitCorpus(loadCorpus(), num(args, "seed", DEFAULT_TRAIN.seed)).test;
  if (args.has("limit")) test = test.slice(0, num(args, "limit", test.length));
  const t0 = performance.now();
  const report = await evaluateModel(model, test, num(args, "max-length", DEFAULT_TRAIN.maxLength), {
    fixedPoint: !args.has("no-fixed"),
    progress: (done) => {
      if (done % 50 === 0 || done === test.length) {
        const el = (performance.now() - t0) / 1000;
        log(`evaluated ${done}/${test.length} · ${el.toFixed(0)} s, about ${Math.ceil(((el / done) * (test.length - done)) / 60)} min left`);
      }
    },
  });
  if (args.has("json")) process.stdout.write(JSON.stringify(report) + "\n");
  else {
    const pct = (x: number | null) => (x === null ? "n/a" : `${(100 * x).toFixed(2)} %`);
    console.log(`test messages        ${report.examples} (${report.maxLength} tokens, ${report.realTokens.toFixed(1)} real on average)`);
    console.log(`accuracy float       ${pct(report.accuracy.float)}`);
    console.log(`accuracy fixed-point ${pct(report.accuracy.fixed)} (without pruning)`);
    console.log(`accuracy pruned      ${pct(report.accuracy.pruned)}`);
    console.log(`kept per layer       ${report.keptPerLayer.map((k) => k.toFixed(1)).join(" / ")}`);
    console.log(`pruned positions     ${pct(report.prunedShare)}`);
    console.log(`low-degree share     ${pct(report.lowDegreeShare)}`);
  }
}

const [cmd, ...rest] = process.argv.slice(2);
const run = cmd === "train" ? train : cmd === "eval" ? evaluate : undefined;
if (!run) {
  console.error(USAGE);
  process.exit(2);
}
run(parseArgs(rest)).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
