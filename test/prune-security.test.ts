// View indistinguishability of every pruning method: two inputs with the same public counts but different kept
// positions must give each party identically distributed views. Every run uses fresh shares, and two features of a
// party's view are compared position by position (each bit of each value or byte) with Fisher's exact test:
//   opened    — the values the party opens, the only ones meant to be seen in the clear;
//   exchanged — per frame, what it received XORed with what it sent under the same tag (or the received bytes alone).
// revealPrune, which opens the keep mask, is the positive control: both features must catch it for both parties.
import { describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { unpackBits, xorBits } from "../src/core/bits.js";
import { Party, type Role } from "../src/mpc/party.js";
import { memoryPair } from "../src/net/memory.js";
import { packLanes, unpackLanes } from "../src/core/lanes.js";
import { compactPrune, shufflePrune } from "../src/prune/compact.js";
import { reductionMask } from "../src/prune/reduction.js";
import type { PruneResult } from "../src/prune/result.js";
import { revealPrune } from "../src/prune/reveal.js";
import { bitonicPrune, sortPrune } from "../src/prune/sort.js";
import { swapPrune } from "../src/prune/swap.js";
import { recording, type Frame } from "./recording.js";

const ring = new Ring(37, 12);
/**
 * One comparison (method, party, feature) fails when its smallest p is below α / (its number of positions). With
 * α = 1e-6 a correct method fails a given comparison at most once in a million runs of the file (less in fact:
 * Fisher's test is conservative), the file's 24 such comparisons together at most once in about 40 000.
 */
const ALPHA = 1e-6;

type Outcome = PruneResult & { high?: number; low?: number };
type Method = (p: Party, rows: BigUint64Array, scores: BigUint64Array, n: number, d: number) => Promise<Outcome>;

interface View {
  server: Frame[];
  client: Frame[];
  /** The server's output: its public counts are the same for both parties. */
  result: Outcome;
}

/** Signed scores of n = 6 tokens: kept {0, 1, 2} against kept {0, 4, 5}. */
const FIRST = [50n, 50n, 50n, -50n, -50n, -50n];
const LAST = [50n, -50n, -50n, -50n, 50n, 50n];
/** For reductionMask (θ = 0, β = 30): high {0, 1} and low {2} against low {4} and high {0, 5}. */
const HIGH_LOW = [50n, 50n, 20n, -50n, -50n, -50n];
const LOW_HIGH = [50n, -50n, -50n, -50n, 20n, 50n];
const N = FIRST.length;

function randomLanes(n: number): BigUint64Array {
  const out = new BigUint64Array(n);
  crypto.getRandomValues(new Uint32Array(out.buffer));
  return out.map((v) => v & ring.mask);
}

/** Runs `method` `runs` times on fresh shares of rows 100 + j with the given scores; both parties' frames per run. */
async function views(method: Method, scores: bigint[], runs: number): Promise<View[]> {
  const [a, b] = memoryPair();
  const serverLog: Frame[] = [];
  const clientLog: Frame[] = [];
  const [ps, pc] = await Promise.all([Party.create("server", recording(a, serverLog)), Party.create("client", recording(b, clientLog))]);
  const n = scores.length;
  const rows = BigUint64Array.from({ length: n }, (_, j) => BigInt(100 + j));
  const s = BigUint64Array.from(scores, (v) => ring.fromSigned(v));
  const sub = (x: BigUint64Array, m: BigUint64Array) => x.map((v, i) => (v - m[i]) & ring.mask);
  const out: View[] = [];
  for (let r = 0; r < runs; r++) {
    serverLog.length = 0;
    clientLog.length = 0;
    const rm = randomLanes(n);
    const sm = randomLanes(n);
    const [result] = await Promise.all([method(ps, rm, sm, n, 1), method(pc, sub(rows, rm), sub(s, sm), n, 1)]);
    out.push({ server: [...serverLog], client: [...clientLog], result });
  }
  a.close();
  b.close();
  return out;
}

/** One named group of feature positions: a 0/1 entry per position. */
interface Segment {
  key: string;
  bits: Uint8Array;
}

function framesOf(log: Frame[], dir: Frame["dir"], tag: string): Frame[] {
  return log.filter((f) => f.dir === dir && f.tag === tag);
}

/** The i-th sent with the i-th received payload of an opening's tag. */
function pairs(log: Frame[], tag: string): [Uint8Array, Uint8Array][] {
  const sent = framesOf(log, "sent", tag);
  const received = framesOf(log, "received", tag);
  if (sent.length !== received.length) throw new Error(`${tag}: ${sent.length} frames sent, ${received.length} received`);
  return sent.map((f, i) => [f.payload!, received[i].payload!]);
}

/** The low `width` bits of every lane, one entry each. */
function laneBits(v: BigUint64Array, width: number): Uint8Array {
  return unpackBits(packLanes(v, v.length, width), v.length * width);
}

function sumMod(a: BigUint64Array, b: BigUint64Array, width: number): BigUint64Array {
  const m = (1n << BigInt(width)) - 1n;
  return a.map((v, i) => (v + b[i]) & m);
}

const u64 = (bytes: Uint8Array) => new BigUint64Array(bytes.slice().buffer);

/** Bits of the opened ranks: ⌈log2 n⌉ (compactGroups' k for m = n − 1 rows). */
const RANK_BITS = Math.ceil(Math.log2(N));

/**
 * Feature O, what the party opens: revealBits (XOR), reveal (sum mod 2^l) and the ranks of the `ranked` kept rows
 * besides [CLS] (sum mod 2^k).
 */
function opened(log: Frame[], ranked: number): Segment[] {
  // revealTo's receiver sends nothing, so its own share, and the value it opens, is not in the frames.
  if (log.some((f) => f.tag === "share.revealTo")) throw new Error("share.revealTo openings cannot be decoded from frames");
  const ranks = (bytes: Uint8Array) => unpackLanes(bytes, ranked, RANK_BITS, new BigUint64Array(ranked));
  return [
    ...pairs(log, "share.revealBits").map(([s, r], i) => ({ key: `share.revealBits#${i}`, bits: unpackBits(xorBits(s, r), 8 * s.length) })),
    ...pairs(log, "share.reveal").map(([s, r], i) => ({ key: `share.reveal#${i}`, bits: laneBits(sumMod(u64(s), u64(r), ring.bits), ring.bits) })),
    ...pairs(log, "prune.open.rank").map(([s, r], i) => ({
      key: `prune.open.rank#${i}`,
      bits: laneBits(sumMod(ranks(s), ranks(r), RANK_BITS), RANK_BITS),
    })),
  ];
}

/**
 * Feature X, per received frame (tag, occurrence): its bytes XORed with the sent frame of the same tag, occurrence
 * and length, else the received bytes alone. Received bytes on their own are not worth testing: the inputs are fresh
 * shares each run, so a leak can only show jointly with the party's own messages (an opening is one such pair).
 */
function exchanged(log: Frame[]): Segment[] {
  const seen = new Map<string, number>();
  return log
    .filter((f) => f.dir === "received")
    .map((f) => {
      const i = seen.get(f.tag) ?? 0;
      seen.set(f.tag, i + 1);
      const twin = framesOf(log, "sent", f.tag)[i];
      const bytes = twin?.size === f.size ? xorBits(twin.payload!, f.payload!) : f.payload!;
      return { key: `${f.tag}#${i}`, bits: unpackBits(bytes, 8 * bytes.length) };
    });
}

/** Two-sided Fisher exact p of a ones in R runs against b ones in R runs, memoised over (a, b). */
function fisher(R: number): (a: number, b: number) => number {
  const logFact = new Float64Array(2 * R + 1);
  for (let i = 2; i <= 2 * R; i++) logFact[i] = logFact[i - 1] + Math.log(i);
  const logC = (n: number, k: number) => logFact[n] - logFact[k] - logFact[n - k];
  const memo = new Float64Array((R + 1) ** 2).fill(NaN);
  return (a, b) => {
    const at = a * (R + 1) + b;
    if (Number.isNaN(memo[at])) {
      const t = a + b;
      // hypergeometric: x of the t ones fall in the first R runs
      const logP = (x: number) => logC(R, x) + logC(R, t - x) - logC(2 * R, t);
      const cut = logP(a) + 1e-7; // tables as extreme as the observed one, up to rounding
      let p = 0;
      for (let x = Math.max(0, t - R); x <= Math.min(R, t); x++) if (logP(x) <= cut) p += Math.exp(logP(x));
      memo[at] = Math.min(1, p);
    }
    return memo[at];
  };
}

interface Tally {
  ones: Uint32Array;
  runs: number;
}

/** Ones per position of the feature over the runs' logs, keyed by segment and its length. */
function tally(logs: Frame[][], feature: (log: Frame[]) => Segment[]): Map<string, Tally> {
  const out = new Map<string, Tally>();
  for (const log of logs) {
    for (const { key, bits } of feature(log)) {
      const id = `${key} (${bits.length} positions)`;
      let t = out.get(id);
      if (!t) out.set(id, (t = { ones: new Uint32Array(bits.length), runs: 0 }));
      t.runs++;
      for (let i = 0; i < bits.length; i++) t.ones[i] += bits[i];
    }
  }
  return out;
}

interface Scan {
  positions: number;
  minP: number;
  /** Where the smallest p is. */
  at: string;
  threshold: number;
  /** p of a position that is always 0 for one input and always 1 for the other: what the runs can detect. */
  separated: number;
}

/** Fisher's test at every position of a feature (runs of input A against B); a position missing from any run fails. */
function scan(a: Frame[][], b: Frame[][], feature: (log: Frame[]) => Segment[]): Scan {
  const R = a.length;
  const p = fisher(R);
  const [ta, tb] = [tally(a, feature), tally(b, feature)];
  let positions = 0;
  let minP = 1;
  let at = "-";
  for (const key of new Set([...ta.keys(), ...tb.keys()])) {
    const [x, y] = [ta.get(key), tb.get(key)];
    positions += (x ?? y)!.ones.length;
    if (x?.runs !== R || y?.runs !== R) {
      [minP, at] = [0, `${key}: not in every run of both inputs`];
      continue;
    }
    for (let i = 0; i < x.ones.length; i++) {
      const q = p(x.ones[i], y.ones[i]);
      if (q < minP) [minP, at] = [q, `${key} bit ${i}`];
    }
  }
  return { positions, minP, at, threshold: ALPHA / Math.max(1, positions), separated: p(R, 0) };
}

/** The frames' directions, tags and sizes in order. */
const shape = (log: Frame[]) => log.map((f) => `${f.dir}:${f.tag}:${f.size}`).join("|");

function publicCounts(r: Outcome): string {
  return r.high === undefined ? `${r.kept} kept` : `${r.kept} kept: ${r.high} high, ${r.low} low`;
}

const fmt = (x: number) => x.toExponential(1);

/**
 * Views of both inputs, checked for the expected public counts and one frame shape throughout; then both features
 * scanned for each party, with a summary line each.
 */
async function compare(name: string, method: Method, inputs: [bigint[], bigint[]], counts: string, runs: number) {
  const [va, vb] = [await views(method, inputs[0], runs), await views(method, inputs[1], runs)];
  for (const v of [...va, ...vb]) expect(publicCounts(v.result), name).toBe(counts);
  const ranked = va[0].result.kept - 1;
  const out = {} as Record<Role, { opened: Scan; exchanged: Scan }>;
  for (const party of ["server", "client"] as const) {
    expect(new Set([...va, ...vb].map((v) => shape(v[party]))).size, `${name} ${party}: frame shapes`).toBe(1);
    const [la, lb] = [va.map((v) => v[party]), vb.map((v) => v[party])];
    const o = scan(la, lb, (log) => opened(log, ranked));
    const x = scan(la, lb, exchanged);
    out[party] = { opened: o, exchanged: x };
    const line = (s: Scan) => `${s.positions} positions, min p ${fmt(s.minP)} at ${s.at}, threshold ${fmt(s.threshold)}`;
    console.log(`${name} ${party}, ${runs} runs per input (fixed difference: p ${fmt(o.separated)}): opened ${line(o)}; exchanged ${line(x)}`);
  }
  return out;
}

describe("views do not depend on which positions were pruned", () => {
  it("revealPrune, the positive control: both features tell the inputs apart for both parties", { timeout: 60_000 }, async () => {
    const scans = await compare("revealPrune", (p, x, s, n, d) => revealPrune(p, x, s, n, d, 0n, ring), [FIRST, LAST], "3 kept", 25);
    for (const party of ["server", "client"] as const) {
      for (const [feature, s] of Object.entries(scans[party])) expect(s.minP, `${party} ${feature}`).toBeLessThan(s.threshold);
    }
  });

  for (const [name, method, inputs, counts, runs] of [
    ["compactPrune", (p, x, s, n, d) => compactPrune(p, x, s, n, d, 0n, ring), [FIRST, LAST], "3 kept", 500],
    ["shufflePrune", (p, x, s, n, d) => shufflePrune(p, x, s, n, d, 0n, ring), [FIRST, LAST], "3 kept", 500],
    ["swapPrune", (p, x, s, n, d) => swapPrune(p, x, s, n, d, 0n, ring), [FIRST, LAST], "3 kept", 500],
    ["sortPrune", (p, x, s, n, d) => sortPrune(p, x, s, n, d, 0n, ring), [FIRST, LAST], "3 kept", 250],
    ["bitonicPrune", (p, x, s, n, d) => bitonicPrune(p, x, s, n, d, ring, 3), [FIRST, LAST], "3 kept", 150],
    ["reductionMask", (p, x, s, n, d) => reductionMask(p, x, s, n, d, 0n, 30n, ring), [HIGH_LOW, LOW_HIGH], "3 kept: 2 high, 1 low", 500],
  ] as [string, Method, [bigint[], bigint[]], string, number][]) {
    it(`${name}: opened values and exchanged bytes are identically distributed at every position`, { timeout: 120_000 }, async () => {
      const scans = await compare(name, method, inputs, counts, runs);
      for (const party of ["server", "client"] as const) {
        for (const [feature, s] of Object.entries(scans[party])) {
          expect(s.separated, `${party} ${feature}: the runs could not detect a fixed difference`).toBeLessThan(s.threshold);
          expect(s.minP, `${party} ${feature} at ${s.at}`).toBeGreaterThanOrEqual(s.threshold);
        }
      }
    });
  }
});
