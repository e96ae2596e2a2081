// LayerNorm over rows of width d: μ = Σx/d, σ² = Σ(x − μ)²/d, y = (x − μ)·rsqrt(σ² + ε)·γ + β.
// Division by d is a shift by t = floor(log2 d) then a product with the public 2^t/d (both per row, so cheap). As in
// BOLT, (x − μ)² is taken at scale 2s and truncated with its sign known, so inputs need |x − μ| < 2^((l−1)/2 − s)
// (64 for l = 37, s = 12).
// γ and β are public values or shares; without them the normalised rows are returned (γ may then be applied by HE).
// high and low differ only in rsqrt (one Newton step or none), a per-row cost. Precision: σ² is held at scale s, so
// rows need σ² ≫ 2^−s (σ ≥ 0.3 keeps the error near rsqrt's at s = 12); BERT's LayerNorm inputs are far wider.
import type { Ring } from "../core/ring.js";
import { mulPublic } from "../mpc/mult.js";
import { add, broadcastRows, fixedConst, rowSum, sub, tileRows, type Fx, type Lanes } from "./engine.js";
import type { Degree } from "./gelu.js";
import { rsqrt } from "./rsqrt.js";

export interface LayerNormOptions {
  degree?: Degree;
  /** γ and β, d lanes each at the ring's scale; `shared` says whether they are shares (else public values). */
  affine?: { gamma: Lanes; beta: Lanes; shared: boolean };
  /** ε added to the variance (at least one ulp is added, so rsqrt never sees 0). */
  eps?: number;
}

/** Float LayerNorm of one row with γ, β. */
export function layerNormFloat(row: number[], gamma?: number[], beta?: number[], eps = 1e-12): number[] {
  const d = row.length;
  const mu = row.reduce((a, b) => a + b, 0) / d;
  const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / d;
  const inv = 1 / Math.sqrt(v + eps);
  return row.map((x, i) => (x - mu) * inv * (gamma ? gamma[i] : 1) + (beta ? beta[i] : 0));
}

/** Σ over each row divided by d: round(Σ / 2^t) · round(2^(t+s)/d), rounded by s bits (per row, so cheap). */
async function rowMean(E: Fx, x: Lanes, rows: number, d: number, ring: Ring): Promise<Lanes> {
  const t = Math.floor(Math.log2(d));
  const sum = rowSum(x, rows, d, ring);
  const shifted = t > 0 ? await roundShift(E, sum, t, ring) : sum;
  return roundShift(E, mulPublic(shifted, fixedConst(2 ** t / d, ring), ring), ring.scale, ring);
}

/** round(x / 2^s): a truncation after adding half (unbiased, where a floor would pull every mean down). */
function roundShift(E: Fx, x: Lanes, s: number, ring: Ring): Promise<Lanes> {
  return E.trunc(E.addConst(x, 1n << BigInt(s - 1), ring), s, ring);
}

/**
 * floor(y / 2^s) of the normalised rows y = (x − μ)·rsqrt(σ² + ε) at scale 2s. |y| ≤ √d·2^(2s) up to rsqrt's error and
 * the roundings of σ² (less than a factor 1.6 together, even for σ² of a few ulp), so adding 2^k·2^(2s) with
 * 2^k ≥ 4√d makes every lane non-negative: the truncation then has a known sign, at a third of the cost. Rings too
 * small for that offset keep the general truncation.
 */
function normalizedTrunc(E: Fx, y: Lanes, d: number, ring: Ring): Promise<Lanes> {
  const s = ring.scale;
  const k = Math.ceil(Math.log2(4 * Math.sqrt(d)));
  if (2 * s + k + 1 > ring.bits - 1) return E.trunc(y, s, ring);
  const offset = 1n << BigInt(k + s);
  return E.trunc(E.addConst(y, offset << BigInt(s), ring), s, ring, "nonneg").then((t) => E.addConst(t, -offset, ring));
}

/** The cols × rows transpose of a rows × cols matrix (local, on values and shares alike). */
function transpose(x: Lanes, rows: number, cols: number): Lanes {
  const out = new BigUint64Array(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c];
  return out;
}

/** LayerNorm of a rows × d matrix of fixed-point values; exact twin of the protocol. */
export async function layerNorm(E: Fx, x: Lanes, rows: number, d: number, ring: Ring, opts: LayerNormOptions = {}): Promise<Lanes> {
  const degree = opts.degree ?? "high";
  const s = ring.scale;
  if (x.length !== rows * d) throw new RangeError(`layerNorm: x has ${x.length} lanes, expected rows·d = ${rows * d}`);
  const { affine } = opts;
  if (affine && (affine.gamma.length !== d || affine.beta.length !== d)) throw new RangeError(`layerNorm: gamma and beta must have d = ${d} lanes`);
  return E.scope(`layernorm.${degree}`, async () => {
    const centred = sub(x, broadcastRows(await rowMean(E, x, rows, d, ring), rows, d), ring);
    // Rounded, not floored: small variances are a few ulp, and a floor's −½ ulp bias per square would add up.
    const sq = await E.trunc(E.addConst(await E.square(centred, ring), 1n << BigInt(s - 1), ring), s, ring, "nonneg");
    const variance = E.addConst(await rowMean(E, sq, rows, d, ring), BigInt(Math.max(1, Math.round((opts.eps ?? 0) * 2 ** s))), ring);
    // σ² + ε ∈ [2^−s, 2^(hi−s)): the widest range rsqrt takes in this ring.
    const hi = Math.min(ring.bits - 1, 2 * (ring.bits - 4 - s));
    const inv = await rsqrt(E, variance, ring, { lo: 0, hi, degree });
    let y = await normalizedTrunc(E, await E.mulRows(centred, inv, rows, d, ring), d, ring);
    if (affine) {
      // A shared γ is one factor per column: the per-row product on the transpose.
      const scaled = affine.shared ? transpose(await E.mulRows(transpose(y, rows, d), affine.gamma, d, rows, ring), d, rows) : mulPublic(y, tileRows(affine.gamma, rows), ring);
      const beta = tileRows(affine.beta, rows);
      y = await E.trunc(scaled, s, ring);
      y = affine.shared ? add(y, beta, ring) : E.addConst(y, beta, ring);
    }
    return y;
  });
}
