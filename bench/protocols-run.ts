// Token pruning protocols side by side: our shuffle-and-reveal compaction against CipherPrune's swap network,
// BOLT's two bitonic sorts, one bitonic sort, and the leaky reveal baseline. Both parties run in one process over
// the in-memory channel. Bytes count both directions (frames included) and everything the method needs after the
// session's base OTs, including the shuffle's random OTs; rounds are flights of the transcript; ms is wall time
// (both parties on one thread). LAN/WAN times come from the cost model (3 Gbps / 0.8 ms RTT, 200 Mbps / 40 ms RTT).
// reductionMask prunes and splits the kept tokens into high- and low-degree groups in the same single shuffle;
// shufflePrune is compactPrune without restoring the order (kept rows in random order).
// Runtime-neutral (no Node modules, no `process`): the Node CLI (bench/protocols.ts) and the browser page
// (web/protocols-worker.ts) both run it.
import { resolveBackend, type AesBackend, type AesOptions } from "../src/core/aes.js";
import { Prg } from "../src/core/prg.js";
import { Ring } from "../src/core/ring.js";
import { LAN, WAN, estimateMs } from "../src/net/cost.js";
import { memoryPair, measurePair } from "../src/net/memory.js";
import { Party } from "../src/mpc/party.js";
import { compactPrune, shufflePrune } from "../src/prune/compact.js";
import type { PruneResult } from "../src/prune/result.js";
import { reductionMask } from "../src/prune/reduction.js";
import { revealPrune } from "../src/prune/reveal.js";
import { bitonicPrune, sortPrune } from "../src/prune/sort.js";
import { swapPrune } from "../src/prune/swap.js";
import { lineChart, type Series } from "./chart.js";

const ring = new Ring(37, 12);
const THETA = 0n;
// Kept tokens score in [0.5, 0.75): about half of them fall above β and take the high-degree path.
const BETA = ring.encode(0.625);

export interface Row {
  method: string;
  n: number;
  d: number;
  kept: number;
  ms: number;
  bytes: number;
  rounds: number;
  lanMs: number;
  wanMs: number;
}

type Method = (p: Party, rows: BigUint64Array, scores: BigUint64Array, n: number, d: number) => Promise<PruneResult>;

const METHODS: [string, Method][] = [
  ["compactPrune", (p, x, s, n, d) => compactPrune(p, x, s, n, d, THETA, ring)],
  ["reductionMask", (p, x, s, n, d) => reductionMask(p, x, s, n, d, THETA, BETA, ring)],
  ["shufflePrune", (p, x, s, n, d) => shufflePrune(p, x, s, n, d, THETA, ring)],
  ["swapPrune", (p, x, s, n, d) => swapPrune(p, x, s, n, d, THETA, ring)],
  ["bitonicPrune", (p, x, s, n, d) => bitonicPrune(p, x, s, n, d, ring)],
  ["sortPrune", (p, x, s, n, d) => sortPrune(p, x, s, n, d, THETA, ring)],
  ["revealPrune (leaky)", (p, x, s, n, d) => revealPrune(p, x, s, n, d, THETA, ring)],
];

/** Every method's name, in table order. */
const METHOD_NAMES: readonly string[] = METHODS.map(([m]) => m);

/** A method's short name: its name up to the first space ("revealPrune" for "revealPrune (leaky)"). */
function shortName(method: string): string {
  return method.split(" ")[0];
}

export interface ProtocolsOptions {
  /** Token counts, each an integer in [2, 4096] (default 32, 64, 128, 256, 512). */
  ns?: number[];
  /** Row width (default 768). */
  d?: number;
  /** Fraction of tokens kept, in (0, 1] (default 55/128). */
  keep?: number;
  /** Methods to run, by full or short name (default all). */
  methods?: string[];
  /** The parties' AES backend (default "auto": node:crypto where it exists, else WASM). */
  aes?: AesOptions["backend"];
  /** Run every method once on a small input first, so that the timed runs do not pay for compilation (default true). */
  warmUp?: boolean;
  /** Progress, one line at a time. */
  log?: (line: string) => void;
}

export interface ProtocolsResult {
  rows: Row[];
  /** The chart of bytes and estimated WAN time against n (bench/chart.ts). */
  svg: string;
  /** The AES backend the parties used. */
  aes: AesBackend;
}

export const DEFAULT_NS = [32, 64, 128, 256, 512];
export const DEFAULT_D = 768;
export const DEFAULT_KEEP = 55 / 128;

/** The options with defaults filled in, checked; errors name the field. */
export function checkOptions(opts: ProtocolsOptions) {
  const ns = opts.ns ?? DEFAULT_NS;
  if (!Array.isArray(ns) || ns.length === 0) throw new RangeError("n: at least one size is needed");
  for (const n of ns) if (!Number.isInteger(n) || n < 2 || n > 4096) throw new RangeError(`n: each size must be an integer in [2, 4096], got ${n}`);
  const d = opts.d ?? DEFAULT_D;
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`d must be an integer ≥ 1, got ${d}`);
  const keep = opts.keep ?? DEFAULT_KEEP;
  if (!(keep > 0 && keep <= 1)) throw new RangeError(`keep must be a fraction in (0, 1], got ${keep}`);
  const wanted = opts.methods ?? METHOD_NAMES;
  for (const m of wanted) {
    if (!METHOD_NAMES.some((name) => name === m || shortName(name) === m)) {
      throw new RangeError(`methods: unknown method ${JSON.stringify(m)}; known: ${METHOD_NAMES.map(shortName).join(", ")}`);
    }
  }
  const methods = METHODS.filter(([name]) => wanted.includes(name) || wanted.includes(shortName(name)));
  return { ns, d, keep, methods, aes: opts.aes ?? "auto", warmUp: opts.warmUp ?? true, log: opts.log ?? (() => {}) };
}

function random(n: number, bits: number): BigUint64Array {
  const out = new BigUint64Array(n);
  const bytes = new Uint8Array(out.buffer);
  for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  const mask = (1n << BigInt(bits)) - 1n;
  for (let i = 0; i < n; i++) out[i] &= mask;
  return out;
}

/** Shares of random rows and of scores that put exactly `kept` tokens ([CLS] included) above θ = 0. */
function inputs(n: number, d: number, kept: number) {
  const rows = random(n * d, ring.bits);
  const order = Array.from({ length: n - 1 }, (_, i) => i + 1);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const above = new Set(order.slice(0, kept - 1));
  const scores = BigUint64Array.from({ length: n }, (_, j) => ring.encode(j === 0 || above.has(j) ? 0.5 + Math.random() / 4 : -Math.random() / 4));
  const rowMask = random(n * d, ring.bits);
  const scoreMask = random(n, ring.bits);
  const share = (x: BigUint64Array, m: BigUint64Array, server: boolean) => (server ? m : x.map((v, i) => (v - m[i]) & ring.mask));
  return {
    server: { rows: share(rows, rowMask, true), scores: share(scores, scoreMask, true) },
    client: { rows: share(rows, rowMask, false), scores: share(scores, scoreMask, false) },
  };
}

function fmtBytes(b: number): string {
  return b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(1)} kB`;
}

function fmtMs(ms: number): string {
  return ms >= 1e4 ? `${(ms / 1e3).toFixed(1)} s` : `${ms.toFixed(1)} ms`;
}

/** The table's header and formatted cells, for the text table and the page's HTML table. */
export function tableCells(rows: Row[]): { head: string[]; body: string[][] } {
  const head = ["method", "n", "d", "kept", "ms", "bytes", "rounds", "LAN est.", "WAN est.", "bytes vs ours", "rounds vs ours"];
  const ours = new Map(rows.filter((r) => r.method === "compactPrune").map((r) => [r.n, r]));
  const body = rows.map((r) => {
    const o = ours.get(r.n);
    return [
      r.method,
      String(r.n),
      String(r.d),
      String(r.kept),
      fmtMs(r.ms),
      fmtBytes(r.bytes),
      String(r.rounds),
      fmtMs(r.lanMs),
      fmtMs(r.wanMs),
      o ? `${(r.bytes / o.bytes).toFixed(1)}×` : "",
      o ? `${(r.rounds / o.rounds).toFixed(1)}×` : "",
    ];
  });
  return { head, body };
}

/** Text table: the first column left-aligned, the others right-aligned. */
export function textTable(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

export function table(rows: Row[]): string {
  const { head, body } = tableCells(rows);
  return textTable(head, body);
}

/** Bytes and estimated WAN time against n, one line per method (in table order). */
export function chartSvg(rows: Row[]): string {
  const names = METHOD_NAMES.filter((name) => rows.some((r) => r.method === name));
  const ds = [...new Set(rows.map((r) => r.d))].join(", ");
  const series = (field: "bytes" | "wanMs"): Series[] =>
    names.map((name) => ({ name, points: rows.filter((r) => r.method === name).map((r) => ({ x: r.n, y: r[field] })) }));
  return lineChart(
    [
      { title: `Pruning traffic (d = ${ds})`, yLabel: "bytes, both directions", series: series("bytes") },
      { title: "Estimated WAN time (200 Mbps, 40 ms RTT)", yLabel: "ms", series: series("wanMs") },
    ],
    "tokens n",
  );
}

/** Both parties of a fresh session (base OTs done, not counted), on the AES backend `aes`. */
async function session(aes: AesBackend) {
  const [a, b] = memoryPair({ timeoutMs: 600_000 });
  const [ps, pc] = await Promise.all([
    Prg.create({ backend: aes }).then((prg) => Party.create("server", a, { prg })),
    Prg.create({ backend: aes }).then((prg) => Party.create("client", b, { prg })),
  ]);
  return { a, b, ps, pc };
}

/** Runs every method once on a small input so that the timed runs do not pay for compilation. */
async function warmUp(methods: [string, Method][], aes: AesBackend): Promise<void> {
  const { a, b, ps, pc } = await session(aes);
  const input = inputs(16, 16, 7);
  for (const [, run] of methods) await Promise.all([run(ps, input.server.rows, input.server.scores, 16, 16), run(pc, input.client.rows, input.client.scores, 16, 16)]);
  a.close();
  b.close();
}

/** Runs the selected methods at every n (one fresh session per n) and returns the rows and the chart. */
export async function runProtocols(opts: ProtocolsOptions = {}): Promise<ProtocolsResult> {
  const { ns, d, keep, methods, warmUp: warm, log } = checkOptions(opts);
  const aes = await resolveBackend(opts.aes);
  const rows: Row[] = [];
  if (warm) {
    log(`warming up (AES: ${aes}) …`);
    await warmUp(methods, aes);
  }
  for (const n of ns) {
    const kept = Math.max(1, Math.round(keep * n));
    const { a, b, ps, pc } = await session(aes);
    const input = inputs(n, d, kept);
    for (const [name, run] of methods) {
      log(`n = ${n}: ${name} …`);
      const { result, traffic, ms } = await measurePair(a, b, () =>
        Promise.all([run(ps, input.server.rows, input.server.scores, n, d), run(pc, input.client.rows, input.client.scores, n, d)]),
      );
      const row: Row = {
        method: name,
        n,
        d,
        kept: result[0].kept,
        ms: Math.round(ms * 10) / 10,
        bytes: traffic.bytes,
        rounds: traffic.rounds,
        lanMs: Math.round(estimateMs(LAN, { ms, bytes: traffic.bytes, rounds: traffic.rounds }) * 10) / 10,
        wanMs: Math.round(estimateMs(WAN, { ms, bytes: traffic.bytes, rounds: traffic.rounds }) * 10) / 10,
      };
      rows.push(row);
      log(`n = ${n}: ${name}: ${fmtMs(ms)}, ${fmtBytes(row.bytes)}, ${row.rounds} rounds`);
    }
    a.close();
    b.close();
  }
  return { rows, svg: chartSvg(rows), aes };
}
