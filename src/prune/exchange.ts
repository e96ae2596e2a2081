// The compare-exchange step shared by the swap and sorting baselines: rows lo[i] and hi[i] of a shared table trade
// places where the XOR-shared bit swap[i] is set, through δ = swap·(row_hi − row_lo) with one MUX per lane.
import type { Ring } from "../core/ring.js";
import type { Party } from "../mpc/party.js";
import { getBit, packedLength } from "../mpc/bits.js";
import { mux } from "../mpc/mux.js";
import type { Layer } from "./schedules.js";

/** Applies one layer of conditional exchanges to `table` (rows of w lanes) in place. */
export async function exchangeRows(p: Party, table: BigUint64Array, w: number, layer: Layer, swap: Uint8Array, ring: Ring): Promise<void> {
  const pairs = layer.lo.length;
  const mask = ring.mask;
  const diff = new BigUint64Array(pairs * w);
  const sel = new Uint8Array(packedLength(pairs * w));
  for (let i = 0; i < pairs; i++) {
    const lo = layer.lo[i] * w;
    const hi = layer.hi[i] * w;
    for (let t = 0; t < w; t++) diff[i * w + t] = (table[hi + t] - table[lo + t]) & mask;
    if (getBit(swap, i)) for (let t = i * w; t < (i + 1) * w; t++) sel[t >>> 3] |= 1 << (t & 7);
  }
  const delta = await mux(p, sel, diff, ring);
  for (let i = 0; i < pairs; i++) {
    const lo = layer.lo[i] * w;
    const hi = layer.hi[i] * w;
    for (let t = 0; t < w; t++) {
      const v = delta[i * w + t];
      table[lo + t] = (table[lo + t] + v) & mask;
      table[hi + t] = (table[hi + t] - v) & mask;
    }
  }
}

/** Gathers lane `lane` of the given rows (e.g. the sort keys of one side of a layer). */
export function gatherLane(table: BigUint64Array, w: number, rows: Uint32Array, lane: number): BigUint64Array {
  const out = new BigUint64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = table[rows[i] * w + lane];
  return out;
}

/** This party's share of the sum of shared values (to open a count). */
export function sumShares(x: BigUint64Array, ring: Ring): bigint {
  let s = 0n;
  for (const v of x) s += v;
  return ring.reduce(s);
}
