// Kernels run on several threads over one shared WebAssembly memory. The main thread allocates (with the usual
// `Wasm` allocator over the shared memory) and splits the work; threads only run kernel calls on pointers, so the
// shared build needs no allocator of its own. A matrix product is split by 4-column blocks: each thread packs and
// multiplies its own columns, which keeps each thread's panel of B in its own L2 (row splits scaled worse here).
import { matmulOutput, ringKernels } from "./kernels.js";
import { sharedKernelModule, Wasm } from "./wasm.js";

/** One raw kernel call: an export name and its arguments (pointers into the shared memory, sizes). */
export interface KernelCall {
  kernel: string;
  args: (number | bigint)[];
}

/**
 * Threads that run kernel calls over the pool's shared memory. Node uses piscina (`createPool`); a browser
 * supplies its own, e.g. Web Workers that instantiate `sharedKernelModule()` over the same memory.
 */
export interface KernelThreads {
  readonly size: number;
  /** Runs the calls concurrently (at most one per thread at a time); resolves when all have finished. */
  run(calls: KernelCall[]): Promise<void>;
  close(): Promise<void>;
}

export interface PoolOptions {
  /** Number of threads (default 2). */
  threads?: number;
  /** Products with fewer multiply-accumulates run on the calling thread (default 2^20). */
  minParallelMacs?: number;
  /** The compiled worker file (default: pool-worker.js beside this module, see `defaultWorkerUrl`). */
  workerUrl?: URL;
}

const DEFAULT_MIN_PARALLEL_MACS = 1 << 20;

/** A shared memory for a pool, with the same limits as the private kernel memory. */
export function sharedMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
}

export class KernelPool {
  /** The kernel instance over the shared memory: arrays from `wasm.allocU64` reach the threads without copying. */
  readonly wasm: Wasm;
  readonly threads: KernelThreads;
  private readonly minParallelMacs: number;

  constructor(threads: KernelThreads, wasm: Wasm, minParallelMacs = DEFAULT_MIN_PARALLEL_MACS) {
    if (!(wasm.memory.buffer instanceof SharedArrayBuffer)) throw new TypeError("wasm: a pool needs a Wasm over a shared memory");
    if (!Number.isInteger(threads.size) || threads.size < 1) throw new RangeError(`threads.size must be a positive integer, got ${threads.size}`);
    if (!(minParallelMacs >= 0)) throw new RangeError(`minParallelMacs must be non-negative, got ${minParallelMacs}`);
    this.threads = threads;
    this.wasm = wasm;
    this.minParallelMacs = minParallelMacs;
  }

  /** C = A·B mod 2^bits for row-major A (m×k), B (k×n), split by columns over the threads. */
  async matmul(a: BigUint64Array, b: BigUint64Array, m: number, k: number, n: number, bits = 64, out?: BigUint64Array): Promise<BigUint64Array> {
    const c = matmulOutput(a, b, m, k, n, bits, out);
    const w = this.wasm;
    const kern = ringKernels(w);
    const [ownC, ownA, ownB] = [w.owns(c), w.owns(a), w.owns(b)];
    const temps: number[] = [];
    // arrays outside the shared memory are staged in it (the threads cannot see them)
    const stage = (x: BigUint64Array, owned: boolean): number => {
      if (owned) return x.byteOffset;
      const ptr = w.alloc(x.byteLength);
      temps.push(ptr);
      return ptr;
    };
    try {
      const [pc, pa, pb] = [stage(c, ownC), stage(a, ownA), stage(b, ownB)];
      const bp = w.alloc(kern.matmulPackedBytes(k, n));
      temps.push(bp);
      if (!ownA) w.u64(pa, a.length).set(a);
      if (!ownB) w.u64(pb, b.length).set(b);
      const blocks = Math.ceil(n / 4);
      if (m * k * n < this.minParallelMacs || blocks === 0) {
        kern.matmul(pc, pa, pb, bp, m, k, n, 0, n, bits);
      } else {
        const parts = Math.min(this.threads.size, blocks);
        const calls: KernelCall[] = [];
        for (let p = 0; p < parts; p++) {
          const j0 = 4 * Math.floor((p * blocks) / parts);
          const j1 = Math.min(n, 4 * Math.floor(((p + 1) * blocks) / parts));
          calls.push({ kernel: "matmul", args: [pc, pa, pb, bp, m, k, n, j0, j1, bits] });
        }
        await this.threads.run(calls);
      }
      if (!ownC) c.set(w.u64(pc, c.length));
    } finally {
      for (const t of temps) w.free(t);
    }
    return c;
  }

  close(): Promise<void> {
    return this.threads.close();
  }
}

/**
 * The compiled worker file. Under a TypeScript test runner this module is src/core/pool.ts, which has no runnable
 * worker beside it, so the one compiled to dist/ is used: run `npm run build:ts` before such tests.
 */
export function defaultWorkerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith(".ts") ? new URL("../../dist/src/core/pool-worker.js", here) : new URL("./pool-worker.js", here);
}

/** A pool of piscina worker threads (Node). Workers start now and live until `close()`. */
export async function createPool(options: PoolOptions = {}): Promise<KernelPool> {
  const size = options.threads ?? 2;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`threads must be a positive integer, got ${size}`);
  const memory = sharedMemory();
  const module = sharedKernelModule();
  const { Piscina } = await import("piscina");
  const piscina = new Piscina<KernelCall, void>({
    filename: (options.workerUrl ?? defaultWorkerUrl()).href,
    minThreads: size,
    maxThreads: size,
    workerData: { memory, module },
  });
  const threads: KernelThreads = {
    size,
    run: async (calls) => {
      await Promise.all(calls.map((call) => piscina.run(call)));
    },
    close: () => piscina.close(),
  };
  return new KernelPool(threads, new Wasm(memory, module), options.minParallelMacs);
}
