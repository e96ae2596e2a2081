// Kept-token schedules for bench:table1 and the thresholds that make the fixed-point twin follow one exactly. The
// costs of a private pass depend only on the public per-layer counts, so a random model gives honest cost figures
// once its counts follow a real schedule.
import type { Ring } from "../src/core/ring.js";
import type { Lanes } from "../src/nonlinear/engine.js";
import { PlainBert } from "../src/model/fixed.js";
import { bertPass, clientData, type LayerThresholds, type LayerTokens, type PrunedRows, type PruneThresholds } from "../src/model/forward.js";
import type { FixedBert } from "../src/model/quantize.js";
import type { BertConfig } from "../src/model/config.js";
import { randomWeights, type BertWeights } from "../src/model/weights.js";

/** CipherPrune's BERT-base schedule at 128 tokens: the tokens entering layers 0..11 (the paper's repository README). */
export const BASE_SCHEDULE: readonly number[] = [128, 55, 54, 52, 49, 45, 24, 14, 5, 2, 1, 1];

/**
 * The tokens entering each of `layers` layers at n tokens: the base schedule's kept fractions K/128, stretched over
 * the depth by relative layer position (linear interpolation between the two nearest base layers) and scaled to n.
 */
export function stretchSchedule(layers: number, n: number, base: readonly number[] = BASE_SCHEDULE): number[] {
  const last = base.length - 1;
  return Array.from({ length: layers }, (_, l) => {
    const t = layers === 1 ? 0 : (l * last) / (layers - 1);
    const i = Math.min(Math.floor(t), last - 1);
    const frac = (base[i] + (t - i) * (base[i + 1] - base[i])) / base[0];
    return l === 0 ? n : Math.max(1, Math.round(frac * n));
  });
}

/** Checks a schedule: one count per layer, the first n, never rising, at least 1. */
export function checkSchedule(s: readonly number[], layers: number, n: number): number[] {
  if (s.length !== layers) throw new RangeError(`the schedule needs ${layers} counts (one per layer), got ${s.length}`);
  if (s[0] !== n) throw new RangeError(`the schedule must start with the sequence length ${n}, got ${s[0]}`);
  s.forEach((k, l) => {
    if (!Number.isInteger(k) || k < 1 || (l > 0 && k > s[l - 1])) throw new RangeError(`schedule[${l}] = ${k}: counts must be integers ≥ 1 that never rise`);
  });
  return [...s];
}

/** What one layer's pruning leaves: `kept` tokens ([CLS] included), `low` of them on the low-degree path. */
export interface Target {
  kept: number;
  low: number;
}

/**
 * Layer l keeps the count entering layer l + 1 (the last layer keeps its own), and round(share·kept) of those take
 * the low-degree path ([CLS] never does).
 */
export function layerTargets(schedule: readonly number[], lowShare: number): Target[] {
  if (!(lowShare >= 0 && lowShare <= 1)) throw new RangeError(`the low-degree share must be in [0, 1], got ${lowShare}`);
  return schedule.map((_, l) => {
    const kept = schedule[Math.min(l + 1, schedule.length - 1)];
    return { kept, low: Math.min(kept - 1, Math.round(lowShare * kept)) };
  });
}

/** A count the scores cannot give: two scores at the cut are equal (or would have to be). */
export class UnreachableCount extends RangeError {
  override name = "UnreachableCount";
}

/** Where a layer's thresholds cut: c of the ranked non-[CLS] scores lie above each of θ and β. */
function cuts(t: Target): number[] {
  return [t.kept - 1, t.kept - 1 - t.low];
}

/**
 * Each tier's attention weight is at least this much above the one below: the layers' own outputs move the tiers a
 * little (scheduledModel), and a relative margin keeps two of them from meeting.
 */
const TIER_RATIO = 0.03;

/**
 * Relative attention weights of score tiers, so that every cut of the targets falls between two tiers whose scores
 * differ by as many units (2^−s) as possible. Ranks 1..R−1 are the real tokens besides [CLS] (R = targets[0].kept,
 * padding after), rank 1 the most important; `tier(r)` counts the cuts at or below rank r, so 0 is the last tier. A
 * layer's scores are 2^s·w/Z, Z its entering tokens' total weight, so a cut between tiers b + 1 and b at layer l
 * separates them by 2^s·(w_{b+1} − w_b)/Z_l units: the weights are the fixed point of "each gap as wide as its
 * widest layer needs, and at least TIER_RATIO of the weight below" (power iteration; the map is homogeneous), and
 * `gap` is the separation they give every cut in the model's own terms.
 */
export function tierWeights(targets: readonly Target[], scale: number): { tier: (rank: number) => number; w: number[]; gap: number } {
  const R = targets[0].kept;
  const entering = (l: number) => (l === 0 ? R : targets[l - 1].kept);
  const bounds = [...new Set(targets.flatMap((t, l) => cuts(t).filter((c) => c > 0 && c < entering(l) - 1)))].sort((a, b) => a - b);
  const tier = (r: number) => bounds.filter((c) => c >= r).length;
  const unit = 2 ** scale;
  let w = Array.from({ length: bounds.length + 1 }, (_, b) => 1 + b);
  let gap = Infinity;
  for (let it = 0; it < 200; it++) {
    // [CLS] takes the last tier's weight, the least it can add to Z.
    const Z = targets.map((_, l) => {
      let z = w[0];
      for (let r = 1; r < entering(l); r++) z += w[tier(r)];
      return z;
    });
    // The last tier must also stay above the padding's score 0 in layer 0.
    const need = [Z[0] / unit, ...bounds.map(() => 0)];
    targets.forEach((t, l) => {
      for (const c of cuts(t)) if (c > 0 && c < entering(l) - 1) need[tier(c)] = Math.max(need[tier(c)], Z[l] / unit);
    });
    const next: number[] = [];
    need.forEach((v, b) => next.push(b === 0 ? v : Math.max(next[b - 1] + v, (1 + TIER_RATIO) * next[b - 1])));
    const rho = next[next.length - 1] / w[w.length - 1];
    gap = 1 / rho;
    w = next.map((v) => v / next[next.length - 1]);
  }
  return { tier, w, gap };
}

/**
 * A seeded random BERT and an input whose importance scores meet the targets with every cut between distinct
 * scores. A random BERT attends almost uniformly, and the scores of n tokens sum to 2^s units, so theirs tie at the
 * cuts (mini at 128 tokens: ties on 10 of 10 seeded inputs). Costs depend only on the shapes and counts, so the
 * random model is changed only where it sets the scores: no position or type embeddings; the word embedding of tier
 * b (token 1000 + b, one tier per group of ranks between two cuts) gives hidden coordinate 0 a value x_b; the
 * queries are a constant (W_q = 0, bias A on each head's first coordinate) and each head's first key coordinate is
 * x, so every query row attends in proportion to exp(A·x_b/√d_h) = w_b; and no layer output writes coordinate 0, so
 * the tiers hold through the layers (the LayerNorms move them slightly). `gap`: the designed separation in units
 * (2^−s) at the narrowest cut.
 */
export function scheduledModel(cfg: BertConfig, n: number, targets: readonly Target[], ring: Ring, seed = 1): { weights: BertWeights; ids: Int32Array; mask: Uint8Array; gap: number } {
  const R = targets[0].kept;
  if (R > n) throw new RangeError(`layer 0 cannot keep ${R} of ${n} tokens`);
  const { tier, w, gap } = tierWeights(targets, ring.scale);
  if (gap < 1) throw new UnreachableCount(`the cuts of this schedule at ${n} tokens would need scores closer than one unit of 2^-${ring.scale} (${gap.toFixed(2)}): too many cuts among too many tokens; pass a coarser --schedule`);
  const weights = randomWeights(cfg, seed);
  const { hidden: d, heads } = cfg;
  const dh = d / heads;
  if (1000 + w.length > cfg.vocabSize) throw new RangeError(`${w.length} score tiers need token ids up to ${1000 + w.length}, the vocabulary has ${cfg.vocabSize}`);
  weights.positionEmbeddings.fill(0);
  weights.typeEmbeddings.fill(0);
  // x_b spans [0, 2]: well inside the embeddings' LayerNorm range; A·x/√d_h is then ln w_b up to a constant.
  const lw = w.map(Math.log);
  const span = Math.max(lw[lw.length - 1] - lw[0], 1e-9);
  const A = (span / 2) * Math.sqrt(dh);
  const target = lw.map((v) => (2 * (v - lw[0])) / span);
  const T = 0; // the hidden coordinate that carries the tier
  const base = weights.wordEmbeddings.slice(101 * d, 102 * d);
  base[T] = 0;
  const row = (id: number, x: number) => weights.wordEmbeddings.set(withNormalised(base, T, x, cfg.layerNormEps), id * d);
  row(101, target[0]);
  target.forEach((x, b) => row(1000 + b, x));
  for (const L of weights.layers) {
    L.query.weight.fill(0);
    L.query.bias.fill(0);
    for (let h = 0; h < heads; h++) {
      L.query.bias[h * dh] = A;
      L.key.weight.fill(0, h * dh * d, (h * dh + 1) * d);
      L.key.weight[h * dh * d + T] = 1;
    }
    for (const l of [L.attnOut, L.ffnOut]) l.weight.fill(0, T * l.inDim, (T + 1) * l.inDim);
  }
  const ids = Int32Array.from({ length: n }, (_, j) => (j === 0 ? 101 : j < R ? 1000 + tier(j) : 0));
  const mask = Uint8Array.from({ length: n }, (_, j) => (j < R ? 1 : 0));
  return { weights, ids, mask, gap };
}

/** `base` with coordinate t set so that coordinate t of its LayerNorm (γ = 1, β = 0) is x (bisection; x ≥ 0). */
function withNormalised(base: Float32Array, t: number, x: number, eps: number): Float32Array {
  const v = base.slice();
  const normed = (a: number) => {
    v[t] = a;
    let mean = 0;
    for (const e of v) mean += e;
    mean /= v.length;
    let vr = 0;
    for (const e of v) vr += (e - mean) ** 2;
    return (a - mean) / Math.sqrt(vr / v.length + eps);
  };
  let [lo, hi] = [-1, 1];
  while (normed(hi) < x) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (normed(mid) < x) lo = mid;
    else hi = mid;
  }
  v[t] = Math.fround((lo + hi) / 2);
  return v;
}

/** The scores of tokens 1.. (not [CLS]), signed, largest first. */
function ranked(ring: Ring, scores: Lanes): bigint[] {
  return Array.from(scores.subarray(1), (v) => ring.signed(v)).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
}

/**
 * A fixed-point threshold with exactly c of the ranked scores above it (the rule is S > t): halfway between the
 * c-th and (c+1)-th largest. Throws UnreachableCount when those two are equal.
 */
export function cutAt(r: readonly bigint[], c: number, what: string): bigint {
  if (!Number.isInteger(c) || c < 0 || c > r.length) throw new RangeError(`${what}: cannot keep ${c} of ${r.length} tokens`);
  if (r.length === 0) return 0n;
  if (c === 0) return r[0];
  if (c === r.length) return r[c - 1] - 1n;
  if (r[c - 1] === r[c]) throw new UnreachableCount(`${what}: the scores ranked ${c} and ${c + 1} (besides [CLS]) are equal (${r[c]} at scale 2^s), so no threshold keeps exactly ${c} of them`);
  return r[c] + (r[c - 1] - r[c]) / 2n;
}

/** The twin that picks each layer's θ and β from its own scores (on its own pruned pass) to meet the targets. */
class Calibrating extends PlainBert {
  readonly theta: bigint[] = [];
  readonly beta: bigint[] = [];

  constructor(
    ring: Ring,
    private readonly targets: readonly Target[],
  ) {
    super(ring);
  }

  override async prune(rows: Lanes, scores: Lanes, n: number, d: number): Promise<PrunedRows> {
    const l = this.theta.length;
    const { kept, low } = this.targets[l];
    if (kept > n || low < 0 || low >= kept) throw new RangeError(`layer ${l}: cannot keep ${kept} of ${n} tokens with ${low} of them low`);
    const r = ranked(this.ring, scores);
    const th: LayerThresholds = {
      reduce: true,
      theta: cutAt(r, kept - 1, `layer ${l}, keeping ${kept} of ${n} tokens`),
      beta: cutAt(r, kept - 1 - low, `layer ${l}, ${low} of ${kept} kept tokens on the low-degree path`),
    };
    this.theta.push(th.theta!);
    this.beta.push(th.beta!);
    return super.prune(rows, scores, n, d, th);
  }
}

export interface Calibration {
  /** Per layer, as the pass takes them (float; each converts back to the exact fixed-point cut). */
  thresholds: PruneThresholds;
  /** The twin's counts with them: equal to the targets. */
  tokens: LayerTokens[];
}

/** Thresholds with which the fixed-point twin keeps exactly the targets' counts on this input (one twin pass). */
export async function calibrate(w: BertWeights, fixed: FixedBert, ring: Ring, ids: Int32Array, mask: Uint8Array, targets: readonly Target[]): Promise<Calibration> {
  if (targets.length !== w.config.layers) throw new RangeError(`calibrate: ${targets.length} targets for ${w.config.layers} layers`);
  const E = new Calibrating(ring, targets);
  const tokens: LayerTokens[] = [];
  await bertPass(E, w.config, ids.length, { weights: fixed, data: clientData(w, ids, mask, ring) }, { pruning: "reduce", onLayer: (_, __, t) => tokens.push(t) });
  const float = (v: bigint) => Number(v) / 2 ** ring.scale;
  return { thresholds: { theta: E.theta.map(float), beta: E.beta.map(float) }, tokens };
}
