// The two-party BERT forward pass: the same pass as the fixed-point twin (forward.ts) on shares. The client shares
// its embeddings and padding penalties, linear layers are HE products with the server's weights (he/linear.ts),
// Q·Kᵀ and softmax·V are shared HE products, nonlinear functions are the SecureFx protocols, and the logits open to
// the client only. Per-stage traffic is in the channel's scopes (stages.ts summarises them).
import { getBit } from "../core/bits.js";
import type { Ring } from "../core/ring.js";
import { DEFAULT_HE_KIND, type HeBackend, type HeKind, type HePlan } from "../he/backend.js";
import { linear, linearPlan } from "../he/linear.js";
import { matmulShared, matmulSharedPlans } from "../he/matmul-shared.js";
import type { HeParams } from "../he/params.js";
import { heCost, setupHe } from "../he/setup.js";
import type { Party } from "../mpc/party.js";
import { revealBits, revealTo, shareInput } from "../mpc/share.js";
import { SecureFx, type Lanes } from "../nonlinear/engine.js";
import { compactPrune } from "../prune/compact.js";
import { reductionMask } from "../prune/reduction.js";
import { score } from "../prune/score.js";
import { bitonicPrune } from "../prune/sort.js";
import { swapPrune } from "../prune/swap.js";
import { aboveThresholds } from "../prune/threshold.js";
import type { BertConfig } from "./config.js";
import { bertPass, columns, withColumn, type BertEngine, type ClientData, type LayerThresholds, type PassOptions, type PrunedRows } from "./forward.js";
import { WEIGHT_BITS, type FixedBert, type FixedLinear } from "./quantize.js";

/** The HE products of one stage for R rows (the plans of a linear layer or of a shared product). */
type Products = (rows: number) => HePlan[];

/**
 * Rows the HE products of a pruned layer run on. A backend may pay for a short matrix as for a longer one (seal: with
 * few rows a ciphertext holds many short blocks, and a wide product pays for all of them), so `rows` tokens may go
 * through as a longer matrix padded with zero rows: rows itself, a power of two between, or the planned `full`,
 * whichever the backend's `cost` rates least (ties: fewer rows). Depends only on public sizes; a layer of `full`
 * tokens is never padded (the unpruned pass is unchanged).
 */
export function heRows(cost: (plans: HePlan[]) => number, rows: number, full: number, products: Products): number {
  if (rows >= full) return rows;
  const candidates = [rows];
  for (let p = 1; p < full; p *= 2) if (p > rows) candidates.push(p);
  candidates.push(full);
  let best = rows;
  let bestCost = Infinity;
  for (const c of candidates) {
    const work = cost(products(c));
    if (work < bestCost) [best, bestCost] = [c, work];
  }
  return best;
}

/** The rows × cols matrix x inside an R × C matrix of zeros (top left). */
function pad(x: Lanes, rows: number, cols: number, R: number, C: number): Lanes {
  if (rows === R && cols === C) return x;
  const out = new BigUint64Array(R * C);
  for (let r = 0; r < rows; r++) out.set(x.subarray(r * cols, (r + 1) * cols), r * C);
  return out;
}

/** The top-left rows × cols block of an R × C matrix. */
function crop(x: Lanes, R: number, C: number, rows: number, cols: number): Lanes {
  if (rows === R && cols === C) return x;
  const out = new BigUint64Array(rows * cols);
  for (let r = 0; r < rows; r++) out.set(x.subarray(r * C, r * C + cols), r * cols);
  return out;
}

const linearProducts = (k: number, m: number, ring: Ring): Products => (R) => [linearPlan({ n: R, k, m, wBits: WEIGHT_BITS }, ring)];

/** Shared products n×k·k×m whose dimension `tokenDim` is also the token count (Q·Kᵀ: m, softmax·V: k). */
const sharedProducts = (k: number, m: number, tokenDim: "k" | "m", ring: Ring): Products => (R) =>
  tokenDim === "m" ? matmulSharedPlans(R, k, R, ring) : matmulSharedPlans(R, R, m, ring);

export class SecureBert implements BertEngine {
  readonly fx: SecureFx;
  /**
   * `tokens`: the sequence length the session was planned for (bertPlans); pruned layers pad their HE products
   * back towards it when that is cheaper (heRows).
   */
  constructor(
    readonly p: Party,
    readonly he: HeBackend,
    readonly ring: Ring,
    readonly tokens: number,
  ) {
    this.fx = new SecureFx(p);
  }

  clientInput(n: number, values?: Lanes): Promise<Lanes> {
    return shareInput(this.p, this.ring, "client", n, values);
  }

  serverValue(n: number, values?: Lanes): Lanes {
    if (!this.p.isServer) return new BigUint64Array(n);
    if (!values || values.length !== n) throw new RangeError(`serverValue: the server must pass ${n} values`);
    return values;
  }

  async linear(x: Lanes, rows: number, k: number, m: number, w?: FixedLinear): Promise<Lanes> {
    if (w && (w.k !== k || w.m !== m)) throw new RangeError(`linear: weights are ${w.k}×${w.m}, the layer needs ${k}×${m}`);
    const R = heRows((plans) => this.he.cost(plans), rows, this.tokens, linearProducts(k, m, this.ring));
    const shape = { n: R, k, m, wBits: WEIGHT_BITS };
    const y = await linear(this.p, this.he, this.ring, pad(x, rows, k, R, k), shape, w && { w: w.w, bias: w.bias });
    return crop(y, R, m, rows, m);
  }

  async matmul(as: Lanes[], bs: Lanes[], n: number, k: number, m: number, tokenDim: "k" | "m"): Promise<Lanes[]> {
    const R = heRows((plans) => this.he.cost(plans), n, this.tokens, sharedProducts(k, m, tokenDim, this.ring));
    const [K, M] = tokenDim === "k" ? [R, m] : [k, R];
    const ys = await matmulShared(this.p, this.he, this.ring, as.map((a) => pad(a, n, k, R, K)), bs.map((b) => pad(b, k, m, K, M)), R, K, M);
    return ys.map((y) => crop(y, R, M, n, m));
  }

  async openToClient(x: Lanes): Promise<Lanes | undefined> {
    return revealTo(this.p, this.ring, x, "client");
  }

  score(probs: Lanes, heads: number, n: number): Promise<Lanes> {
    return score(this.p, probs, heads, n, this.ring);
  }

  async prune(rows: Lanes, scores: Lanes, n: number, d: number, th: LayerThresholds): Promise<PrunedRows> {
    if (th.keep !== undefined) {
      const r = await bitonicPrune(this.p, rows, scores, n, d, this.ring, th.keep);
      return { rows: r.rows, high: r.kept, low: 0 };
    }
    if (this.p.isServer && (th.theta === undefined || (th.reduce && th.beta === undefined))) throw new RangeError("prune: the server must pass its thresholds");
    if (th.method === "swap") return this.swapPrune(rows, scores, n, d, th);
    if (th.reduce) {
      const r = await reductionMask(this.p, rows, scores, n, d, th.theta, th.beta, this.ring);
      return { rows: r.rows, high: r.high, low: r.low };
    }
    const r = await compactPrune(this.p, rows, scores, n, d, th.theta, this.ring);
    return { rows: r.rows, high: r.kept, low: 0 };
  }

  /**
   * CipherPrune as published: swapPrune, with each score riding as one more lane when reducing; then the bits
   * 1{S > β} of the kept rows are opened in compacted order (the leak reductionMask avoids) and each party regroups
   * its shares locally, high rows then low, each in order.
   */
  private async swapPrune(rows: Lanes, scores: Lanes, n: number, d: number, th: LayerThresholds): Promise<PrunedRows> {
    if (!th.reduce) {
      const r = await swapPrune(this.p, rows, scores, n, d, th.theta, this.ring);
      return { rows: r.rows, high: r.kept, low: 0 };
    }
    const r = await swapPrune(this.p, withColumn(rows, n, d, scores), scores, n, d + 1, th.theta, this.ring);
    return this.p.scope("reductionOpen", async () => {
      const [high] = await aboveThresholds(this.p, columns(r.rows, r.kept, d + 1, d, 1), [th.beta], this.ring, "reductionOpen");
      const open = await revealBits(this.p, high, r.kept);
      const kept = Array.from({ length: r.kept }, (_, j) => j);
      const order = [...kept.filter((j) => getBit(open, j)), ...kept.filter((j) => !getBit(open, j))];
      const out = new BigUint64Array(r.kept * d);
      order.forEach((j, i) => out.set(r.rows.subarray(j * (d + 1), j * (d + 1) + d), i * d));
      const hi = kept.filter((j) => getBit(open, j)).length;
      return { rows: out, high: hi, low: r.kept - hi };
    });
  }
}

/**
 * Every HE product shape of one inference on n tokens (the architecture and n are public); the head's products
 * take its one row ([CLS]) at the shape `heRows` picks for it, by `cost`. With `pruned`, the
 * layers after a pruning step may have any number of rows 1..n (only the counts are revealed, at run time), so the
 * shape `heRows` picks for every row count is planned too, by `cost`: the cost function of the backend the plans are
 * for (heCost), since the backend's own `cost` must pick the same shapes at run time.
 */
export function bertPlans(cfg: BertConfig, n: number, ring: Ring, pruned = false, cost: (plans: HePlan[]) => number = heCost()): HePlan[] {
  const d = cfg.hidden;
  const dh = d / cfg.heads;
  const layer = [
    linearProducts(d, 3 * d, ring),
    linearProducts(d, d, ring),
    linearProducts(d, cfg.intermediate, ring),
    linearProducts(cfg.intermediate, d, ring),
    sharedProducts(dh, n, "m", ring),
    sharedProducts(n, dh, "k", ring),
  ];
  const head = [linearProducts(d, d, ring), linearProducts(d, cfg.labels, ring)].flatMap((products) => products(heRows(cost, 1, n, products)));
  const plans = [...layer.flatMap((products) => products(n)), ...head];
  if (pruned) for (let rows = 1; rows < n; rows++) for (const products of layer) plans.push(...products(heRows(cost, rows, n, products)));
  return plans;
}

export interface SetupOptions {
  /** The HE backend (default DEFAULT_HE_KIND); both parties must pick the same. */
  kind?: HeKind;
  /** BFV parameters of the seal backend (default DEFAULT_HE). */
  sealParams?: HeParams;
  /** Plan the products of a pruned pass (PassOptions.thresholds), whose later layers have fewer rows. */
  pruned?: boolean;
}

/**
 * HE keys and parameters for inferences on n tokens; both parties call it at the same time. The server moves its HE
 * work to threads with `startWorkers`; `close` frees the backend.
 */
export function setupPrivate(p: Party, cfg: BertConfig, n: number, ring: Ring, opts: SetupOptions = {}): Promise<HeBackend> {
  const kind = opts.kind ?? DEFAULT_HE_KIND;
  const plans = bertPlans(cfg, n, ring, opts.pruned, heCost(kind, opts.sealParams));
  return setupHe(p, plans, { kind, sealParams: opts.sealParams });
}

export interface PrivateOptions extends PassOptions {
  /**
   * The sequence length the HE session was planned for (setupPrivate), when this pass runs on fewer tokens (default
   * n): the pass then sizes its products as a pruned layer of that many rows would (a layer's cost on its own).
   */
  planned?: number;
}

/**
 * One private inference on n padded tokens. The server passes its quantised weights, the client its data
 * (forward.ts `clientData`); the client gets the logits (decoded), the server undefined.
 */
export async function privateInference(
  p: Party,
  he: HeBackend,
  ring: Ring,
  cfg: BertConfig,
  n: number,
  side: { weights: FixedBert } | { data: ClientData },
  opts: PrivateOptions = {},
): Promise<Float64Array | undefined> {
  const isServer = "weights" in side;
  if (isServer !== p.isServer) throw new TypeError(`privateInference: the ${p.role} must pass ${p.isServer ? "weights" : "data"}`);
  const planned = opts.planned ?? n;
  if (!Number.isInteger(planned) || planned < n) throw new RangeError(`privateInference: planned must be an integer ≥ n = ${n}, got ${planned}`);
  const logits = await bertPass(new SecureBert(p, he, ring, planned), cfg, n, side, opts);
  return logits && ring.decodeArray(logits);
}
