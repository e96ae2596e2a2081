// Token importance: S(j) = (1/(H·n)) Σ_h Σ_i Att_h[i, j], the attention token j receives averaged over heads and
// query rows. The sums are local on shares; 1/(H·n) is a public fixed-point constant, so one truncation follows.
import type { Ring } from "../core/ring.js";
import type { Party } from "../mpc/party.js";
import { mulPublic } from "../mpc/mult.js";
import { truncate } from "../mpc/truncate.js";
import { scoreFactor, scoreShift } from "./plain.js";

/**
 * Shares of S (n lanes, at the ring's scale) from shares of the attention probabilities `att` (heads × n × n,
 * row-major, at the ring's scale). Exact twin: `scorePlain`. Needs Σ_h Σ_i Att_h[i, j] < 2^(l−2−f)·H·n in
 * magnitude, which holds for probabilities (at most H·n·2^s), f = l − 2 − s.
 */
export async function score(p: Party, att: BigUint64Array, heads: number, n: number, ring: Ring): Promise<BigUint64Array> {
  if (!Number.isInteger(heads) || heads < 1) throw new RangeError(`score: heads must be a positive integer, got ${heads}`);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`score: n must be a positive integer, got ${n}`);
  if (!(att instanceof BigUint64Array) || att.length !== heads * n * n) throw new RangeError(`score: att must hold heads × n × n = ${heads * n * n} lanes`);
  if (scoreShift(ring) < 1) throw new RangeError(`score: ${ring} leaves no fractional bits for 1/(H·n)`);
  return p.scope("score", async () => {
    const sums = new BigUint64Array(n);
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < n; i++) {
        const row = (h * n + i) * n;
        for (let j = 0; j < n; j++) sums[j] += att[row + j];
      }
    }
    const scaled = mulPublic(ring.reduceArray(sums), scoreFactor(ring, heads, n), ring);
    return truncate(p, scaled, scoreShift(ring), ring);
  });
}
