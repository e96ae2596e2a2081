// Sorting baselines. bitonicPrune is BOLT's word elimination: a bitonic sort of the scores finds the keep-th
// largest, every token compares itself with it, and a second bitonic sort keyed by (dropped, position) carries the
// rows, so the kept ones come first in their original order. sortPrune sorts once by score, carrying the rows, and
// keeps the top K after opening the count K of tokens above θ.
//
// Sort keys are S(j)·2^k + (n − 1 − j) with k = ⌈log2 n⌉, so no two tokens tie and a higher score (then a lower
// position) sorts first; [CLS] gets the largest key. This needs |S(j)| < 2^(l−3−k).
import type { Ring } from "../core/ring.js";
import type { Party } from "../mpc/party.js";
import { b2a } from "../mpc/b2a.js";
import { greaterThan, lessThan } from "../mpc/compare.js";
import { drelu } from "../mpc/drelu.js";
import { exchangeRows, gatherLane } from "./exchange.js";
import { KernelTable } from "./kernels.js";
import { checkInputs, counted, type PruneResult } from "./result.js";
import { bitonicLayers } from "./schedules.js";
import { aboveThresholds, openKeptCount, type Threshold } from "./threshold.js";

function indexBits(n: number): number {
  return Math.max(1, Math.ceil(Math.log2(n)));
}

/** The unique sort keys S(j)·2^k + (n − 1 − j), with [CLS]'s key the largest allowed, 2^(l−3) − 1. */
export function sortKeys(p: Party, scores: BigUint64Array, ring: Ring): BigUint64Array {
  const n = scores.length;
  const k = BigInt(indexBits(n));
  const out = new BigUint64Array(n);
  for (let j = 0; j < n; j++) out[j] = ((scores[j] << k) + (p.isServer ? BigInt(n - 1 - j) : 0n)) & ring.mask;
  out[0] = p.isServer ? (1n << BigInt(ring.bits - 3)) - 1n : 0n;
  return out;
}

/** Bitonic sort of the table's rows by the key in lane `key`, largest first when `descending`. */
async function sortRows(p: Party, rows: BigUint64Array, n: number, w: number, key: number, descending: boolean, ring: Ring): Promise<void> {
  const table = new KernelTable(rows);
  try {
    for (const layer of bitonicLayers(n)) {
      const lo = gatherLane(table, w, layer.lo, key);
      const hi = gatherLane(table, w, layer.hi, key);
      const swap = descending ? await lessThan(p, lo, hi, ring) : await greaterThan(p, lo, hi, ring);
      await exchangeRows(p, table, w, layer, swap, ring);
    }
    rows.set(table.view());
  } finally {
    table.release();
  }
}

/** Rows 0..count−1 of the table, without the extra lanes past d. */
function firstRows(table: BigUint64Array, w: number, d: number, count: number): BigUint64Array {
  const out = new BigUint64Array(count * d);
  for (let j = 0; j < count; j++) out.set(table.subarray(j * w, j * w + d), j * d);
  return out;
}

/** The table rows | key: n × (d + 1) lanes. */
function withKey(rows: BigUint64Array, key: BigUint64Array, n: number, d: number): BigUint64Array {
  const w = d + 1;
  const table = new BigUint64Array(n * w);
  for (let j = 0; j < n; j++) {
    table.set(rows.subarray(j * d, (j + 1) * d), j * w);
    table[j * w + d] = key[j];
  }
  return table;
}

/**
 * BOLT's word elimination: keeps the `keep` highest-scoring tokens ([CLS] always; default half of them, as BOLT), in
 * their original order. Reveals nothing but the public `keep`.
 */
export async function bitonicPrune(
  p: Party,
  rows: BigUint64Array,
  scores: BigUint64Array,
  n: number,
  d: number,
  ring: Ring,
  keep = Math.ceil(n / 2),
): Promise<PruneResult> {
  checkInputs("bitonicPrune", rows, scores, n, d);
  if (!Number.isInteger(keep) || keep < 1 || keep > n) throw new RangeError(`bitonicPrune: keep must be an integer in [1, ${n}], got ${keep}`);
  const { value, counters } = await counted(p, () =>
    p.scope("bitonicPrune", async () => {
      const keys = sortKeys(p, scores, ring);
      const sorted = keys.slice();
      await sortRows(p, sorted, n, 1, 0, true, ring);
      // Keys are unique, so exactly `keep` tokens have a key ≥ the keep-th largest.
      const cut = sorted[keep - 1];
      const above = await drelu(p, keys.map((x) => (x - cut) & ring.mask), ring);
      const kept = await b2a(p, above, n, ring);
      const nn = BigInt(n);
      const key2 = new BigUint64Array(n);
      for (let j = 0; j < n; j++) key2[j] = ((p.isServer ? nn + BigInt(j) : 0n) - nn * kept[j]) & ring.mask;
      const table = withKey(rows, key2, n, d);
      await sortRows(p, table, n, d + 1, d, false, ring);
      return firstRows(table, d + 1, d, keep);
    }),
  );
  return { rows: value, kept: keep, d, counters };
}

/** One bitonic sort by score carrying the rows; keeps the top K, K = 1 + #{j ≥ 1 : S(j) > θ} (opened). */
export async function sortPrune(
  p: Party,
  rows: BigUint64Array,
  scores: BigUint64Array,
  n: number,
  d: number,
  theta: Threshold,
  ring: Ring,
): Promise<PruneResult> {
  checkInputs("sortPrune", rows, scores, n, d);
  const { value, counters } = await counted(p, () =>
    p.scope("sortPrune", async () => {
      const [keep] = await aboveThresholds(p, scores, [theta], ring, "sortPrune");
      const { kept } = await openKeptCount(p, keep, n, ring, "sortPrune");
      const table = withKey(rows, sortKeys(p, scores, ring), n, d);
      await sortRows(p, table, n, d + 1, d, true, ring);
      return { rows: firstRows(table, d + 1, d, kept), kept };
    }),
  );
  return { ...value, d, counters };
}
