// The fixed-point BERT forward pass, written once over an engine: `PlainBert` (fixed.ts) runs it on values (the
// fixed-point twin), `SecureBert` (private.ts) on shares with HE linear layers. Everything after the embeddings is
// here; the client computes the embeddings in the clear (DESIGN.md §2). Each stage opens a counter scope.
// A layer takes its token count from its input, so a later pruning step may hand the next layer fewer rows.
import type { Ring } from "../core/ring.js";
import { add, type Fx, type Lanes } from "../nonlinear/engine.js";
import { gelu } from "../nonlinear/gelu.js";
import { layerNorm } from "../nonlinear/layernorm.js";
import { paddingMask, softmax } from "../nonlinear/softmax.js";
import { tanh } from "../nonlinear/tanh.js";
import type { BertConfig } from "./config.js";
import type { FixedBert, FixedLayer, FixedLinear, FixedNorm } from "./quantize.js";
import { embed } from "./reference.js";
import type { BertWeights } from "./weights.js";

export interface BertEngine {
  readonly fx: Fx;
  readonly ring: Ring;
  /** The client's values entering the computation (shared in the protocol; the server passes none). */
  clientInput(n: number, values?: Lanes): Promise<Lanes>;
  /** A server vector as an operand: the server's own share is the value, the client's is 0. */
  serverValue(n: number, values?: Lanes): Lanes;
  /** X (rows×k)·W + b at scale 2s, not truncated; only the server passes W. */
  linear(x: Lanes, rows: number, k: number, m: number, w?: FixedLinear): Promise<Lanes>;
  /** A_h (n×k)·B_h (k×m) for every head, exact mod 2^l. */
  matmul(as: Lanes[], bs: Lanes[], n: number, k: number, m: number): Promise<Lanes[]>;
  /** Opens x to the client; the server gets undefined. */
  openToClient(x: Lanes): Promise<Lanes | undefined>;
}

/** What the client brings: its embeddings (n×d at scale s) and the key-padding penalties (n lanes). */
export interface ClientData {
  x: Lanes;
  penalty: Lanes;
}

export interface PassOptions {
  /** Called after each encoder layer (progress). */
  onLayer?: (done: number, total: number) => void;
}

/** The client's part in the clear: float embeddings (word + position + type, LayerNorm) in fixed point. */
export function clientData(w: BertWeights, ids: Int32Array, mask: Uint8Array, ring: Ring): ClientData {
  if (mask.length !== ids.length) throw new RangeError(`mask has ${mask.length} entries for ${ids.length} tokens`);
  return { x: ring.encodeArray(embed(w, ids), "embeddings"), penalty: paddingMask(mask, 1, ring) };
}

function tile(v: Lanes, times: number): Lanes {
  const out = new BigUint64Array(v.length * times);
  for (let r = 0; r < times; r++) out.set(v, r * v.length);
  return out;
}

/** Columns [c0, c0 + w) of a rows × cols matrix; transposed (w × rows) if asked. */
function columns(x: Lanes, rows: number, cols: number, c0: number, w: number, transposed = false): Lanes {
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

/** One encoder layer on n tokens; `penalty` holds the n key-padding penalties (shared). */
async function encoderLayer(E: BertEngine, cfg: BertConfig, x: Lanes, penalty: Lanes, L?: FixedLayer): Promise<Lanes> {
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
    const per = await E.matmul(qs, kts, n, dh, n);
    const all = new BigUint64Array(H * n * n);
    per.forEach((m, h) => all.set(m, h * n * n));
    return fx.trunc(all, s, ring);
  });
  const probs = await stage(E, "softmax", () => softmax(fx, scores, H * n, n, ring, { mask: tile(penalty, H * n) }));
  const ctx = await stage(E, "context", async () => {
    const ps = heads.map((_, h) => probs.subarray(h * n * n, (h + 1) * n * n));
    const vs = heads.map((c0) => columns(qkv, n, 3 * d, 2 * d + c0, dh));
    const per = await E.matmul(ps, vs, n, n, dh);
    const merged = new BigUint64Array(n * d);
    per.forEach((m, h) => {
      for (let r = 0; r < n; r++) merged.set(m.subarray(r * dh, (r + 1) * dh), r * d + h * dh);
    });
    return fx.trunc(merged, s, ring);
  });
  const attn = add(await dense(E, "attnOut", ctx, n, d, d, L?.attnOut), x, ring);
  const x1 = await norm(E, "norm1", attn, n, cfg, L?.attnNorm);
  const h = await dense(E, "ffnIn", x1, n, d, cfg.intermediate, L?.ffnIn);
  const g = await stage(E, "gelu", () => gelu(fx, h, ring));
  const f = add(await dense(E, "ffnOut", g, n, cfg.intermediate, d, L?.ffnOut), x1, ring);
  return norm(E, "norm2", f, n, cfg, L?.ffnNorm);
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
  const input = await stage(E, "input", async () => ({
    x: await E.clientInput(n * d, data?.x),
    penalty: await E.clientInput(n, data?.penalty),
  }));
  let x = input.x;
  for (let l = 0; l < cfg.layers; l++) {
    x = await stage(E, `layer${l}`, () => encoderLayer(E, cfg, x, input.penalty, weights?.layers[l]));
    opts.onLayer?.(l + 1, cfg.layers);
  }
  // The head works on [CLS] alone, but the HE packing costs N/(2·rows) diagonals per product, so one row is its
  // most expensive shape: the [CLS] row goes through the linears as row 0 of an n-row matrix, the rest zero.
  const cls = (v: Lanes) => {
    const rows = new BigUint64Array(n * d);
    rows.set(v.subarray(0, d));
    return rows;
  };
  const pooled = await dense(E, "pooler", cls(x), n, d, d, weights?.pooler);
  const act = await stage(E, "tanh", () => tanh(E.fx, pooled.slice(0, d), E.ring));
  const logits = await dense(E, "classifier", cls(act), n, d, cfg.labels, weights?.classifier);
  return stage(E, "output", () => E.openToClient(logits.slice(0, cfg.labels)));
}
