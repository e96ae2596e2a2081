// Local ring arithmetic: the matrix product 128×768 · 768×768 mod 2^64 (one BERT-base projection at 128 tokens)
// in WebAssembly on one thread, against a plain BigUint64Array loop, and split over 1 and 2 pool workers.
// Every figure is the median of the timed runs after a warm-up; the 1- and 2-worker runs alternate so that both
// see the same machine load. All results are checked against each other.
// Usage: node dist/bench/ring.js [--json] [--runs R]
import { add, matmul, mul } from "../src/core/kernels.js";
import { createPool } from "../src/core/pool.js";
import { wasm, type Wasm } from "../src/core/wasm.js";
import { arg } from "./args.js";

const M = 128;
const K = 768;
const N = 768;

const json = process.argv.includes("--json");
const runs = arg("--runs", 9);

function fillRandom(a: BigUint64Array): BigUint64Array {
  const words = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  for (let i = 0; i < words.length; i += 16384) crypto.getRandomValues(words.subarray(i, i + 16384)); // 64 KiB per call at most
  return a;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[s.length >> 1];
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** The straightforward product: row i of C accumulates a[i,t]·(row t of B); lane stores truncate mod 2^64. */
function bigintMatmul(a: BigUint64Array, b: BigUint64Array, m: number, k: number, n: number): BigUint64Array {
  const c = new BigUint64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let t = 0; t < k; t++) {
      const x = a[i * k + t];
      const bo = t * n;
      const co = i * n;
      for (let j = 0; j < n; j++) c[co + j] += x * b[bo + j];
    }
  }
  return c;
}

function same(x: BigUint64Array, y: BigUint64Array, what: string): void {
  if (x.length !== y.length || x.some((v, i) => v !== y[i])) throw new Error(`${what}: results differ`);
}

/** Views of operands and output in `mem` (fresh each time: growing a memory replaces or detaches its buffer). */
function operands(mem: Wasm, a: BigUint64Array, b: BigUint64Array) {
  const [pa, pb, pc] = [a.length, b.length, M * N].map((n) => mem.alloc(8 * n));
  mem.u64(pa, a.length).set(a);
  mem.u64(pb, b.length).set(b);
  return () => ({ a: mem.u64(pa, a.length), b: mem.u64(pb, b.length), c: mem.u64(pc, M * N) });
}

const w = wasm();
const a = fillRandom(new BigUint64Array(M * K));
const b = fillRandom(new BigUint64Array(K * N));
const single = operands(w, a, b);
{
  const v = single(); // warm-up; also grows the memory to its final size
  matmul(v.a, v.b, M, K, N, 64, v.c);
}
const v = single();
const c = v.c;

console.error(`matmul ${M}×${K}·${K}×${N} mod 2^64, ${runs} timed runs each`);
const wasmTimes = Array.from({ length: runs }, () => time(() => matmul(v.a, v.b, M, K, N, 64, c)));
const wasmMs = median(wasmTimes);
console.error(`wasm, one thread: ${wasmMs.toFixed(2)} ms`);

const bigRuns = Math.min(runs, 3);
let reference = bigintMatmul(a, b, M, K, N); // warm-up
const bigTimes = Array.from({ length: bigRuns }, () => time(() => (reference = bigintMatmul(a, b, M, K, N))));
const bigintMs = median(bigTimes);
console.error(`BigUint64Array loop: ${bigintMs.toFixed(1)} ms`);
same(c, reference, "wasm vs BigUint64Array");

const pool1 = await createPool({ threads: 1 });
const pool2 = await createPool({ threads: 2 });
const ops1 = operands(pool1.wasm, a, b);
const ops2 = operands(pool2.wasm, a, b);
const t1: number[] = [];
const t2: number[] = [];
for (let r = -2; r < runs; r++) {
  const [v1, v2] = [ops1(), ops2()];
  const x = await timeAsync(() => pool1.matmul(v1.a, v1.b, M, K, N, 64, v1.c));
  const y = await timeAsync(() => pool2.matmul(v2.a, v2.b, M, K, N, 64, v2.c));
  if (r >= 0) {
    t1.push(x);
    t2.push(y);
    console.error(`workers: run ${r + 1}/${runs} 1 worker ${x.toFixed(2)} ms, 2 workers ${y.toFixed(2)} ms`);
  }
}
same(ops1().c, reference, "1 worker");
same(ops2().c, reference, "2 workers");
await Promise.all([pool1.close(), pool2.close()]);
const worker1Ms = median(t1);
const workers2Ms = median(t2);

// elementwise throughput on 2^20 lanes in kernel memory, for the table only
const E = 1 << 20;
const [px, py, pz] = [0, 1, 2].map(() => w.alloc(8 * E));
const [ex, ey, ez] = [px, py, pz].map((p) => fillRandom(w.u64(p, E)));
add(ex, ey, 64, ez);
mul(ex, ey, 64, ez);
const addMs = median(Array.from({ length: runs }, () => time(() => add(ex, ey, 64, ez))));
const mulMs = median(Array.from({ length: runs }, () => time(() => mul(ex, ey, 64, ez))));

const macs = M * K * N;
const rate = (ms: number) => `${(macs / ms / 1e6).toFixed(2)} GMAC/s`;
const rows: [string, string, string][] = [
  [`matmul ${M}×${K}·${K}×${N}, wasm 1 thread`, wasmMs.toFixed(2), rate(wasmMs)],
  ["matmul, BigUint64Array loop", bigintMs.toFixed(1), rate(bigintMs)],
  ["matmul, pool of 1 worker", worker1Ms.toFixed(2), rate(worker1Ms)],
  ["matmul, pool of 2 workers", workers2Ms.toFixed(2), rate(workers2Ms)],
  ["add, 2^20 lanes", addMs.toFixed(3), `${(E / addMs / 1e6).toFixed(2)} G/s`],
  ["mul, 2^20 lanes", mulMs.toFixed(3), `${(E / mulMs / 1e6).toFixed(2)} G/s`],
];
const width = Math.max(...rows.map((r) => r[0].length));
console.log(`${"kernel".padEnd(width)}  ${"ms".padStart(9)}  rate`);
for (const [name, ms, r] of rows) console.log(`${name.padEnd(width)}  ${ms.padStart(9)}  ${r}`);
const speedup = bigintMs / wasmMs;
const workers2Speedup = worker1Ms / workers2Ms;
const paired = median(t1.map((x, i) => x / t2[i])); // less sensitive to load that drifts between runs
console.log(`speedup over BigUint64Array: ${speedup.toFixed(2)}×; 2 workers over 1: ${workers2Speedup.toFixed(2)}× (paired runs: ${paired.toFixed(2)}×)`);
if (json) {
  const round = (v: number) => Math.round(v * 1000) / 1000;
  console.log(JSON.stringify({ wasmMs: round(wasmMs), bigintMs: round(bigintMs), speedup: round(speedup), workers2Speedup: round(workers2Speedup) }));
}
