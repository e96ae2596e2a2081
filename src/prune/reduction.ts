// reductionMask: which kept tokens take the low-degree polynomials. CipherPrune opens this mask in compacted order;
// here the one shuffle of compactGroups sorts the tokens into high-degree (S > β, and [CLS]), low-degree
// (θ < S ≤ β) and pruned (S ≤ θ) and reveals only the sizes of the first two groups.
import type { Ring } from "../core/ring.js";
import type { Party } from "../mpc/party.js";
import { xorBits } from "../core/bits.js";
import { compactGroups } from "./compact.js";
import { checkInputs, counted, type PruneResult } from "./result.js";
import type { ShuffleSetup } from "./shuffle.js";
import { aboveThresholds, type Threshold } from "./threshold.js";

export interface ReductionResult extends PruneResult {
  /** The first `high` rows take the high-degree path, the remaining kept − high rows the low-degree one. */
  high: number;
  low: number;
}

/** Prunes at θ and groups the kept tokens by β (β ≥ θ, the server's): shares of [high rows…, low rows…], each in original order. */
export async function reductionMask(
  p: Party,
  rows: BigUint64Array,
  scores: BigUint64Array,
  n: number,
  d: number,
  theta: Threshold,
  beta: Threshold,
  ring: Ring,
  setup?: ShuffleSetup,
): Promise<ReductionResult> {
  checkInputs("reductionMask", rows, scores, n, d);
  if (typeof theta === "bigint" && typeof beta === "bigint" && beta < theta) throw new RangeError(`reductionMask: beta (${beta}) must be at least theta (${theta})`);
  const { value, counters } = await counted(p, () =>
    p.scope("reductionMask", async () => {
      const [keep, high] = await aboveThresholds(p, scores, [theta, beta], ring, "reductionMask");
      // S > β implies S > θ, so "kept but not high" is keep ⊕ high, computed locally.
      return compactGroups(p, rows, n, d, [high, xorBits(keep, high)], ring, { setup });
    }),
  );
  const [hi, lo] = value.counts;
  return { rows: value.rows, kept: hi + lo, high: hi, low: lo, d, counters };
}
