// Typed wrappers over the compare-exchange kernels (assembly/prune.ts). The table stays in kernel memory for a
// whole schedule; each call copies in and out only the rows a layer touches.
import { wasm } from "../core/wasm.js";
import type { Layer } from "./schedules.js";

interface PruneKernelExports {
  pruneGatherDiff(diff: number, table: number, lo: number, hi: number, pairs: number, w: number, mask: bigint): void;
  pruneApplyDelta(table: number, delta: number, lo: number, hi: number, pairs: number, w: number, mask: bigint): void;
}

type View = BigUint64Array | Uint32Array | Uint8Array;

/** Copies `arrays` into kernel memory, runs `fn` on their pointers, and copies back the ones listed in `updated`. */
function call(arrays: View[], updated: View[], fn: (k: PruneKernelExports, ...ptrs: number[]) => void): void {
  const w = wasm();
  const ptrs = arrays.map((a) => w.alloc(a.byteLength));
  try {
    arrays.forEach((a, i) => w.u8(ptrs[i], a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)));
    fn(w.k as unknown as PruneKernelExports, ...ptrs);
    arrays.forEach((a, i) => {
      if (updated.includes(a)) new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(w.u8(ptrs[i], a.byteLength));
    });
  } finally {
    for (const p of ptrs) w.free(p);
  }
}

/**
 * Rows kept in kernel memory across a whole schedule of layers, so that each layer copies only the rows it touches
 * (the differences out, the MUX results in). Call `release` when done.
 */
export class KernelTable {
  readonly length: number;
  private readonly ptr: number;

  constructor(data: BigUint64Array) {
    const w = wasm();
    this.length = data.length;
    this.ptr = w.alloc(data.byteLength);
    w.u64(this.ptr, data.length).set(data);
  }

  /** A fresh view (views detach when kernel memory grows). */
  view(): BigUint64Array {
    return wasm().u64(this.ptr, this.length);
  }

  /** Row differences table[hi] − table[lo] for each pair of the layer. */
  gatherDiff(layer: Layer, w: number, mask: bigint): BigUint64Array {
    const diff = new BigUint64Array(layer.lo.length * w);
    call([diff, layer.lo, layer.hi], [diff], (k, pd, pl, ph) => k.pruneGatherDiff(pd, this.ptr, pl, ph, layer.lo.length, w, mask));
    return diff;
  }

  /** table[lo] += δ, table[hi] −= δ for each pair of the layer. */
  applyDelta(delta: BigUint64Array, layer: Layer, w: number, mask: bigint): void {
    call([delta, layer.lo, layer.hi], [], (k, pd, pl, ph) => k.pruneApplyDelta(this.ptr, pd, pl, ph, layer.lo.length, w, mask));
  }

  release(): void {
    wasm().free(this.ptr);
  }
}
