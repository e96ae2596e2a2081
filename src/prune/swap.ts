// swapPrune: CipherPrune's Π_mask. The keep bit rides with its token as an extra {0,1} lane, only the count m of
// pruned tokens is opened, and m bubble passes push the pruned tokens to the end with oblivious adjacent swaps
// (Σ_{k<m}(n−1−k) swaps of d + 1 lanes), after which the last m rows are dropped. Independent swaps of different
// passes run as one batched layer (schedules.ts), n + m − 2 layers in all.
import type { Ring } from "../core/ring.js";
import type { Party } from "../mpc/party.js";
import { packedLength, setBit } from "../core/bits.js";
import { exchangeRows, gatherLane } from "./exchange.js";
import { KernelTable } from "./kernels.js";
import { checkInputs, counted, type PruneResult } from "./result.js";
import { bubbleLayers } from "./schedules.js";
import { aboveThresholds, openKeptCount, type Threshold } from "./threshold.js";

/** Keeps [CLS] and the tokens with S(j) > θ in order, revealing only how many were kept. */
export async function swapPrune(
  p: Party,
  rows: BigUint64Array,
  scores: BigUint64Array,
  n: number,
  d: number,
  theta: Threshold,
  ring: Ring,
): Promise<PruneResult> {
  checkInputs("swapPrune", rows, scores, n, d);
  const { value, counters } = await counted(p, () =>
    p.scope("swapPrune", async () => {
      const [keep] = await aboveThresholds(p, scores, [theta], ring, "swapPrune");
      const { bound, kept } = await openKeptCount(p, keep, n, ring, "swapPrune");
      const w = d + 1;
      const table = new BigUint64Array(n * w);
      for (let j = 0; j < n; j++) {
        table.set(rows.subarray(j * d, (j + 1) * d), j * w);
        table[j * w + d] = bound[j];
      }
      const kt = new KernelTable(table);
      try {
        for (const layer of bubbleLayers(n, n - kept)) {
          // Swap where the lower token is pruned. Its bound lane is a {0,1} value, so the low bits of the two
          // arithmetic shares are XOR shares of it: the bound bit is read without a comparison.
          const lows = gatherLane(kt, w, layer.lo, d);
          const swap = new Uint8Array(packedLength(layer.lo.length));
          for (let i = 0; i < layer.lo.length; i++) setBit(swap, i, Number(lows[i] & 1n) ^ (p.isServer ? 1 : 0));
          await exchangeRows(p, kt, w, layer, swap, ring);
        }
        const view = kt.view();
        const out = new BigUint64Array(kept * d);
        for (let j = 0; j < kept; j++) out.set(view.subarray(j * w, j * w + d), j * d);
        return { rows: out, kept };
      } finally {
        kt.release();
      }
    }),
  );
  return { ...value, d, counters };
}
