// Cost of the SCI-style protocols: 65,536 operations each, both parties in one process over the in-memory channel,
// for l ∈ {32, 37, 64}. Bits per operation count both directions (frames included); rounds are flights of the
// transcript (a change of direction opens one); ms is the median wall time of the timed runs (both parties on one
// thread, so it is the sum of both parties' compute); "cpu ms" is the process CPU time of the same run, the better
// figure on a shared machine. "server cpu" and "client cpu" (serverCpuMs, clientCpuMs) split it per party: the CPU
// time of each party's own synchronous slices between awaits (bench/party-cpu.ts), the figure to hold against SCI's,
// which runs one thread per party. SCI's figures (backends.md §4, one thread each) are beside ours.
// Usage: node dist/bench/mpc.js [--json] [--n N] [--runs R (default 1; the median is reported)] [--ot iknp|ferret-b11|ferret-b13]
//   [--only op,op (of the protocols below, or "extras")] [--rings 32,37,64]
import { Ring } from "../src/core/ring.js";
import { memoryPair, measurePair } from "../src/net/memory.js";
import { Party } from "../src/mpc/party.js";
import { millionaire } from "../src/mpc/millionaire.js";
import { drelu } from "../src/mpc/drelu.js";
import { relu } from "../src/mpc/relu.js";
import { truncate } from "../src/mpc/truncate.js";
import { mux } from "../src/mpc/mux.js";
import { b2a } from "../src/mpc/b2a.js";
import { mult, square } from "../src/mpc/mult.js";
import { lut } from "../src/mpc/lut.js";
import { max } from "../src/mpc/max.js";
import { matmulShares } from "../src/mpc/matmul.js";
import type { Channel } from "../src/net/channel.js";
import { arg, listOption, otOption } from "./args.js";
import { PartyCpu } from "./party-cpu.js";

const OPS = ["compare", "drelu", "relu", "truncUnknown", "truncKnown", "mux", "b2a", "mult"] as const;
type Op = (typeof OPS)[number];
const RINGS = [32, 37, 64] as const;
const SCALE = 12;

/** SCI (EzPC, IKNP + KKOT) on this machine kind: bits per op both ways and seconds for 65,536 ops; null if not measured. */
const SCI: Record<Op, Record<number, [number, number] | null>> = {
  compare: { 32: [3932, 0.32], 37: [4952, 0.45], 64: [8456, 0.87] },
  drelu: { 32: [3932, 0.4], 37: [4368, 0.44], 64: [8456, 0.86] },
  relu: { 32: [4316, 0.43], 37: [4772, 0.48], 64: [8968, 1.01] },
  truncUnknown: { 32: [4196, 0.4], 37: [5197, 0.46], 64: [8836, 0.62] },
  truncKnown: { 32: [1720, 0.15], 37: [1725, 0.11], 64: [1752, 0.11] },
  mux: { 32: [320, 0.01], 37: [330, 0.01], 64: null },
  b2a: { 32: [160, 0.01], 37: [165, 0.01], 64: null },
  mult: { 32: [9472, 0.19], 37: [11152, 0.23], 64: null },
};

interface Result {
  bits: number;
  rounds: number;
  ms: number;
  serverCpuMs: number;
  clientCpuMs: number;
}

/** Fills `v` from the platform CSPRNG (which serves at most 64 KiB per call). */
function fill<T extends Uint8Array | Uint32Array>(v: T): T {
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return v;
}

function random(n: number, bits: number): BigUint64Array {
  const out = new BigUint64Array(n);
  fill(new Uint32Array(out.buffer));
  const mask = (1n << BigInt(bits)) - 1n;
  for (let i = 0; i < n; i++) out[i] &= mask;
  return out;
}

/** Each party's inputs for one op: shares (or private values for the comparison) of random data. */
function inputs(p: Party, op: Op, n: number, ring: Ring): () => Promise<unknown> {
  const x = random(n, ring.bits);
  const y = random(n, ring.bits);
  const bits = fill(new Uint8Array((n + 7) >>> 3));
  // Non-negative values for the sign-known truncation: the server holds v + r, the client −r, with v < 2^(l−2).
  const nonneg = random(n, ring.bits);
  if (p.isServer) for (let i = 0; i < n; i++) nonneg[i] = (nonneg[i] + (x[i] >> 2n)) & ring.mask;
  else for (let i = 0; i < n; i++) nonneg[i] = -nonneg[i] & ring.mask;
  switch (op) {
    case "compare":
      return () => millionaire(p, x, ring.bits);
    case "drelu":
      return () => drelu(p, x, ring);
    case "relu":
      return () => relu(p, x, ring);
    case "truncUnknown":
      return () => truncate(p, x, SCALE, ring);
    case "truncKnown":
      return () => truncate(p, nonneg, SCALE, ring, { sign: "nonneg" });
    case "mux":
      return () => mux(p, bits, x, ring);
    case "b2a":
      return () => b2a(p, bits, n, ring);
    case "mult":
      return () => mult(p, x, y, ring);
  }
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1];
}

type Runner = (p: Party, n: number) => () => Promise<unknown>;

interface Measured extends Result {
  cpu: number;
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/**
 * Warms up on a small batch, then times `runs` runs of `count` operations; bits and rounds come from the last run,
 * times are medians (each party's CPU time its own median).
 */
async function measure(a: Channel, b: Channel, parties: Party[], run: Runner, count: number, runs: number, warmCount: number): Promise<Measured> {
  await Promise.all(parties.map((p) => run(p, warmCount)()));
  const clock = new PartyCpu(parties.length);
  const times: number[] = [];
  const cpu: number[] = [];
  const perParty: number[][] = parties.map(() => []);
  let bits = 0;
  let rounds = 0;
  for (let r = 0; r < runs; r++) {
    const fs = parties.map((p) => run(p, count));
    const start = process.cpuUsage();
    clock.begin();
    const { traffic, ms } = await measurePair(a, b, () => Promise.all(fs.map((f, i) => clock.run(i, f))));
    clock.stop().forEach((v, i) => perParty[i].push(v));
    const used = process.cpuUsage(start);
    cpu.push((used.user + used.system) / 1000);
    times.push(ms);
    bits = round1((traffic.bytes * 8) / count);
    rounds = traffic.rounds;
  }
  const [serverCpuMs, clientCpuMs] = perParty.map((v) => round1(median(v)));
  return { bits, rounds, ms: round1(median(times)), serverCpuMs, clientCpuMs, cpu: median(cpu) };
}

/** Protocols outside the SCI table, at l = 37, for the human table only: [label, runner, operations counted]. */
function extras(n: number, ring: Ring): [string, Runner, number][] {
  const side = 64;
  const cols = 8;
  const table = random(16, ring.bits);
  return [
    ["square", (p, k) => { const x = random(k, ring.bits); return () => square(p, x, ring); }, n],
    ["lut m=4", (p, k) => { const x = random(k, 4); return () => lut(p, table, x, 4, ring); }, n],
    [`max ${cols} cols, per row`, (p, k) => { const x = random(k * cols, ring.bits - 3); return () => max(p, x, k, cols, ring); }, n / cols],
    [`matmul ${side}³, per MAC`, (p) => { const A = random(side * side, ring.bits); return () => matmulShares(p, A, A, side, side, side, ring); }, side ** 3],
  ];
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const n = arg("--n", 65536);
  const runs = arg("--runs", 1);
  const only = listOption("--only", [...OPS, "extras"]);
  const ops = OPS.filter((op) => !only || only.includes(op));
  const rings = (listOption("--rings", RINGS.map(String)) ?? RINGS).map(Number);
  const [a, b] = memoryPair();
  const ot = otOption();
  const parties = await Promise.all([Party.create("server", a, { ot }), Party.create("client", b, { ot })]);
  const out: Record<string, Record<Op, Result>> = {};
  const rows: string[][] = [];
  const row = (l: number, label: string, m: Measured, sci: [number, number] | null) => {
    rows.push([String(l), label, m.bits.toFixed(1), sci ? String(sci[0]) : "-", String(m.rounds), m.ms.toFixed(1), m.cpu.toFixed(1), m.serverCpuMs.toFixed(1), m.clientCpuMs.toFixed(1), sci ? (sci[1] * 1000).toFixed(0) : "-"]);
    process.stderr.write(`l=${l} ${label}: ${m.bits.toFixed(1)} bits/op, ${m.rounds} rounds, ${m.ms.toFixed(1)} ms (cpu: server ${m.serverCpuMs.toFixed(1)}, client ${m.clientCpuMs.toFixed(1)} ms)\n`);
  };
  for (const l of rings) {
    const ring = new Ring(l, SCALE);
    const perRing = {} as Record<Op, Result>;
    for (const op of ops) {
      const m = await measure(a, b, parties, (p, k) => inputs(p, op, k, ring), n, runs, 1024);
      perRing[op] = { bits: m.bits, rounds: m.rounds, ms: m.ms, serverCpuMs: m.serverCpuMs, clientCpuMs: m.clientCpuMs };
      row(l, op, m, SCI[op][l]);
    }
    out[`l${l}`] = perRing;
  }
  const ring37 = new Ring(37, SCALE);
  if (!only || only.includes("extras")) {
    for (const [label, run, count] of extras(n, ring37)) row(37, label, await measure(a, b, parties, run, count, runs, 8), null);
  }
  a.close();
  b.close();
  const head = ["l", "protocol", "bits/op", "SCI bits", "rounds", "ms", "cpu ms", "server cpu", "client cpu", "SCI ms"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(`${n} operations per protocol (extras: per the unit named), median of ${runs} runs; bits both directions per operation`);
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  if (json) console.log(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
