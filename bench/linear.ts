// HE linear layers of one BERT-base layer at n tokens, both parties in one process over the in-memory channel:
// QKV (768→2304, one encryption of X for all three), attention output (768→768), FFN-1 (768→3072), FFN-2 (3072→768),
// and the attention products for 12 heads (Q·Kᵀ: n×64·64×n, softmax·V: n×n·n×64). Each result is opened and checked
// against the WASM ring product. plaintextMs is the same products in the ring core on one thread (the lower bound).
// The worker speed-up is the attention-output product run in this thread against the pool, in the same run.
// Usage: node dist/bench/linear.js [--json] [--n N] [--threads T] [--only qkv,attnOut,ffn1,ffn2,qk,sv]
// (--only runs a subset: "total" then covers those products only and "products" lists them)
import { matmul } from "../src/core/kernels.js";
import { Ring } from "../src/core/ring.js";
import { linear, linearPlan, type LinearShape } from "../src/he/linear.js";
import { matmulShared, matmulSharedPlans } from "../src/he/matmul-shared.js";
import { uploadCount } from "../src/he/layout.js";
import { DEFAULT_HE } from "../src/he/params.js";
import { HePool } from "../src/he/pool.js";
import type { ProductRunner } from "../src/he/product.js";
import { HeSession, type HePlan } from "../src/he/session.js";
import { Party } from "../src/mpc/party.js";
import { measurePair, memoryPair, type PairTraffic } from "../src/net/memory.js";
import { arg, option } from "./args.js";

const json = process.argv.includes("--json");
const n = arg("--n", 128);
const threads = arg("--threads", 2);
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

interface Row {
  ms: number;
  bytes: number;
  rounds: number;
  /** Client → server (encrypted inputs) and server → client (answers), for the table. */
  up: number;
  down: number;
  /** Ciphertexts each way (all plaintext primes, all heads), for the table. */
  ctsUp: number;
  ctsDown: number;
}

const row = (r: { ms: number; traffic: PairTraffic }, he: HeSession, plans: HePlan[]): Row => {
  const planned = plans.map((pl) => he.plan(pl));
  return {
    ms: r.ms,
    bytes: r.traffic.bytes,
    rounds: r.traffic.rounds,
    up: r.traffic.bytesClientToServer,
    down: r.traffic.bytesServerToClient,
    ctsUp: planned.reduce((c, pp) => c + pp.primes * uploadCount(pp.layout), 0),
    ctsDown: planned.reduce((c, pp) => c + pp.primes * pp.layout.outCts, 0),
  };
};

async function main(): Promise<void> {
  const [a, b] = memoryPair();
  const [ps, pc] = await Promise.all([Party.create("server", a), Party.create("client", b)]);
  const plans = [
    ...Object.values(linears).map((s) => linearPlan(s, ring)),
    ...Object.values(attention).flatMap(([r, k, m]) => matmulSharedPlans(r, k, m, ring)),
  ];
  log(`set-up: ${plans.length} product shapes, N=${DEFAULT_HE.polyDegree}`);
  const setup = await measurePair(a, b, () => Promise.all([HeSession.setup(ps, plans), HeSession.setup(pc, plans)]));
  const [hs, hc] = setup.result;
  const t0 = performance.now();
  const pool = await HePool.create(hs, { threads });
  const poolStartMs = performance.now() - t0;
  log(`set-up ${setup.ms.toFixed(0)} ms, ${setup.traffic.bytes} bytes; pool of ${threads} started in ${poolStartMs.toFixed(0)} ms`);

  const rows: Record<string, Row> = {};
  let plaintextMs = 0;
  const runLinear = async (name: string, shape: LinearShape, runner?: ProductRunner): Promise<Row> => {
    const x = randomRing(shape.n * shape.k);
    const w = randomWeights(shape.k * shape.m);
    const bias = randomRing(shape.m);
    const [x0, x1] = share(x);
    const r = await measurePair(a, b, () => Promise.all([linear(ps, hs, ring, x0, shape, { w, bias }, runner), linear(pc, hc, ring, x1, shape)]));
    const ref = matmul(x, w, shape.n, shape.k, shape.m, ring.bits).map((v, e) => (v + bias[e % shape.m]) & ring.mask);
    sameOpened(r.result, ref, name);
    return row(r, hs, [linearPlan(shape, ring)]);
  };
  for (const [name, shape] of Object.entries(linears)) {
    if (!selected(name)) continue;
    log(`${name}: ${shape.n}×${shape.k}·${shape.k}×${shape.m} ...`);
    rows[name] = await runLinear(name, shape, pool);
    log(`${name}: ${JSON.stringify(rows[name])}`);
    const x = randomRing(shape.n * shape.k);
    const w = randomWeights(shape.k * shape.m);
    const tp = performance.now();
    matmul(x, w, shape.n, shape.k, shape.m, ring.bits);
    plaintextMs += performance.now() - tp;
  }
  for (const [name, [r, k, m]] of Object.entries(attention)) {
    if (!selected(name)) continue;
    log(`${name}: ${HEADS} heads of ${r}×${k}·${k}×${m} ...`);
    const as = Array.from({ length: HEADS }, () => randomRing(r * k));
    const bs = Array.from({ length: HEADS }, () => randomRing(k * m));
    const sa = as.map(share);
    const sb = bs.map(share);
    const res = await measurePair(a, b, () =>
      Promise.all([
        matmulShared(ps, hs, ring, sa.map((s) => s[0]), sb.map((s) => s[0]), r, k, m, pool),
        matmulShared(pc, hc, ring, sa.map((s) => s[1]), sb.map((s) => s[1]), r, k, m),
      ]),
    );
    const tp = performance.now();
    const refs = as.map((x, h) => matmul(x, bs[h], r, k, m, ring.bits));
    plaintextMs += performance.now() - tp;
    refs.forEach((ref, h) => sameOpened([res.result[0][h], res.result[1][h]], ref, `${name} head ${h}`));
    rows[name] = row(res, hs, Array.from({ length: HEADS }, () => matmulSharedPlans(r, k, m, ring)).flat());
    log(`${name}: ${JSON.stringify(rows[name])}`);
  }
  // Side by side, so that both see the same machine load.
  log(`attnOut on the pool and then in this thread, for the worker speed-up ...`);
  const pooled = await runLinear("attnOut (pool)", linears.attnOut, pool);
  const inline = await runLinear("attnOut (one thread)", linears.attnOut);
  await pool.close();
  hs.delete();
  hc.delete();

  const total = Object.values(rows).reduce(
    (t, r) => ({
      ms: t.ms + r.ms,
      bytes: t.bytes + r.bytes,
      rounds: t.rounds + r.rounds,
      up: t.up + r.up,
      down: t.down + r.down,
      ctsUp: t.ctsUp + r.ctsUp,
      ctsDown: t.ctsDown + r.ctsDown,
    }),
    { ms: 0, bytes: 0, rounds: 0, up: 0, down: 0, ctsUp: 0, ctsDown: 0 },
  );
  const speedup = inline.ms / pooled.ms;
  const MB = 1e6;
  const table = [
    ["product", "ms", "MB", "up MB", "down MB", "cts up", "cts down", "rounds"],
    ...Object.entries({ ...rows, total }).map(([k, r]) => [
      k,
      r.ms.toFixed(0),
      (r.bytes / MB).toFixed(2),
      (r.up / MB).toFixed(2),
      (r.down / MB).toFixed(2),
      String(r.ctsUp),
      String(r.ctsDown),
      String(r.rounds),
    ]),
  ];
  console.log(`HE linear layers, BERT-base layer at n = ${n}; ${threads} worker threads; all results exact`);
  for (const row of table) console.log(row[0].padEnd(10) + row.slice(1).map((c) => c.padStart(12)).join(""));
  console.log(`plaintext ring products: ${plaintextMs.toFixed(0)} ms (HE total is ${(total.ms / plaintextMs).toFixed(0)}× that)`);
  console.log(`set-up: ${setup.ms.toFixed(0)} ms, ${(setup.traffic.bytes / MB).toFixed(1)} MB (keys once per session); pool start ${poolStartMs.toFixed(0)} ms`);
  console.log(`worker speed-up on attnOut: ${speedup.toFixed(2)}× (${inline.ms.toFixed(0)} ms in one thread vs ${pooled.ms.toFixed(0)} ms on ${threads})`);
  if (json) {
    console.log(
      JSON.stringify({
        ...Object.fromEntries(Object.entries(rows).map(([k, r]) => [k, { ms: Math.round(r.ms), bytes: r.bytes, rounds: r.rounds }])),
        total: { ms: Math.round(total.ms), bytes: total.bytes, rounds: total.rounds },
        plaintextMs: Math.round(plaintextMs),
        setup: { ms: Math.round(setup.ms), bytes: setup.traffic.bytes, rounds: setup.traffic.rounds },
        products: Object.keys(rows),
        threads,
        workerSpeedup: Number(speedup.toFixed(2)),
        n,
        he: { N: DEFAULT_HE.polyDegree, coeffBits: DEFAULT_HE.coeffBits, plainBits: DEFAULT_HE.plainBits, sigma: DEFAULT_HE.sigma },
      }),
    );
  }
}

await main();
