// Micro-benchmarks of the RLWE kernels (tinybench): NTT forward, inverse and pruned, the shared-operand MAC, elementwise
// products, a hybrid key switch and an answer's finishing and decoding at N = 8192 with 30-bit primes.
// Usage: node dist/bench/kernels.js [--json]
import { Bench } from "tinybench";
import { Prg } from "../src/core/prg.js";
import { packingElements, rlweContext } from "../src/he/simd/scheme.js";

const json = process.argv.includes("--json");
const ctx = rlweContext();
const rns = ctx.rns;
const n = ctx.n;
const prg = await Prg.create();
const sk = ctx.secretKey(prg);
const pk = ctx.publicKey(sk, prg, prg.fork());
const g = packingElements(n, 2)[0];
const key = ctx.galoisKey(sk, g, prg, prg.fork());

const a = ctx.alloc(4);
ctx.uniform(prg, a, [0, 1, 2, 3]);
const b = ctx.alloc(4);
ctx.uniform(prg, b, [0, 1, 2, 3]);
const work = ctx.alloc(1);
const terms = 48; // inner blocks of a 768-wide layer at nw = 16
const xs = Array.from({ length: terms }, (_, t) => ctx.vec(a, t % 4));
const ys = Array.from({ length: terms }, (_, t) => ctx.vec(b, t % 4));
const work2 = ctx.alloc(1);
const mask = rns.w.alloc(8 * n);
new BigUint64Array(rns.w.memory.buffer, mask, n).fill(0n);

const bench = new Bench({ time: 500 });
bench
  .add("ntt forward", () => {
    rns.copy(work, a);
    rns.ntt(work, 0);
  })
  .add("ntt inverse", () => {
    rns.copy(work, a);
    rns.intt(work, 0);
  })
  .add("ntt pruned, degree 64", () => {
    rns.copy(work, a);
    rns.nttPruned(work, 0, 64);
  })
  .add("copy (baseline of the three above)", () => rns.copy(work, a))
  .add(`macShared, ${terms} terms`, () => rns.macShared(work, work2, xs, ys, ys, 0))
  .add("mul (elementwise)", () => rns.mul(work, a, b, 0))
  .add("key switch, L = 4", () => {
    const [k0, k1] = ctx.keySwitch(a, 4, key);
    ctx.free(k0, k1);
  })
  .add("finish answer (re-randomise, flood, top bits), L = 4", () => {
    const c0 = ctx.alloc(4);
    const c1 = ctx.alloc(4);
    rns.copy(c0, a);
    rns.copy(c1, b);
    const out = ctx.finishAnswer({ c0, c1, L: 4 }, pk, mask, 75, prg);
    rns.w.free(out.c0);
    rns.w.free(out.c1);
  });
process.stderr.write("timing the RLWE kernels (N = 8192, 30-bit primes)…\n");
await bench.run();

const rows = bench.tasks.map((t) => {
  const r = t.result as { latency?: { mean: number } } | undefined;
  return { name: t.name, us: (r?.latency?.mean ?? NaN) * 1000 };
});
const butterflies = (n / 2) * Math.log2(n);
for (const r of rows) console.log(`${r.name.padEnd(56)} ${r.us.toFixed(1).padStart(9)} µs`);
const us = Object.fromEntries(rows.map((r) => [r.name, r.us]));
const copy = us["copy (baseline of the three above)"];
const nsPerButterfly = ((us["ntt forward"] - copy) * 1000) / butterflies;
const macNs = (us[`macShared, ${terms} terms`] * 1000) / (2 * terms * n);
console.log(`forward NTT: ${nsPerButterfly.toFixed(2)} ns per butterfly; MAC: ${macNs.toFixed(2)} ns per coefficient product (folds and reduction included)`);
if (json) console.log(JSON.stringify({ n, us, nsPerButterfly, macNs }));
