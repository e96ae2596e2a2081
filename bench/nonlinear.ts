// Cost and accuracy of the fixed-point nonlinear functions on BERT-base shapes, both degrees: GELU on 128×3072,
// softmax on 12×128×128, LayerNorm on 128×768, tanh on 768, plus the pieces softmax and LayerNorm are built from
// (exp on 12×128×128, reciprocal on 12·128 row sums, rsqrt on 128 variances). Both parties run in one process over the
// in-memory channel; bytes count both directions, rounds are flights of the transcript. maxAbsError is against the
// float function on the benchmark's inputs (the protocol's output is checked equal to the fixed-point twin).
// msPerElement is wall time (both parties on one thread); serverCpuMs and clientCpuMs are each party's CPU time for
// the whole call, from its own synchronous slices between awaits (bench/party-cpu.ts).
// Usage: node dist/bench/nonlinear.js [--json] [--fraction F (run F of each shape, default 1)] [--only name,name]
import { Ring } from "../src/core/ring.js";
import { memoryPair, measurePair } from "../src/net/memory.js";
import { Party } from "../src/mpc/party.js";
import { PlainFx, SecureFx, sub, type Fx, type Lanes } from "../src/nonlinear/engine.js";
import { gelu, geluFloat, type Degree } from "../src/nonlinear/gelu.js";
import { softmax, softmaxFloat } from "../src/nonlinear/softmax.js";
import { layerNorm, layerNormFloat } from "../src/nonlinear/layernorm.js";
import { tanh } from "../src/nonlinear/tanh.js";
import { exp } from "../src/nonlinear/exp.js";
import { reciprocal } from "../src/nonlinear/reciprocal.js";
import { rsqrt } from "../src/nonlinear/rsqrt.js";
import { option } from "./args.js";
import { PartyCpu } from "./party-cpu.js";

const ring = new Ring(37, 12);

interface Case {
  name: string;
  /** Elements of the BERT-base call (the cost is quoted per element). */
  elements: number;
  /** Row width of the call's shape, for row-wise functions (counts are whole rows). */
  row?: number;
  inputs(count: number): number[];
  run(E: Fx, x: Lanes, degree: Degree, count: number): Promise<Lanes>;
  /** The float function on the inputs, same layout as the output. */
  float(xs: number[], count: number): number[];
}

const normal = () => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
const rowsOf = <T>(xs: T[], cols: number): T[][] => Array.from({ length: xs.length / cols }, (_, r) => xs.slice(r * cols, (r + 1) * cols));

const CASES: Case[] = [
  {
    name: "gelu",
    elements: 128 * 3072,
    inputs: (n) => Array.from({ length: n }, () => 2 * normal()),
    run: (E, x, degree) => gelu(E, x, ring, { degree }),
    float: (xs) => xs.map(geluFloat),
  },
  {
    name: "softmax",
    elements: 12 * 128 * 128,
    row: 128,
    inputs: (n) => Array.from({ length: n }, () => 2 * normal()),
    run: (E, x, degree, n) => softmax(E, x, n / 128, 128, ring, { degree }),
    float: (xs) => rowsOf(xs, 128).flatMap((r) => softmaxFloat(r)),
  },
  {
    name: "layernorm",
    elements: 128 * 768,
    row: 768,
    inputs: (n) => Array.from({ length: n }, () => 3 * normal() + 0.5),
    run: (E, x, degree, n) => layerNorm(E, x, n / 768, 768, ring, { degree }),
    float: (xs) => rowsOf(xs, 768).flatMap((r) => layerNormFloat(r)),
  },
  {
    name: "tanh",
    elements: 768,
    inputs: (n) => Array.from({ length: n }, () => 1.5 * normal()),
    run: (E, x, degree) => tanh(E, x, ring, { degree }),
    float: (xs) => xs.map(Math.tanh),
  },
  {
    name: "exp",
    elements: 12 * 128 * 128,
    inputs: (n) => Array.from({ length: n }, () => -16 * Math.random()),
    run: (E, x, degree) => exp(E, x, ring, { degree }),
    float: (xs) => xs.map(Math.exp),
  },
  {
    name: "reciprocal",
    elements: 12 * 128,
    inputs: (n) => Array.from({ length: n }, () => 1 + 127 * Math.random()),
    run: (E, x, degree) => reciprocal(E, x, ring, { lo: ring.scale - 1, hi: ring.scale + 8, degree }),
    float: (xs) => xs.map((v) => 1 / v),
  },
  {
    name: "rsqrt",
    elements: 128,
    inputs: (n) => Array.from({ length: n }, () => 10 ** (4 * Math.random() - 2)),
    run: (E, x, degree) => rsqrt(E, x, ring, { lo: 0, hi: 35, degree }),
    float: (xs) => xs.map((v) => 1 / Math.sqrt(v)),
  },
];

/** Rows-aligned element count for a fraction of the BERT-base shape. */
function countFor({ elements, row = 1 }: Case, fraction: number): number {
  return Math.max(row, Math.round((elements * fraction) / row) * row);
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const fraction = Number(option("--fraction") ?? 1);
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`--fraction must be in (0, 1], got ${option("--fraction")}`);
  const only = option("--only")?.split(",");
  const [a, b] = memoryPair({ timeoutMs: 600_000 });
  const parties = await Promise.all([Party.create("server", a), Party.create("client", b)]);
  const results: Record<string, { bytesPerElement: number; rounds: number; msPerElement: number; maxAbsError: number; serverCpuMs: number; clientCpuMs: number }> = {};
  const clock = new PartyCpu(parties.length);
  const rows: string[][] = [];
  for (const c of CASES.filter((c) => !only || only.includes(c.name))) {
    for (const degree of ["high", "low"] as const) {
      const n = countFor(c, fraction);
      const xs = c.inputs(n);
      const x = ring.encodeArray(xs);
      process.stderr.write(`${c.name}.${degree}: ${n} elements...\n`);
      const pad = parties[0].prg.u64(n, ring.bits);
      const shares = [pad, sub(x, pad, ring)];
      clock.begin();
      const { result, traffic, ms } = await measurePair(a, b, () => Promise.all(parties.map((p, i) => clock.run(i, () => c.run(new SecureFx(p), shares[i], degree, n)))));
      const [serverCpuMs, clientCpuMs] = clock.stop().map((v) => Math.round(v * 10) / 10);
      const twin = await c.run(new PlainFx(), x, degree, n);
      const want = c.float(Array.from(ring.decodeArray(x)), n);
      let maxAbsError = 0;
      for (let i = 0; i < twin.length; i++) {
        if (((result[0][i] + result[1][i]) & ring.mask) !== twin[i]) throw new Error(`${c.name}.${degree}: protocol differs from its fixed-point twin at ${i}`);
        maxAbsError = Math.max(maxAbsError, Math.abs(ring.decode(twin[i]) - want[i]));
      }
      const r = { bytesPerElement: traffic.bytes / n, rounds: traffic.rounds, msPerElement: ms / n, maxAbsError, serverCpuMs, clientCpuMs };
      results[`${c.name}.${degree}`] = r;
      rows.push([`${c.name}.${degree}`, String(n), r.bytesPerElement.toFixed(0), String(r.rounds), (r.msPerElement * 1000).toFixed(2), ms.toFixed(0), serverCpuMs.toFixed(0), clientCpuMs.toFixed(0), (traffic.bytes / 2 ** 20).toFixed(1), r.maxAbsError.toExponential(2)]);
    }
  }
  a.close();
  b.close();
  const head = ["function", "elements", "bytes/elem", "rounds", "µs/elem", "ms", "server cpu ms", "client cpu ms", "MiB", "max |err|"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  ");
  console.log(`Z_2^${ring.bits}, scale ${ring.scale}; ${fraction === 1 ? "BERT-base shapes" : `${fraction} of the BERT-base shapes`}; both directions`);
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  if (json) console.log(JSON.stringify(results));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
