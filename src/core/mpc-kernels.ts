// Typed view of the protocol kernels (assembly/mpc.ts) and kernel-memory blocks for the protocols' working sets.
// Pointers are byte offsets into kernel memory; a block stays valid across awaits, views of it do not (an allocation
// elsewhere may grow the memory and detach them), so callers take views right before use.
import type { RingKernelExports } from "./kernels.js";
import { wasm, type Wasm } from "./wasm.js";

export interface MpcKernelExports extends Pick<RingKernelExports, "ringNeg" | "ringReduce"> {
  gilboaSend(acc: number, t: number, m0: number, m1: number, y: number, n: number, shift: number): void;
  gilboaRecv(acc: number, mc: number, choices: number, k0: number, packed: number, n: number, shift: number, width: number): void;
  gilboaRowsSend(acc: number, t: number, x0: number, x1: number, b: number, m: number, k: number, n: number, vs: number, shift: number, perLane: number): void;
  gilboaRowsRecv(acc: number, xb: number, choices: number, q0: number, packed: number, lanes: number, k: number, n: number, vs: number, shift: number, width: number): void;
  leafMessages(msgs: number, v: number, gt: number, eq: number, n: number): void;
  tripleMessages(msgs: number, a: number, b: number, r: number, ots: number): void;
  lutRotations(msgs: number, table: number, shifts: number, r: number, n: number, size: number, mask: bigint): void;
  packBitLanes(dst: number, src: number, n: number, l: number): void;
  lowLanes(dst: number, h: number, n: number, mask: bigint): void;
  cotSendLanes(y: number, x: number, d: number, h1: number, n: number, mask: bigint): void;
  cotRecvLanes(out: number, packed: number, choices: number, n: number, l: number): void;
  otnPick(out: number, packed: number, choices: number, n: number, N: number, l: number): void;
}

export function mpcKernels(w: Wasm = wasm()): MpcKernelExports {
  return w.k as unknown as MpcKernelExports;
}

/** Blocks of kernel memory of the given byte sizes (contents undefined), released together by `free`. */
export function kernelBlocks(sizes: number[]): { ptrs: number[]; free: () => void } {
  const w = wasm();
  const ptrs: number[] = [];
  const free = () => ptrs.forEach((q) => w.free(q));
  try {
    for (const s of sizes) ptrs.push(w.alloc(s));
  } catch (err) {
    free();
    throw err;
  }
  return { ptrs, free };
}
