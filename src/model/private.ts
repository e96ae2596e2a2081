// The two-party BERT forward pass: the same pass as the fixed-point twin (forward.ts) on shares. The client shares
// its embeddings and padding penalties, linear layers are HE products with the server's weights (he/linear.ts),
// Q·Kᵀ and softmax·V are shared HE products, nonlinear functions are the SecureFx protocols, and the logits open to
// the client only. Per-stage traffic is in the channel's scopes (stages.ts summarises them).
import type { Ring } from "../core/ring.js";
import { layoutFor, layoutWork } from "../he/layout.js";
import { linear, linearPlan } from "../he/linear.js";
import { matmulShared, matmulSharedPlans } from "../he/matmul-shared.js";
import { DEFAULT_HE, type HeParams } from "../he/params.js";
import type { ProductRunner } from "../he/product.js";
import { HeSession, type HePlan } from "../he/session.js";
import type { Party } from "../mpc/party.js";
import { revealTo, shareInput } from "../mpc/share.js";
import { SecureFx, type Lanes } from "../nonlinear/engine.js";
import { compactPrune } from "../prune/compact.js";
import { reductionMask } from "../prune/reduction.js";
import { score } from "../prune/score.js";
import type { BertConfig } from "./config.js";
import { bertPass, type BertEngine, type ClientData, type PassOptions, type PrunedRows } from "./forward.js";
import { WEIGHT_BITS, type FixedBert, type FixedLinear } from "./quantize.js";

/** The HE products of one stage for R rows (the plans of a linear layer or of a shared product). */
type Products = (rows: number) => HePlan[];

/** Server work of HE products, in units of one diagonal product (layoutWork). */
function productCost(slots: number, plans: HePlan[]): number {
  return plans.reduce((sum, pl) => sum + layoutWork(layoutFor(slots, pl.n, pl.k, pl.m)), 0);
}

/**
 * Rows the HE products of a pruned layer run on. With few rows a ciphertext holds many short blocks (columns), and a
 * wide product pays for all of them (layoutWork), so `rows` tokens may go through as a longer matrix padded with zero
 * rows: rows itself, a power of two between, or the planned `full`, whichever costs least (ties: fewer rows). Depends only on public sizes; a
 * layer of `full` tokens is never padded (the unpruned pass is unchanged).
 */
export function heRows(slots: number, rows: number, full: number, products: Products): number {
  if (rows >= full) return rows;
  const candidates = [rows];
  for (let p = 1; p < full; p *= 2) if (p > rows) candidates.push(p);
  candidates.push(full);
  let best = rows;
  let bestCost = Infinity;
  for (const c of candidates) {
    const cost = productCost(slots, products(c));
    if (cost < bestCost) [best, bestCost] = [c, cost];
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
    readonly he: HeSession,
    readonly ring: Ring,
    readonly tokens: number,
    private readonly runner?: ProductRunner,
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
    const R = heRows(this.he.ctx.slots, rows, this.tokens, linearProducts(k, m, this.ring));
    const shape = { n: R, k, m, wBits: WEIGHT_BITS };
    const y = await linear(this.p, this.he, this.ring, pad(x, rows, k, R, k), shape, w && { w: w.w, bias: w.bias }, this.runner);
    return crop(y, R, m, rows, m);
  }

  async matmul(as: Lanes[], bs: Lanes[], n: number, k: number, m: number, tokenDim: "k" | "m"): Promise<Lanes[]> {
    const R = heRows(this.he.ctx.slots, n, this.tokens, sharedProducts(k, m, tokenDim, this.ring));
    const [K, M] = tokenDim === "k" ? [R, m] : [k, R];
    const ys = await matmulShared(this.p, this.he, this.ring, as.map((a) => pad(a, n, k, R, K)), bs.map((b) => pad(b, k, m, K, M)), R, K, M, this.runner);
    return ys.map((y) => crop(y, R, M, n, m));
  }

  async openToClient(x: Lanes): Promise<Lanes | undefined> {
    return revealTo(this.p, this.ring, x, "client");
  }

  score(probs: Lanes, heads: number, n: number): Promise<Lanes> {
    return score(this.p, probs, heads, n, this.ring);
  }

  async prune(rows: Lanes, scores: Lanes, n: number, d: number, theta: bigint, beta?: bigint): Promise<PrunedRows> {
    if (beta !== undefined) {
      const r = await reductionMask(this.p, rows, scores, n, d, theta, beta, this.ring);
      return { rows: r.rows, high: r.high, low: r.low };
    }
    const r = await compactPrune(this.p, rows, scores, n, d, theta, this.ring);
    return { rows: r.rows, high: r.kept, low: 0 };
  }
}

/**
 * Every HE product shape of one inference on n tokens (the architecture and n are public). With `pruned`, the
 * layers after a pruning step may have any number of rows 1..n (only the counts are revealed, at run time), so the
 * shape `heRows` picks for every row count is planned too; the session derives one set of Galois keys from all plans,
 * so no key is sent twice. `slots` is the HE parameters' polynomial degree.
 */
export function bertPlans(cfg: BertConfig, n: number, ring: Ring, pruned = false, slots = DEFAULT_HE.polyDegree): HePlan[] {
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
  const plans = [...layer.flatMap((products) => products(n)), ...linearProducts(d, cfg.labels, ring)(n)];
  if (pruned) for (let rows = 1; rows < n; rows++) for (const products of layer) plans.push(...products(heRows(slots, rows, n, products)));
  return plans;
}

export interface SetupOptions {
  params?: HeParams;
  /** Plan the products of a pruned pass (PassOptions.thresholds), whose later layers have fewer rows. */
  pruned?: boolean;
}

/** HE keys and parameters for inferences on n tokens; both parties call it at the same time. */
export function setupPrivate(p: Party, cfg: BertConfig, n: number, ring: Ring, opts: SetupOptions = {}): Promise<HeSession> {
  const params = opts.params ?? DEFAULT_HE;
  return HeSession.setup(p, bertPlans(cfg, n, ring, opts.pruned, params.polyDegree), params);
}

export interface PrivateOptions extends PassOptions {
  /** Where the server evaluates its HE products (default: this thread). */
  runner?: ProductRunner;
}

/**
 * One private inference on n padded tokens. The server passes its quantised weights, the client its data
 * (forward.ts `clientData`); the client gets the logits (decoded), the server undefined.
 */
export async function privateInference(
  p: Party,
  he: HeSession,
  ring: Ring,
  cfg: BertConfig,
  n: number,
  side: { weights: FixedBert } | { data: ClientData },
  opts: PrivateOptions = {},
): Promise<Float64Array | undefined> {
  const isServer = "weights" in side;
  if (isServer !== p.isServer) throw new TypeError(`privateInference: the ${p.role} must pass ${p.isServer ? "weights" : "data"}`);
  const logits = await bertPass(new SecureBert(p, he, ring, n, opts.runner), cfg, n, side, opts);
  return logits && ring.decodeArray(logits);
}
