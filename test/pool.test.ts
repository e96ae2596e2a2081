// The piscina pool loads its worker from dist/ (see defaultWorkerUrl): run `npm run build` before this file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matmul } from "../src/core/kernels.js";
import { createPool, KernelPool, sharedMemory, type KernelCall, type KernelThreads } from "../src/core/pool.js";
import { kernelModule, sharedKernelModule, Wasm } from "../src/core/wasm.js";

function randomU64(n: number, seed: number): BigUint64Array {
  const out = new BigUint64Array(n);
  let s = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
  for (let i = 0; i < n; i++) {
    s = BigInt.asUintN(64, s * 6364136223846793005n + 1442695040888963407n);
    out[i] = s ^ (s >> 29n);
  }
  // edge values at the front
  out.set([0n, 1n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 37n - 1n, 2n ** 36n].slice(0, n));
  return out;
}

const SHAPES: [number, number, number][] = [
  [7, 13, 5],
  [129, 65, 67],
  [2, 3, 3], // one column block: a single part
  [3, 0, 9],
  [0, 4, 8],
  [33, 40, 260],
];

describe("piscina pool", () => {
  let pool: KernelPool;
  beforeAll(async () => {
    pool = await createPool({ threads: 2, minParallelMacs: 0 });
  }, 20_000);
  afterAll(() => pool?.close());

  it("splits products over two workers and equals the single-thread result", async () => {
    for (const bits of [1, 16, 37, 63, 64]) {
      for (const [m, k, n] of SHAPES) {
        const a = randomU64(m * k, m + bits);
        const b = randomU64(k * n, n + bits);
        const got = await pool.matmul(a, b, m, k, n, bits);
        expect(Array.from(got), `${m}×${k}·${k}×${n} mod 2^${bits}`).toEqual(Array.from(matmul(a, b, m, k, n, bits)));
      }
    }
  }, 20_000);

  it("uses arrays in the shared memory in place and runs concurrent products", async () => {
    const w = pool.wasm;
    const [m, k, n] = [64, 96, 200];
    const a = w.allocU64(m * k);
    const b = w.allocU64(k * n);
    const c = w.allocU64(m * n);
    try {
      a.set(randomU64(m * k, 1));
      b.set(randomU64(k * n, 2));
      const other = randomU64(m * k, 3);
      const [c1, c2] = await Promise.all([pool.matmul(a, b, m, k, n, 37, c), pool.matmul(other, b, m, k, n, 37)]);
      expect(c1).toBe(c);
      expect(Array.from(c1)).toEqual(Array.from(matmul(a, b, m, k, n, 37)));
      expect(Array.from(c2)).toEqual(Array.from(matmul(other, b, m, k, n, 37)));
    } finally {
      for (const x of [a, b, c]) w.release(x);
    }
  }, 20_000);

  it("keeps using shared-memory views made before the memory grew, without copying", async () => {
    const w = pool.wasm;
    const [m, k, n] = [6, 10, 12];
    const a = w.allocU64(m * k);
    const b = w.allocU64(k * n);
    const c = w.allocU64(m * n);
    const big = w.alloc(1 << 24); // a fresh block at the top: the memory grows and gets a new buffer object
    try {
      expect(a.buffer).not.toBe(w.memory.buffer);
      expect(w.owns(a)).toBe(true);
      a.set(randomU64(m * k, 4));
      b.set(randomU64(k * n, 5));
      expect(await pool.matmul(a, b, m, k, n, 16, c)).toBe(c);
      expect(Array.from(c)).toEqual(Array.from(matmul(a, b, m, k, n, 16)));
    } finally {
      for (const x of [a, b, c]) w.release(x);
      w.free(big);
    }
  });

  it("rejects bad arguments before touching the workers", async () => {
    await expect(pool.matmul(new BigUint64Array(4), new BigUint64Array(3), 2, 2, 2)).rejects.toThrow(/b has length 3, expected 4/);
    await expect(createPool({ threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
  });
});

describe("KernelPool over substitute threads", () => {
  // What a browser would plug in: here the calls run on this thread over the shared memory, and are recorded.
  function recordingThreads(w: Wasm, size: number, seen: KernelCall[][]): KernelThreads {
    return {
      size,
      run: async (calls) => {
        seen.push(calls);
        for (const call of calls) w.k[call.kernel](...(call.args as number[]));
      },
      close: async () => {},
    };
  }

  it("splits columns into 4-aligned ranges covering every column once", async () => {
    const w = new Wasm(sharedMemory(), sharedKernelModule());
    const seen: KernelCall[][] = [];
    const pool = new KernelPool(recordingThreads(w, 3, seen), w, 0);
    const [m, k, n] = [5, 7, 2 ** 5 + 101];
    const a = randomU64(m * k, 8);
    const b = randomU64(k * n, 9);
    expect(Array.from(await pool.matmul(a, b, m, k, n, 63))).toEqual(Array.from(matmul(a, b, m, k, n, 63)));
    const ranges = seen[0].map((c) => [c.args[7], c.args[8]]);
    expect(ranges).toEqual([[0, 44], [44, 88], [88, 133]]);
    // below the threshold the product stays on the calling thread
    const small = new KernelPool(recordingThreads(w, 3, seen), w, 1e9);
    await small.matmul(a, b, m, k, n);
    expect(seen.length).toBe(1);
  });

  it("refuses a private memory", () => {
    const w = new Wasm(new WebAssembly.Memory({ initial: 16, maximum: 65536 }), kernelModule());
    expect(() => new KernelPool(recordingThreads(w, 1, []), w)).toThrow(/shared memory/);
  });
});
