// View indistinguishability: two inputs with the same kept count but different kept positions must give each party
// identically distributed views. Each run uses fresh shares; the features compared are the values a party opens
// (exactly what could depend on the positions) and the byte histogram of everything it receives.
import { describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { getBit } from "../src/mpc/bits.js";
import { Party } from "../src/mpc/party.js";
import { memoryPair } from "../src/net/memory.js";
import { unpackLanes } from "../src/ot/lanes.js";
import { compactPrune, shufflePrune } from "../src/prune/compact.js";
import type { PruneResult } from "../src/prune/result.js";
import { revealPrune } from "../src/prune/reveal.js";
import { bitonicPrune, sortPrune } from "../src/prune/sort.js";
import { swapPrune } from "../src/prune/swap.js";
import { recording, type Frame } from "./recording.js";

const ring = new Ring(37, 12);

type Method = (p: Party, rows: BigUint64Array, scores: BigUint64Array, n: number, d: number) => Promise<PruneResult>;

function randomLanes(n: number): BigUint64Array {
  const out = new BigUint64Array(n);
  crypto.getRandomValues(new Uint32Array(out.buffer));
  return out.map((v) => v & ring.mask);
}

/** Runs `method` `runs` times on fresh shares of the input whose kept positions are `kept`; returns both logs per run. */
async function views(method: Method, n: number, kept: number[], runs: number): Promise<{ server: Frame[]; client: Frame[] }[]> {
  const [a, b] = memoryPair();
  const serverLog: Frame[] = [];
  const clientLog: Frame[] = [];
  const [ps, pc] = await Promise.all([Party.create("server", recording(a, serverLog)), Party.create("client", recording(b, clientLog))]);
  const d = 1;
  const rows = BigUint64Array.from({ length: n }, (_, j) => BigInt(100 + j));
  const scores = BigUint64Array.from({ length: n }, (_, j) => ring.fromSigned(kept.includes(j) ? 50n : -50n));
  const out = [];
  for (let r = 0; r < runs; r++) {
    serverLog.length = 0;
    clientLog.length = 0;
    const rm = randomLanes(n);
    const sm = randomLanes(n);
    const sub = (x: BigUint64Array, m: BigUint64Array) => x.map((v, i) => (v - m[i]) & ring.mask);
    await Promise.all([method(ps, rm, sm, n, d), method(pc, sub(rows, rm), sub(scores, sm), n, d)]);
    out.push({ server: [...serverLog], client: [...clientLog] });
  }
  a.close();
  b.close();
  return out;
}

/** Chi-square homogeneity statistic of two histograms and its 0.01% critical value (Wilson–Hilferty). */
function homogeneity(x: Map<string, number>, y: Map<string, number>): { chi: number; critical: number } {
  const keys = [...new Set([...x.keys(), ...y.keys()])];
  const nx = [...x.values()].reduce((s, v) => s + v, 0);
  const ny = [...y.values()].reduce((s, v) => s + v, 0);
  let chi = 0;
  for (const k of keys) {
    const a = x.get(k) ?? 0;
    const b = y.get(k) ?? 0;
    const ea = ((a + b) * nx) / (nx + ny);
    const eb = ((a + b) * ny) / (nx + ny);
    chi += (a - ea) ** 2 / ea + (b - eb) ** 2 / eb;
  }
  const df = Math.max(1, keys.length - 1);
  const z = 3.72; // p = 10^-4: a false alarm in about one run of a thousand over all comparisons
  const critical = df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
  return { chi, critical };
}

function count(h: Map<string, number>, key: string): void {
  h.set(key, (h.get(key) ?? 0) + 1);
}

/** The values a party opens: XOR (bits) or sum (lanes) of what it sent and received under one tag. */
function opened(log: Frame[], tag: string): [Uint8Array, Uint8Array] | undefined {
  const out = log.filter((f) => f.tag === tag && f.dir === "sent").at(-1);
  const inn = log.filter((f) => f.tag === tag && f.dir === "received").at(-1);
  return out && inn ? [out.payload!, inn.payload!] : undefined;
}

/** Feature of compactPrune's openings: for each shuffled position, its opened rank (0 if dropped). */
function compactOpenings(log: Frame[], m: number): string[] {
  const [mineBits, theirBits] = opened(log, "share.revealBits")!;
  const keptAt: number[] = [];
  for (let j = 0; j < m; j++) if (getBit(mineBits, j) ^ getBit(theirBits, j)) keptAt.push(j);
  const k = Math.max(1, Math.ceil(Math.log2(m + 1)));
  const [mine, theirs] = opened(log, "prune.open.rank")!.map((b) => unpackLanes(b, keptAt.length, k, new BigUint64Array(keptAt.length)));
  const rank = new Array<number>(m).fill(0);
  keptAt.forEach((j, i) => (rank[j] = Number((mine[i] + theirs[i]) & ((1n << BigInt(k)) - 1n))));
  return rank.map((r, j) => `${j}:${r}`);
}

/** Histogram of the bytes a party received (its view of the peer). */
function receivedBytes(runs: Frame[][]): Map<string, number> {
  const h = new Map<string, number>();
  for (const log of runs) for (const f of log) if (f.dir === "received") for (const b of f.payload!) count(h, String(b));
  return h;
}

const N = 6;
const FIRST = [0, 1, 2]; // same count (3 kept, [CLS] included), different positions
const LAST = [0, 4, 5];

describe("views do not depend on which positions were pruned", () => {
  it("compactPrune: opened keep bits and ranks, and all received bytes, are identically distributed", { timeout: 120_000 }, async () => {
    const runs = 100;
    const method: Method = (p, x, s, n, d) => compactPrune(p, x, s, n, d, 0n, ring);
    const va = await views(method, N, FIRST, runs);
    const vb = await views(method, N, LAST, runs);
    for (const party of ["server", "client"] as const) {
      const ha = new Map<string, number>();
      const hb = new Map<string, number>();
      va.forEach((v) => compactOpenings(v[party], N - 1).forEach((k) => count(ha, k)));
      vb.forEach((v) => compactOpenings(v[party], N - 1).forEach((k) => count(hb, k)));
      const open = homogeneity(ha, hb);
      expect(open.chi, `${party} openings`).toBeLessThan(open.critical);
      // every shuffled position takes every rank: the opened arrangement is spread over all of them
      expect(ha.size).toBe((N - 1) * FIRST.length);
      const bytes = homogeneity(receivedBytes(va.map((v) => v[party])), receivedBytes(vb.map((v) => v[party])));
      expect(bytes.chi, `${party} received bytes`).toBeLessThan(bytes.critical);
    }
  });

  it("revealPrune fails the same test: its opened mask gives the positions away", { timeout: 60_000 }, async () => {
    const runs = 5;
    const method: Method = (p, x, s, n, d) => revealPrune(p, x, s, n, d, 0n, ring);
    const va = await views(method, N, FIRST, runs);
    const vb = await views(method, N, LAST, runs);
    for (const party of ["server", "client"] as const) {
      const feature = (log: Frame[]) => {
        const [mine, theirs] = opened(log, "share.revealBits")!;
        return Array.from({ length: N }, (_, j) => `${j}:${getBit(mine, j) ^ getBit(theirs, j)}`);
      };
      const ha = new Map<string, number>();
      const hb = new Map<string, number>();
      va.forEach((v) => feature(v[party]).forEach((k) => count(ha, k)));
      vb.forEach((v) => feature(v[party]).forEach((k) => count(hb, k)));
      const { chi, critical } = homogeneity(ha, hb);
      expect(chi).toBeGreaterThan(critical);
    }
  });

  for (const [name, method, runs] of [
    ["shufflePrune", (p, x, s, n, d) => shufflePrune(p, x, s, n, d, 0n, ring), 15],
    ["swapPrune", (p, x, s, n, d) => swapPrune(p, x, s, n, d, 0n, ring), 15],
    ["sortPrune", (p, x, s, n, d) => sortPrune(p, x, s, n, d, 0n, ring), 12],
    ["bitonicPrune", (p, x, s, n, d) => bitonicPrune(p, x, s, n, d, ring, FIRST.length), 8],
  ] as [string, Method, number][]) {
    it(`${name}: received bytes are identically distributed`, { timeout: 120_000 }, async () => {
      const va = await views(method, N, FIRST, runs);
      const vb = await views(method, N, LAST, runs);
      for (const party of ["server", "client"] as const) {
        const { chi, critical } = homogeneity(receivedBytes(va.map((v) => v[party])), receivedBytes(vb.map((v) => v[party])));
        expect(chi, `${party} received bytes`).toBeLessThan(critical);
        // the same frames (tags and lengths) in the same order, whatever the positions
        const shape = (log: Frame[]) => log.map((f) => `${f.dir}:${f.tag}:${f.size}`).join("|");
        expect(shape(va[0][party])).toBe(shape(vb[0][party]));
      }
    });
  }
});
