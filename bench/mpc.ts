// Cost of the SCI-style protocols: 65,536 operations each, both parties in one process over the in-memory channel,
// for l ∈ {32, 37, 64}. Bits per operation count both directions (frames included); rounds are flights of the
// transcript (a change of direction opens one); ms is the median wall time of the timed runs (both parties on one
// thread, so it is the sum of both parties' compute); "cpu ms" is the process CPU time of the same run, the better
// figure on a shared machine. SCI's figures (backends.md §4, one thread each) are beside ours.
// Usage: node dist/bench/mpc.js [--json] [--n N] [--runs R (default 1; the median is reported)]
import { Ring } from "../src/core/ring.js";
import { memoryPair, measurePair } from "../src/net/memory.js";
import { Party } from "../src/mpc/party.js";
import { millionaire } from "../src/mpc/millionaire.js";
import { drelu } from "../src/mpc/drelu.js";
import { relu } from "../src/mpc/relu.js";
import { truncate } from "../src/mpc/truncate.js";
import { mux } from "../src/mpc/mux.js";
import { b2a } from "../src/mpc/b2a.js";
import { mult } from "../src/mpc/mult.js";

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
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${process.argv[i + 1]}`);
  return v;
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

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const n = arg("--n", 65536);
  const runs = arg("--runs", 1);
  const [a, b] = memoryPair();
  const [server, client] = await Promise.all([Party.create("server", a), Party.create("client", b)]);
  const out: Record<string, Record<Op, Result>> = {};
  const rows: string[][] = [];
  for (const l of RINGS) {
    const ring = new Ring(l, SCALE);
    const perRing = {} as Record<Op, Result>;
    for (const op of OPS) {
      // One small run first so the timed runs see compiled code.
      const warm = [inputs(server, op, 1024, ring), inputs(client, op, 1024, ring)];
      await Promise.all(warm.map((f) => f()));
      const times: number[] = [];
      const cpu: number[] = [];
      let result: Result | undefined;
      for (let r = 0; r < runs; r++) {
        const fs = [inputs(server, op, n, ring), inputs(client, op, n, ring)];
        const start = process.cpuUsage();
        const { traffic, ms } = await measurePair(a, b, () => Promise.all(fs.map((f) => f())));
        const used = process.cpuUsage(start);
        cpu.push((used.user + used.system) / 1000);
        times.push(ms);
        result = { bits: Math.round(((traffic.bytes * 8) / n) * 10) / 10, rounds: traffic.rounds, ms: 0 };
      }
      result!.ms = Math.round(median(times) * 10) / 10;
      perRing[op] = result!;
      const sci = SCI[op][l];
      rows.push([String(l), op, result!.bits.toFixed(1), sci ? String(sci[0]) : "-", String(result!.rounds), result!.ms.toFixed(1), median(cpu).toFixed(1), sci ? (sci[1] * 1000).toFixed(0) : "-"]);
      process.stderr.write(`l=${l} ${op}: ${result!.bits.toFixed(1)} bits/op, ${result!.rounds} rounds, ${result!.ms.toFixed(1)} ms\n`);
    }
    out[`l${l}`] = perRing;
  }
  a.close();
  b.close();
  const head = ["l", "protocol", "bits/op", "SCI bits", "rounds", "ms", "cpu ms", "SCI ms"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(`${n} operations per protocol, median of ${runs} runs; bits both directions per operation`);
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  if (json) console.log(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
