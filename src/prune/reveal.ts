// revealPrune: a LEAKY baseline. It opens the whole prune mask, so both parties learn which positions were pruned.
// Use it only as the speed floor the position-hiding methods are measured against.
import type { Ring } from "../core/ring.js";
import type { Party } from "../mpc/party.js";
import { getBit } from "../core/bits.js";
import { revealBits } from "../mpc/share.js";
import { compactPlain } from "./plain.js";
import { checkInputs, counted, type PruneResult } from "./result.js";
import { aboveThresholds, type Threshold } from "./threshold.js";

/** Keeps [CLS] and the tokens with S(j) > θ in order, after opening the mask to both parties (leaks positions). */
export async function revealPrune(
  p: Party,
  rows: BigUint64Array,
  scores: BigUint64Array,
  n: number,
  d: number,
  theta: Threshold,
  ring: Ring,
): Promise<PruneResult & { mask: Uint8Array }> {
  checkInputs("revealPrune", rows, scores, n, d);
  const { value, counters } = await counted(p, () =>
    p.scope("revealPrune", async () => {
      const [keep] = await aboveThresholds(p, scores, [theta], ring, "revealPrune");
      const opened = await revealBits(p, keep, n);
      const mask = Uint8Array.from({ length: n }, (_, j) => getBit(opened, j));
      return { mask, rows: compactPlain(rows, d, mask) };
    }),
  );
  return { rows: value.rows, kept: value.rows.length / d, d, counters, mask: value.mask };
}
