// The compare-exchange step shared by the swap and sorting baselines: rows lo[i] and hi[i] of a shared table trade
// places where the XOR-shared bit swap[i] is set, through δ = swap·(row_hi − row_lo) with one MUX per lane.
import type { Ring } from "../core/ring.js";
import type { Party } from "../mpc/party.js";
import { getBit, packedLength } from "../core/bits.js";
import { mux } from "../mpc/mux.js";
import type { KernelTable } from "./kernels.js";
import type { Layer } from "./schedules.js";

/** Applies one layer of conditional exchanges to `table` (rows of w lanes) in place. */
export async function exchangeRows(p: Party, table: KernelTable, w: number, layer: Layer, swap: Uint8Array, ring: Ring): Promise<void> {
  const pairs = layer.lo.length;
  const diff = table.gatherDiff(layer, w, ring.mask);
  const sel = new Uint8Array(packedLength(pairs * w));
  for (let i = 0; i < pairs; i++) {
    if (getBit(swap, i)) for (let t = i * w; t < (i + 1) * w; t++) sel[t >>> 3] |= 1 << (t & 7);
  }
  table.applyDelta(await mux(p, sel, diff, ring), layer, w, ring.mask);
}

/** Gathers lane `lane` of the given rows (e.g. the sort keys of one side of a layer). */
export function gatherLane(table: KernelTable, w: number, rows: Uint32Array, lane: number): BigUint64Array {
  const view = table.view();
  const out = new BigUint64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = view[rows[i] * w + lane];
  return out;
}

/** This party's share of the sum of shared values (to open a count). */
export function sumShares(x: BigUint64Array, ring: Ring): bigint {
  let s = 0n;
  for (const v of x) s += v;
  return ring.reduce(s);
}
