// HE linear layers of one BERT-base layer at n tokens on each requested HE backend, both parties in one process over
// the in-memory channel, every backend on the same inputs: QKV (768→2304, one encryption of X for all three),
// attention output (768→768), FFN-1 (768→3072), FFN-2 (3072→768), and the attention products for 12 heads
// (Q·Kᵀ: n×64·64×n, softmax·V: n×n·n×64). Each result is opened and checked against the WASM ring product. The
// server's products run on T worker threads (startWorkers; 0: in this thread).
// Prints a table per backend; progress goes to stderr. With --json the last line of stdout is
//   {"n", "simd": B, "seal": B, "speedup", "bytesRatio"}, B = {qkv, attnOut, ffn1, ffn2, qk, sv: {ms, bytes, rounds},
//   total: {ms, bytes, rounds}, setup: {ms, bytes}} (null for a backend not run); speedup = seal total ms / simd total
//   ms and bytesRatio = seal total bytes / simd total bytes, null unless both ran.
// Usage: node dist/bench/linear.js [--json] [--n N] [--threads T] [--he simd,seal] [--only qkv,attnOut,ffn1,ffn2,qk,sv]
// (--only runs a subset: "total" then covers those products only)
import { matmul } from "../src/core/kernels.js";
import { Ring } from "../src/core/ring.js";
import { checkHeKind, HE_KINDS, type HeBackend, type HeKind, type HePlan } from "../src/he/backend.js";
import { uploadCount } from "../src/he/layout.js";
import { linear, linearPlan, type LinearShape } from "../src/he/linear.js";
import { matmulShared, matmulSharedPlans } from "../src/he/matmul-shared.js";
import { SealBackend } from "../src/he/seal-backend.js";
import { setupHe } from "../src/he/setup.js";
import { Party } from "../src/mpc/party.js";
import type { Channel } from "../src/net/channel.js";
import { measurePair, memoryPair, type PairTraffic } from "../src/net/memory.js";
import { arg, option } from "./args.js";
import { nodeHeThreads } from "../src/he/threads.js";

const json = process.argv.includes("--json");
const n = arg("--n", 128);
const threads = arg("--threads", 2, 0);
const kinds: HeKind[] = [...new Set((option("--he") ?? HE_KINDS.join(",")).split(",").map((k) => checkHeKind(k, "--he")))];
const ring = new Ring(37, 12);
const HEADS = 12;
const HEAD_DIM = 64;
const W_BITS = 16;

const linears: Record<string, LinearShape> = {
  qkv: { n, k: 768, m: 2304, wBits: W_BITS },
  attnOut: { n, k: 768, m: 768, wBits: W_BITS },
  ffn1: { n, k: 768, m: 3072, wBits: W_BITS },
  ffn2: { n, k: 3072, m: 768, wBits: W_BITS },
};
const attention: Record<string, [number, number, number]> = { qk: [n, HEAD_DIM, n], sv: [n, n, HEAD_DIM] };
const onlyList = option("--only");
const only = onlyList === undefined ? undefined : new Set(onlyList.split(","));
for (const name of only ?? []) if (!(name in linears) && !(name in attention)) throw new RangeError(`--only: no product named ${name}`);
const selected = (name: string) => only === undefined || only.has(name);

function randomRing(len: number, bits = ring.bits): BigUint64Array {
  const out = new BigUint64Array(len);
  const w = new Uint32Array(2 * len);
  for (let i = 0; i < w.length; i += 16384) crypto.getRandomValues(w.subarray(i, Math.min(w.length, i + 16384)));
  const mask = (1n << BigInt(bits)) - 1n;
  for (let i = 0; i < len; i++) out[i] = ((BigInt(w[2 * i + 1]) << 32n) | BigInt(w[2 * i])) & mask;
  return out;
}

/** Weights of W_BITS signed bits, as ring elements. */
function randomWeights(len: number): BigUint64Array {
  const r = new Ring(W_BITS);
  return randomRing(len, W_BITS).map((v) => ring.reduce(r.signed(v)));
}

function share(x: BigUint64Array): [BigUint64Array, BigUint64Array] {
  const s = randomRing(x.length);
  return [s, x.map((v, i) => (v - s[i]) & ring.mask)];
}

function sameOpened(y: [BigUint64Array, BigUint64Array], ref: BigUint64Array, what: string): void {
  for (let i = 0; i < ref.length; i++) {
    if (((y[0][i] + y[1][i]) & ring.mask) !== ref[i]) throw new Error(`${what}: entry ${i} differs from the ring product`);
  }
}

const log = (s: string) => process.stderr.write(s + "\n");

/** The inputs of one product, shared by every backend, with the opened result it must give. */
type Job =
  | { name: string; kind: "linear"; shape: LinearShape; x: [BigUint64Array, BigUint64Array]; w: BigUint64Array; bias: BigUint64Array; ref: BigUint64Array }
  | { name: string; kind: "shared"; dims: [number, number, number]; as: [BigUint64Array, BigUint64Array][]; bs: [BigUint64Array, BigUint64Array][]; refs: BigUint64Array[] };

interface Row {
  ms: number;
  bytes: number;
  rounds: number;
  /** Client → server (encrypted inputs) and server → client (answers), for the table. */
  up: number;
  down: number;
  /** Ciphertexts each way (all plaintext primes, all heads), for the table; seal only. */
  ctsUp?: number;
  ctsDown?: number;
}

interface BackendRun {
  rows: Record<string, Row>;
  total: Row;
  setup: { ms: number; bytes: number };
  workersMs: number;
}

function jobPlans(job: Job): HePlan[] {
  if (job.kind === "linear") return [linearPlan(job.shape, ring)];
  const [r, k, m] = job.dims;
  return Array.from({ length: HEADS }, () => matmulSharedPlans(r, k, m, ring)).flat();
}

function row(r: { ms: number; traffic: PairTraffic }, he: HeBackend, plans: HePlan[]): Row {
  const out: Row = { ms: r.ms, bytes: r.traffic.bytes, rounds: r.traffic.rounds, up: r.traffic.bytesClientToServer, down: r.traffic.bytesServerToClient };
  if (he instanceof SealBackend) {
    const planned = plans.map((pl) => he.session.plan(pl));
    out.ctsUp = planned.reduce((c, pp) => c + pp.primes * uploadCount(pp.layout), 0);
    out.ctsDown = planned.reduce((c, pp) => c + pp.primes * pp.layout.outCts, 0);
  }
  return out;
}

async function runJob(a: Channel, b: Channel, ps: Party, pc: Party, hs: HeBackend, hc: HeBackend, job: Job): Promise<Row> {
  if (job.kind === "linear") {
    const { shape, x, w, bias } = job;
    const r = await measurePair(a, b, () => Promise.all([linear(ps, hs, ring, x[0], shape, { w, bias }), linear(pc, hc, ring, x[1], shape)]));
    sameOpened(r.result, job.ref, `${hs.kind} ${job.name}`);
    return row(r, hs, jobPlans(job));
  }
  const [rows, k, m] = job.dims;
  const r = await measurePair(a, b, () =>
    Promise.all([
      matmulShared(ps, hs, ring, job.as.map((s) => s[0]), job.bs.map((s) => s[0]), rows, k, m),
      matmulShared(pc, hc, ring, job.as.map((s) => s[1]), job.bs.map((s) => s[1]), rows, k, m),
    ]),
  );
  job.refs.forEach((ref, h) => sameOpened([r.result[0][h], r.result[1][h]], ref, `${hs.kind} ${job.name} head ${h}`));
  return row(r, hs, jobPlans(job));
}

async function runBackend(kind: HeKind, jobs: Job[]): Promise<BackendRun> {
  const [a, b] = memoryPair({ timeoutMs: 3_600_000 });
  try {
    const [ps, pc] = await Promise.all([Party.create("server", a), Party.create("client", b)]);
    const plans = jobs.flatMap(jobPlans);
    log(`${kind}: set-up for ${plans.length} products ...`);
    const setup = await measurePair(a, b, () => Promise.all([setupHe(ps, plans, { kind }), setupHe(pc, plans, { kind })]));
    const [hs, hc] = setup.result;
    try {
      const t0 = performance.now();
      await hs.startWorkers(threads, nodeHeThreads);
      const workersMs = performance.now() - t0;
      log(`${kind}: set-up ${setup.ms.toFixed(0)} ms, ${setup.traffic.bytes} bytes; ${threads} worker threads started in ${workersMs.toFixed(0)} ms`);
      const rows: Record<string, Row> = {};
      for (const job of jobs) {
        log(`${kind}: ${job.name} ...`);
        rows[job.name] = await runJob(a, b, ps, pc, hs, hc, job);
        log(`${kind}: ${job.name}: ${JSON.stringify(rows[job.name])}`);
      }
      const sum = (f: (r: Row) => number | undefined) => {
        const vs = Object.values(rows).map(f);
        return vs.some((v) => v === undefined) ? undefined : vs.reduce<number>((s, v) => s + v!, 0);
      };
      const total: Row = { ms: sum((r) => r.ms)!, bytes: sum((r) => r.bytes)!, rounds: sum((r) => r.rounds)!, up: sum((r) => r.up)!, down: sum((r) => r.down)!, ctsUp: sum((r) => r.ctsUp), ctsDown: sum((r) => r.ctsDown) };
      return { rows, total, setup: { ms: setup.ms, bytes: setup.traffic.bytes }, workersMs };
    } finally {
      await Promise.all([hs.close(), hc.close()]);
    }
  } finally {
    a.close();
    b.close();
  }
}

function printTable(kind: HeKind, run: BackendRun): void {
  const MB = 1e6;
  const table = [
    ["product", "ms", "MB", "up MB", "down MB", "cts up", "cts down", "rounds"],
    ...Object.entries({ ...run.rows, total: run.total }).map(([k, r]) => [
      k,
      r.ms.toFixed(0),
      (r.bytes / MB).toFixed(2),
      (r.up / MB).toFixed(2),
      (r.down / MB).toFixed(2),
      r.ctsUp === undefined ? "-" : String(r.ctsUp),
      r.ctsDown === undefined ? "-" : String(r.ctsDown),
      String(r.rounds),
    ]),
  ];
  console.log(`HE linear layers on ${kind}, BERT-base layer at n = ${n}; ${threads} worker threads; all results exact`);
  for (const line of table) console.log(line[0].padEnd(10) + line.slice(1).map((c) => c.padStart(12)).join(""));
  console.log(`set-up: ${run.setup.ms.toFixed(0)} ms, ${(run.setup.bytes / MB).toFixed(1)} MB (keys once per session); workers start ${run.workersMs.toFixed(0)} ms`);
  console.log("");
}

function makeJobs(): { jobs: Job[]; plaintextMs: number } {
  const jobs: Job[] = [];
  let plaintextMs = 0;
  for (const [name, shape] of Object.entries(linears)) {
    if (!selected(name)) continue;
    const x = randomRing(shape.n * shape.k);
    const w = randomWeights(shape.k * shape.m);
    const bias = randomRing(shape.m);
    const t = performance.now();
    const product = matmul(x, w, shape.n, shape.k, shape.m, ring.bits);
    plaintextMs += performance.now() - t;
    const ref = product.map((v, e) => (v + bias[e % shape.m]) & ring.mask);
    jobs.push({ name, kind: "linear", shape, x: share(x), w, bias, ref });
  }
  for (const [name, dims] of Object.entries(attention)) {
    if (!selected(name)) continue;
    const [r, k, m] = dims;
    const as = Array.from({ length: HEADS }, () => randomRing(r * k));
    const bs = Array.from({ length: HEADS }, () => randomRing(k * m));
    const t = performance.now();
    const refs = as.map((x, h) => matmul(x, bs[h], r, k, m, ring.bits));
    plaintextMs += performance.now() - t;
    jobs.push({ name, kind: "shared", dims, as: as.map(share), bs: bs.map(share), refs });
  }
  return { jobs, plaintextMs };
}

async function main(): Promise<void> {
  const { jobs, plaintextMs } = makeJobs();
  const runs: Partial<Record<HeKind, BackendRun>> = {};
  for (const kind of kinds) runs[kind] = await runBackend(kind, jobs);

  for (const kind of kinds) printTable(kind, runs[kind]!);
  console.log(`plaintext ring products: ${plaintextMs.toFixed(0)} ms (one thread, the lower bound)`);
  const { simd, seal } = runs;
  const speedup = simd && seal ? seal.total.ms / simd.total.ms : null;
  const bytesRatio = simd && seal ? seal.total.bytes / simd.total.bytes : null;
  if (speedup !== null && bytesRatio !== null) console.log(`seal / simd: ${speedup.toFixed(2)}× the time, ${bytesRatio.toFixed(2)}× the bytes`);
  if (json) {
    const summary = (r: BackendRun | undefined) =>
      r && {
        ...Object.fromEntries(Object.entries(r.rows).map(([k, x]) => [k, { ms: Math.round(x.ms), bytes: x.bytes, rounds: x.rounds }])),
        total: { ms: Math.round(r.total.ms), bytes: r.total.bytes, rounds: r.total.rounds },
        setup: { ms: Math.round(r.setup.ms), bytes: r.setup.bytes },
      };
    const round2 = (v: number | null) => (v === null ? null : Number(v.toFixed(2)));
    console.log(JSON.stringify({ n, simd: summary(simd) ?? null, seal: summary(seal) ?? null, speedup: round2(speedup), bytesRatio: round2(bytesRatio) }));
  }
}

await main();
