// Plaintext twins of the pruning protocols over ring elements: what each protocol must output, computed in the clear.
import type { Ring } from "../core/ring.js";

/** Fractional bits of the constant 1/(H·n) in `score`: as many as the ring leaves above the summed probabilities. */
export function scoreShift(ring: Ring): number {
  return ring.bits - 2 - ring.scale;
}

/** The fixed-point constant round(2^f / (heads·n)) that `score` multiplies the column sums by. */
export function scoreFactor(ring: Ring, heads: number, n: number): bigint {
  return BigInt(Math.round(2 ** scoreShift(ring) / (heads * n)));
}

/**
 * S(j) = floor(Σ_h Σ_i att[h][i][j] · round(2^f/(H·n)) / 2^f): the attention token j receives, averaged over heads
 * and query rows, at the ring's scale. `att` is heads × n × n, row-major, ring elements.
 */
export function scorePlain(ring: Ring, att: BigUint64Array, heads: number, n: number): BigUint64Array {
  const c = scoreFactor(ring, heads, n);
  const f = BigInt(scoreShift(ring));
  const out = new BigUint64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0n;
    for (let h = 0; h < heads; h++) for (let i = 0; i < n; i++) s += att[(h * n + i) * n + j];
    out[j] = ring.reduce(ring.signed(ring.reduce(s * c)) >> f);
  }
  return out;
}

/** Token j is kept iff j = 0 ([CLS]) or S(j) > θ (signed comparison). One byte per token. */
export function keepPlain(ring: Ring, scores: BigUint64Array, theta: bigint): Uint8Array {
  const keep = new Uint8Array(scores.length);
  for (let j = 0; j < scores.length; j++) keep[j] = j === 0 || ring.signed(scores[j]) > theta ? 1 : 0;
  return keep;
}

/**
 * The `keep` tokens bitonicPrune keeps: [CLS] and the keep − 1 other tokens of highest score (signed; ties: the
 * earlier position first). One byte per token.
 */
export function topPlain(ring: Ring, scores: BigUint64Array, keep: number): Uint8Array {
  const order = Array.from({ length: scores.length - 1 }, (_, j) => j + 1).sort((a, b) => {
    const d = ring.signed(scores[b]) - ring.signed(scores[a]);
    return d === 0n ? a - b : d > 0n ? 1 : -1;
  });
  const out = new Uint8Array(scores.length);
  out[0] = 1;
  for (const j of order.slice(0, keep - 1)) out[j] = 1;
  return out;
}

/**
 * Token groups for the polynomial reduction: 0 pruned (S ≤ θ), 1 low degree (θ < S ≤ β), 2 high degree (S > β).
 * [CLS] is always high degree.
 */
export function groupsPlain(ring: Ring, scores: BigUint64Array, theta: bigint, beta: bigint): Uint8Array {
  const g = new Uint8Array(scores.length);
  for (let j = 0; j < scores.length; j++) {
    const s = ring.signed(scores[j]);
    g[j] = j === 0 || s > beta ? 2 : s > theta ? 1 : 0;
  }
  return g;
}

/** The rows (each `d` lanes) whose flag is set, in their original order. */
export function compactPlain(rows: BigUint64Array, d: number, keep: Uint8Array): BigUint64Array {
  let k = 0;
  for (const b of keep) k += b ? 1 : 0;
  const out = new BigUint64Array(k * d);
  let at = 0;
  for (let j = 0; j < keep.length; j++) {
    if (keep[j]) out.set(rows.subarray(j * d, (j + 1) * d), d * at++);
  }
  return out;
}

/** Rows as strings, sorted: equal multisets of rows give equal lists. */
export function rowMultiset(rows: BigUint64Array, d: number): string[] {
  const out: string[] = [];
  for (let j = 0; j * d < rows.length; j++) out.push(rows.subarray(j * d, (j + 1) * d).join(","));
  return out.sort();
}
