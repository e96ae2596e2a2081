// Loads the WebAssembly kernels and owns their memory. Kernels take byte pointers; this module hands them out.
// Arrays whose buffer already is the WebAssembly memory are passed without copying (`lend`), so hot paths
// allocate their tensors here (`allocU64`) and never copy.
import { sharedWasmBase64, wasmBase64 } from "./wasm-binary.js";

const PAGE = 65536;
const ALIGN = 64; // a cache line; also satisfies v128 alignment
const MIN_CLASS = 6; // 64-byte blocks
const MAX_PAGES = 65536; // 4 GiB, the wasm32 limit

/** Raw kernel exports: each takes pointers (byte offsets) and lengths. */
export type KernelExports = Record<string, (...args: number[]) => number | void>;

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof Buffer !== "undefined") return Uint8Array.from(Buffer.from(b64, "base64"));
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * One kernel instance with a size-class allocator over its memory. Blocks are rounded up to a power of two
 * (at least 64 bytes) and recycled per class; memory grows on demand and never shrinks.
 */
export class Wasm {
  readonly memory: WebAssembly.Memory;
  readonly k: KernelExports;
  private top: number;
  private readonly freeLists: number[][] = [];
  private readonly sizes = new Map<number, number>();
  /** Earlier buffers of a shared memory: growing it yields a new buffer object, but old views stay valid. */
  private readonly sharedBuffers = new WeakSet<ArrayBufferLike>();

  /**
   * `growth`: grow by at least this fraction of the current size (0: only what is needed). Growing a private memory
   * may copy it, so owners of large, changing working sets grow geometrically.
   */
  constructor(memory: WebAssembly.Memory, module: WebAssembly.Module, private readonly growth = 0) {
    this.memory = memory;
    const instance = new WebAssembly.Instance(module, { env: { memory, abort: wasmAbort } });
    this.k = instance.exports as unknown as KernelExports;
    this.top = ALIGN; // pointer 0 stays invalid
  }

  /** Allocates `bytes` bytes (64-byte aligned, contents undefined). */
  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`alloc: bytes must be a non-negative integer, got ${bytes}`);
    const cls = Math.max(MIN_CLASS, Math.ceil(Math.log2(Math.max(1, bytes))));
    const list = this.freeLists[cls];
    if (list && list.length > 0) {
      const ptr = list.pop()!;
      this.sizes.set(ptr, cls);
      return ptr;
    }
    const size = 2 ** cls;
    const ptr = this.top;
    const end = ptr + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const need = Math.ceil((end - have) / PAGE);
      if (have / PAGE + need > MAX_PAGES) throw new RangeError(`alloc: ${bytes} bytes exceed the 4 GiB WebAssembly memory`);
      const pages = Math.min(MAX_PAGES - have / PAGE, Math.max(need, Math.ceil((have / PAGE) * this.growth)));
      if (this.memory.buffer instanceof SharedArrayBuffer) this.sharedBuffers.add(this.memory.buffer);
      this.memory.grow(pages);
    }
    this.top = end;
    this.sizes.set(ptr, cls);
    return ptr;
  }

  free(ptr: number): void {
    const cls = this.sizes.get(ptr);
    if (cls === undefined) throw new Error(`free: ${ptr} is not an allocated block`);
    this.sizes.delete(ptr);
    (this.freeLists[cls] ??= []).push(ptr);
  }

  /** A u64 array living in kernel memory. Views on non-shared memory detach when it grows: re-create with `u64`. */
  allocU64(n: number): BigUint64Array {
    return this.u64(this.alloc(n * 8), n);
  }

  allocU8(n: number): Uint8Array {
    return this.u8(this.alloc(n), n);
  }

  u64(ptr: number, n: number): BigUint64Array {
    return new BigUint64Array(this.memory.buffer, ptr, n);
  }

  u8(ptr: number, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, n);
  }

  /** Releases an array obtained from `allocU64`/`allocU8`. */
  release(a: ArrayBufferView): void {
    this.free(a.byteOffset);
  }

  /** True when `a` lies in kernel memory, so its byteOffset is a valid pointer. */
  owns(a: ArrayBufferView): boolean {
    return a.buffer === this.memory.buffer || this.sharedBuffers.has(a.buffer);
  }

  /**
   * Runs `fn` with pointers to the given arrays: arrays already in kernel memory are passed as they are, others are
   * copied in (and, for those listed in `outputs`, copied back out).
   */
  lend<T>(arrays: ArrayBufferView[], outputs: ArrayBufferView[], fn: (...ptrs: number[]) => T): T {
    const temps: number[] = [];
    // decided before any allocation: growing the memory detaches (private) or replaces (shared) its buffer
    const owned = arrays.map((a) => this.owns(a));
    const ptrs = arrays.map((a, i) => {
      if (owned[i]) return a.byteOffset;
      const ptr = this.alloc(a.byteLength);
      temps.push(ptr);
      if (!outputs.includes(a)) this.u8(ptr, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      return ptr;
    });
    try {
      const result = fn(...ptrs);
      arrays.forEach((a, i) => {
        if (!owned[i] && outputs.includes(a)) {
          new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(this.u8(ptrs[i], a.byteLength));
        }
      });
      return result;
    } finally {
      for (const t of temps) this.free(t);
    }
  }
}

function wasmAbort(): never {
  throw new Error("WebAssembly kernel aborted");
}

let moduleCache: WebAssembly.Module | undefined;
let sharedModuleCache: WebAssembly.Module | undefined;
let instance: Wasm | undefined;

/** The compiled kernel module for non-shared memory. */
export function kernelModule(): WebAssembly.Module {
  return (moduleCache ??= new WebAssembly.Module(decodeBase64(wasmBase64)));
}

/** The compiled kernel module for a shared memory (worker pools). */
export function sharedKernelModule(): WebAssembly.Module {
  return (sharedModuleCache ??= new WebAssembly.Module(decodeBase64(sharedWasmBase64)));
}

/** The process-wide kernel instance over a private (non-shared) memory. */
export function wasm(): Wasm {
  return (instance ??= new Wasm(new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES }), kernelModule()));
}
