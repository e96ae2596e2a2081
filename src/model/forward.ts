// The fixed-point BERT forward pass, written once over an engine: `PlainBert` (fixed.ts) runs it on values (the
// fixed-point twin), `SecureBert` (private.ts) on shares with HE linear layers. Everything after the embeddings is
// here; the client computes the embeddings in the clear (DESIGN.md §2). Each stage opens a counter scope.
// With thresholds, each layer prunes after norm1 (CipherPrune): the tokens whose importance score is not above θ_l
// leave the sequence ([CLS] stays), and the kept ones are grouped so that those with score ≤ β_l take the low-degree
// GELU in this layer and the low-degree softmax (their attention rows) in the next. The FFN and every later layer run
// on the kept rows only; the kept/high/low counts are public by design.
import type { Ring } from "../core/ring.js";
import { add, tileRows, type Fx, type Lanes } from "../nonlinear/engine.js";
import { gelu } from "../nonlinear/gelu.js";
import { layerNorm } from "../nonlinear/layernorm.js";
import { paddingMask, softmax } from "../nonlinear/softmax.js";
import { tanh } from "../nonlinear/tanh.js";
import type { BertConfig } from "./config.js";
import type { FixedBert, FixedLayer, FixedLinear, FixedNorm } from "./quantize.js";
import { embed } from "./reference.js";
import type { EmbeddingWeights } from "./weights.js";

export interface BertEngine {
  readonly fx: Fx;
  readonly ring: Ring;
  /** The client's values entering the computation (shared in the protocol; the server passes none). */
  clientInput(n: number, values?: Lanes): Promise<Lanes>;
  /** A server vector as an operand: the server's own share is the value, the client's is 0. */
  serverValue(n: number, values?: Lanes): Lanes;
  /** X (rows×k)·W + b at scale 2s, not truncated; only the server passes W. */
  linear(x: Lanes, rows: number, k: number, m: number, w?: FixedLinear): Promise<Lanes>;
  /** A_h (n×k)·B_h (k×m) for every head, exact mod 2^l; n and `tokenDim` are the token count (Q·Kᵀ: m, P·V: k). */
  matmul(as: Lanes[], bs: Lanes[], n: number, k: number, m: number, tokenDim: "k" | "m"): Promise<Lanes[]>;
  /** Opens x to the client; the server gets undefined. */
  openToClient(x: Lanes): Promise<Lanes | undefined>;
  /** Importance score S(j) of each of n tokens (scale s) from the heads × n × n attention probabilities. */
  score(probs: Lanes, heads: number, n: number): Promise<Lanes>;
  /**
   * Keeps [CLS] and the rows (n × d) with S > θ, grouped [high…, low…] (each in original order, [CLS] first): high
   * are [CLS] and S > β, low θ < S ≤ β. Without `reduce` every kept row is high. θ and β are signed, at scale s,
   * and only the party holding them (the server, or the twin) passes them. With `keep`: [CLS] and the keep − 1
   * highest-scoring other rows (ties: the earlier first), in original order, all high.
   */
  prune(rows: Lanes, scores: Lanes, n: number, d: number, th: LayerThresholds): Promise<PrunedRows>;
}

export interface PrunedRows {
  /** The kept rows, kept × d lanes: the `high` high-degree rows, then the `low` low-degree ones. */
  rows: Lanes;
  high: number;
  low: number;
}

/** Tokens of one layer after its pruning (all its tokens, high degree, when it does not prune). */
export interface LayerTokens {
  kept: number;
  high: number;
  low: number;
}

/** Per-layer thresholds on the importance score, in float as the reference takes them (directory.ts `Thresholds`). */
export interface PruneThresholds {
  theta: number[];
  /** Omitted: pruning only, every kept token takes the high-degree GELU. */
  beta?: number[];
}

/** What the client brings: its embeddings (n×d at scale s) and the key-padding penalties (n lanes). */
export interface ClientData {
  x: Lanes;
  penalty: Lanes;
}

/**
 * How a pass prunes, which both parties know: not at all, by θ, or by θ and then β (reduction). The threshold values
 * are the server's alone; the protocols apply them to its share of the scores.
 */
export type PruneMode = "off" | "prune" | "reduce";

export const PRUNE_MODES: readonly PruneMode[] = ["off", "prune", "reduce"];

/** The mode that a set of thresholds prunes with. */
export function pruneModeOf(t: PruneThresholds | undefined): PruneMode {
  return t === undefined ? "off" : t.beta === undefined ? "prune" : "reduce";
}

/**
 * Which protocol prunes; both parties pass the same (bench/table1.ts compares them). `ours` (the default):
 * compactPrune, or reductionMask when reducing, which reveal only the counts. `swap`: CipherPrune as published,
 * swapPrune and then the reduction bits 1{S > β} of the kept tokens opened in compacted order (which kept tokens take
 * the low path leaks; ours does not). `we`: BOLT's word elimination, one bitonicPrune to ⌈n/2⌉ tokens in layer 0
 * and none later, without thresholds. For the same thresholds `swap` keeps and groups the rows as `ours` does.
 */
export type PruneMethod = "ours" | "swap" | "we";

export const PRUNE_METHODS: readonly PruneMethod[] = ["ours", "swap", "we"];

export interface PassOptions {
  /** Called after each encoder layer (progress) with that layer's token counts. */
  onLayer?: (done: number, total: number, tokens: LayerTokens) => void;
  /** Prune (and reduce) with these thresholds (the server, the twin); omitted = the unpruned pass, or `pruning`. */
  thresholds?: PruneThresholds;
  /** The pruning of a party without thresholds (the client); it must equal the mode of the server's thresholds. */
  pruning?: PruneMode;
  /** The pruning protocol (default "ours"); "we" takes neither thresholds nor `pruning`. */
  method?: PruneMethod;
  /**
   * A pass that continues another (a layer measured on its own): the last `lowRows` of the n input rows were put on
   * the low path by the layer before, so their attention rows take the low-degree softmax in the first layer. A
   * public count that both parties pass alike; default 0.
   */
  lowRows?: number;
}

/**
 * A float threshold in fixed point: floor(t·2^s). S > floor(t·2^s) ⟺ S/2^s > t for an integer S, so the fixed-point
 * rule keeps exactly the fixed-point scores the float rule `score > θ` would keep.
 */
export function fixedThreshold(t: number, ring: Ring, field = "threshold"): bigint {
  if (!Number.isFinite(t)) throw new RangeError(`${field} must be a finite number, got ${t}`);
  const v = BigInt(Math.floor(t * 2 ** ring.scale));
  ring.fromSigned(v + 1n, field);
  return v;
}

/**
 * One layer's pruning: whether it reduces, and (for the party holding them) θ and β in fixed point; with `keep` (the
 * `we` method) the `keep` highest-scoring tokens stay instead, a public count.
 */
export interface LayerThresholds {
  reduce: boolean;
  theta?: bigint;
  beta?: bigint;
  /** Default "ours". */
  method?: PruneMethod;
  keep?: number;
}

/**
 * Every layer's pruning (undefined: none in that layer): the fixed-point thresholds when given, else the mode alone;
 * `we` prunes layer 0 only, to ⌈n/2⌉ tokens.
 */
function layerPruning(opts: PassOptions, layers: number, n: number, ring: Ring): (LayerThresholds | undefined)[] | undefined {
  const method = opts.method ?? "ours";
  if (!PRUNE_METHODS.includes(method)) throw new RangeError(`method must be one of ${PRUNE_METHODS.join(", ")}, got ${String(method)}`);
  if (method === "we") {
    if (opts.thresholds !== undefined || (opts.pruning ?? "prune") !== "prune") throw new RangeError(`method "we" keeps the top half in layer 0: it takes no thresholds and does not reduce`);
    return Array.from({ length: layers }, (_, l) => (l === 0 ? { reduce: false, method, keep: Math.ceil(n / 2) } : undefined));
  }
  const th = modePruning(opts, layers, ring);
  return method === "ours" ? th : th?.map((t) => ({ ...t, method }));
}

/** The pruning of every layer by thresholds or mode (undefined: no pruning). */
function modePruning(opts: PassOptions, layers: number, ring: Ring): LayerThresholds[] | undefined {
  if (opts.thresholds !== undefined) {
    if (opts.pruning !== undefined && opts.pruning !== pruneModeOf(opts.thresholds)) {
      throw new RangeError(`pruning "${opts.pruning}" does not match the thresholds, which ${pruneModeOf(opts.thresholds)}`);
    }
    return layerThresholds(opts.thresholds, layers, ring);
  }
  if (opts.pruning === undefined || opts.pruning === "off") return undefined;
  if (!PRUNE_MODES.includes(opts.pruning)) throw new RangeError(`pruning must be one of ${PRUNE_MODES.join(", ")}, got ${String(opts.pruning)}`);
  return Array.from({ length: layers }, () => ({ reduce: opts.pruning === "reduce" }));
}

/** The thresholds of every layer in fixed point, checked against the configuration. */
function layerThresholds(t: PruneThresholds, layers: number, ring: Ring): LayerThresholds[] {
  const check = (v: unknown, key: string) => {
    if (!Array.isArray(v) || v.length !== layers) throw new RangeError(`thresholds.${key} must hold ${layers} numbers, one per layer`);
  };
  check(t.theta, "theta");
  if (t.beta !== undefined) check(t.beta, "beta");
  return t.theta.map((th, l) => {
    const theta = fixedThreshold(th, ring, `thresholds.theta[${l}]`);
    if (t.beta === undefined) return { reduce: false, theta };
    const beta = fixedThreshold(t.beta[l], ring, `thresholds.beta[${l}]`);
    if (beta < theta) throw new RangeError(`thresholds.beta[${l}] = ${t.beta[l]} is below thresholds.theta[${l}] = ${th}`);
    return { reduce: true, theta, beta };
  });
}

/** The client's part in the clear: float embeddings (word + position + type, LayerNorm) in fixed point. */
export function clientData(w: EmbeddingWeights, ids: Int32Array, mask: Uint8Array, ring: Ring): ClientData {
  if (mask.length !== ids.length) throw new RangeError(`mask has ${mask.length} entries for ${ids.length} tokens`);
  return { x: ring.encodeArray(embed(w, ids), "embeddings"), penalty: paddingMask(mask, 1, ring) };
}

/** Columns [c0, c0 + w) of a rows × cols matrix; transposed (w × rows) if asked. */
export function columns(x: Lanes, rows: number, cols: number, c0: number, w: number, transposed = false): Lanes {
  const out = new BigUint64Array(rows * w);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < w; c++) out[transposed ? c * rows + r : r * w + c] = x[r * cols + c0 + c];
  }
  return out;
}

async function stage<T>(E: BertEngine, name: string, fn: () => Promise<T>): Promise<T> {
  return E.fx.scope(name, fn);
}

/** A linear layer followed by the truncation back to scale s. */
function dense(E: BertEngine, name: string, x: Lanes, rows: number, k: number, m: number, w?: FixedLinear): Promise<Lanes> {
  return stage(E, name, async () => E.fx.trunc(await E.linear(x, rows, k, m, w), E.ring.scale, E.ring));
}

function norm(E: BertEngine, name: string, x: Lanes, rows: number, cfg: BertConfig, w?: FixedNorm): Promise<Lanes> {
  const d = cfg.hidden;
  const affine = { gamma: E.serverValue(d, w?.gamma), beta: E.serverValue(d, w?.beta), shared: true };
  return stage(E, name, () => layerNorm(E.fx, x, rows, d, E.ring, { affine, eps: cfg.layerNormEps }));
}

/** Rows of a rows × w matrix with one more column appended (the key-padding penalty travels with its row). */
export function withColumn(x: Lanes, rows: number, w: number, col: Lanes): Lanes {
  const out = new BigUint64Array(rows * (w + 1));
  for (let r = 0; r < rows; r++) {
    out.set(x.subarray(r * w, (r + 1) * w), r * (w + 1));
    out[r * (w + 1) + w] = col[r];
  }
  return out;
}

interface LayerOut {
  x: Lanes;
  penalty: Lanes;
  tokens: LayerTokens;
}

/**
 * Softmax of the H heads' n × n scores. Each head's query rows come grouped as the previous layer's pruning left
 * them (`incoming`: [high…, low…]); the low rows take the low-degree form. Only the public counts choose the split.
 */
function attentionSoftmax(E: BertEngine, scores: Lanes, H: number, penalty: Lanes, incoming: LayerTokens): Promise<Lanes> {
  const n = penalty.length;
  const lowRows = new Uint8Array(H * n);
  for (let h = 0; h < H; h++) lowRows.fill(1, h * n + incoming.high, (h + 1) * n);
  return softmax(E.fx, scores, H * n, n, E.ring, { mask: tileRows(penalty, H * n), lowRows });
}

/**
 * One encoder layer on n tokens; `penalty` holds the n key-padding penalties (shared), `incoming` the grouping of
 * x's rows by the previous layer's pruning.
 */
async function encoderLayer(
  E: BertEngine,
  cfg: BertConfig,
  x: Lanes,
  penalty: Lanes,
  incoming: LayerTokens,
  L?: FixedLayer,
  th?: LayerThresholds,
): Promise<LayerOut> {
  const { ring, fx } = E;
  const d = cfg.hidden;
  const H = cfg.heads;
  const dh = d / H;
  const n = penalty.length;
  const s = ring.scale;
  const qkv = await dense(E, "qkv", x, n, d, 3 * d, L?.qkv);
  const heads = Array.from({ length: H }, (_, h) => h * dh);
  const scores = await stage(E, "scores", async () => {
    const qs = heads.map((c0) => columns(qkv, n, 3 * d, c0, dh));
    const kts = heads.map((c0) => columns(qkv, n, 3 * d, d + c0, dh, true));
    const per = await E.matmul(qs, kts, n, dh, n, "m");
    const all = new BigUint64Array(H * n * n);
    per.forEach((m, h) => all.set(m, h * n * n));
    return fx.trunc(all, s, ring);
  });
  const probs = await stage(E, "softmax", () => attentionSoftmax(E, scores, H, penalty, incoming));
  const ctx = await stage(E, "context", async () => {
    const ps = heads.map((_, h) => probs.subarray(h * n * n, (h + 1) * n * n));
    const vs = heads.map((c0) => columns(qkv, n, 3 * d, 2 * d + c0, dh));
    const per = await E.matmul(ps, vs, n, n, dh, "k");
    const merged = new BigUint64Array(n * d);
    per.forEach((m, h) => {
      for (let r = 0; r < n; r++) merged.set(m.subarray(r * dh, (r + 1) * dh), r * d + h * dh);
    });
    return fx.trunc(merged, s, ring);
  });
  const attn = add(await dense(E, "attnOut", ctx, n, d, d, L?.attnOut), x, ring);
  let x1 = await norm(E, "norm1", attn, n, cfg, L?.attnNorm);
  let tokens: LayerTokens = { kept: n, high: n, low: 0 };
  if (th) {
    const importance = await stage(E, "score", () => E.score(probs, H, n));
    // One compaction moves each row together with its penalty.
    const kept = await stage(E, "prune", () => E.prune(withColumn(x1, n, d, penalty), importance, n, d + 1, th));
    const k = kept.high + kept.low;
    x1 = columns(kept.rows, k, d + 1, 0, d);
    penalty = columns(kept.rows, k, d + 1, d, 1);
    tokens = { kept: k, high: kept.high, low: kept.low };
  }
  const rows = tokens.kept;
  const I = cfg.intermediate;
  const h = await dense(E, "ffnIn", x1, rows, d, I, L?.ffnIn);
  const g = await stage(E, "gelu", async () => {
    if (tokens.low === 0) return gelu(fx, h, ring);
    const out = new BigUint64Array(h.length);
    out.set(await gelu(fx, h.subarray(0, tokens.high * I), ring, { degree: "high" }));
    out.set(await gelu(fx, h.subarray(tokens.high * I), ring, { degree: "low" }), tokens.high * I);
    return out;
  });
  const f = add(await dense(E, "ffnOut", g, rows, I, d, L?.ffnOut), x1, ring);
  return { x: await norm(E, "norm2", f, rows, cfg, L?.ffnNorm), penalty, tokens };
}

/**
 * The pass after the embeddings: the server passes `weights`, the client `data`; the twin passes both. Returns the
 * logits (scale s) to the client (and the twin); the server gets undefined.
 */
export async function bertPass(
  E: BertEngine,
  cfg: BertConfig,
  n: number,
  side: { weights?: FixedBert; data?: ClientData },
  opts: PassOptions = {},
): Promise<Lanes | undefined> {
  const d = cfg.hidden;
  const { weights, data } = side;
  if (data && (data.x.length !== n * d || data.penalty.length !== n)) throw new RangeError(`client data must hold ${n} tokens of width ${d}`);
  if (weights && weights.config !== cfg) throw new TypeError("weights were quantised for another configuration");
  const th = layerPruning(opts, cfg.layers, n, E.ring);
  const input = await stage(E, "input", async () => ({
    x: await E.clientInput(n * d, data?.x),
    penalty: await E.clientInput(n, data?.penalty),
  }));
  let { x, penalty } = input;
  const lowRows = opts.lowRows ?? 0;
  if (!Number.isInteger(lowRows) || lowRows < 0 || lowRows >= n) throw new RangeError(`lowRows must be an integer in [0, n − 1 = ${n - 1}] ([CLS] is high), got ${lowRows}`);
  let tokens: LayerTokens = { kept: n, high: n - lowRows, low: lowRows };
  for (let l = 0; l < cfg.layers; l++) {
    const out = await stage(E, `layer${l}`, () => encoderLayer(E, cfg, x, penalty, tokens, weights?.layers[l], th?.[l]));
    ({ x, penalty, tokens } = out);
    opts.onLayer?.(l + 1, cfg.layers, out.tokens);
  }
  // The head works on [CLS] alone (row 0, kept by every pruning): one row, which the engine may pad to its cheapest
  // product shape (SecureBert.linear), so that the head does not pay for all n tokens.
  const pooled = await dense(E, "pooler", x.slice(0, d), 1, d, d, weights?.pooler);
  const act = await stage(E, "tanh", () => tanh(E.fx, pooled, E.ring));
  const logits = await dense(E, "classifier", act, 1, d, cfg.labels, weights?.classifier);
  return stage(E, "output", () => E.openToClient(logits));
}
