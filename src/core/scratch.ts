// Reusable byte buffers for the extension's hot loops: one allocation, grown on demand, 8-byte aligned so that
// word views need no copy. `KernelScratch` lives in WebAssembly memory, so kernels read it in place.
import { wasm } from "./wasm.js";

export class Scratch {
  private bytes = new Uint8Array(0);

  /** A view of n bytes, contents undefined; valid until the next `get` on this scratch. */
  get(n: number): Uint8Array {
    if (this.bytes.length < n) this.bytes = new Uint8Array(Math.max(n, this.bytes.length * 2));
    return this.bytes.subarray(0, n);
  }
}

/**
 * Like Scratch, in kernel memory. Reserve every buffer first, then take views: an allocation may grow the memory,
 * which detaches views taken before it.
 */
export class KernelScratch {
  private ptr = 0;
  private size = 0;

  reserve(n: number): void {
    if (this.size >= n) return;
    const w = wasm();
    if (this.ptr !== 0) w.free(this.ptr);
    this.size = Math.max(n, this.size * 2);
    this.ptr = w.alloc(this.size);
  }

  /** A view of the first n reserved bytes. */
  view(n: number): Uint8Array {
    return wasm().u8(this.ptr, n);
  }
}

/** dst = a ⊕ b (equal lengths) by the SIMD kernel; all three must lie in kernel memory. */
export function xorKernel(dst: Uint8Array, a: Uint8Array, b: Uint8Array): void {
  wasm().k.xorBytes(dst.byteOffset, a.byteOffset, b.byteOffset, dst.length);
}

/** The u32 words of a 4-byte-aligned byte range. */
export function words(a: Uint8Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length >>> 2);
}

/**
 * u64 lanes reused from loan to loan: a fresh 100 MB array costs more in page faults than filling one. A loan taken
 * while another is out gets its own array. Contents are undefined.
 */
export class LaneLoan {
  private buf = new BigUint64Array(0);
  private busy = false;

  /** `count` lanes, valid until `release` is called. */
  take(count: number): { lanes: BigUint64Array; release: () => void } {
    if (this.busy) return { lanes: new BigUint64Array(count), release: () => {} };
    if (this.buf.length < count) this.buf = new BigUint64Array(count);
    this.busy = true;
    return { lanes: this.buf.subarray(0, count), release: () => void (this.busy = false) };
  }
}
