import { describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import type { Party } from "../src/mpc/party.js";
import { compactPrune, shufflePrune } from "../src/prune/compact.js";
import { compactPlain, groupsPlain, keepPlain, rowMultiset, scorePlain, topPlain } from "../src/prune/plain.js";
import { reductionMask } from "../src/prune/reduction.js";
import { revealPrune } from "../src/prune/reveal.js";
import { score } from "../src/prune/score.js";
import { setupShuffle, shuffleShares } from "../src/prune/shuffle.js";
import { setupPermutation, permuteShares } from "../src/prune/permute.js";
import { bitonicPrune, sortPrune } from "../src/prune/sort.js";
import { swapPrune } from "../src/prune/swap.js";
import { withParties } from "./pair.js";

const ring = new Ring(37, 12);

/** A tiny deterministic generator for test inputs (not for shares' security). */
function lcg(seed: number) {
  let s = BigInt(seed) | 1n;
  return () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return s >> 11n;
  };
}

function shareOf(p: Party, x: BigUint64Array, mask: BigUint64Array): BigUint64Array {
  return p.isServer ? mask.slice() : x.map((v, i) => (v - mask[i]) & ring.mask);
}

function open(a: BigUint64Array, b: BigUint64Array): BigUint64Array {
  return a.map((v, i) => (v + b[i]) & ring.mask);
}

interface Case {
  n: number;
  d: number;
  rows: BigUint64Array;
  scores: BigUint64Array;
  theta: bigint;
}

/** Random rows (edge values mixed in) and the given signed scores. */
function makeCase(n: number, d: number, scores: bigint[], theta: bigint, seed: number): Case {
  const next = lcg(seed);
  const edges = [0n, 1n, ring.mask, ring.half];
  const rows = new BigUint64Array(n * d);
  for (let i = 0; i < rows.length; i++) rows[i] = i < edges.length * 3 ? edges[i % edges.length] : next() & ring.mask;
  // make every row distinct, so that order checks are meaningful
  for (let j = 0; j < n; j++) rows[j * d] = BigInt(j) * 7919n;
  return { n, d, rows, scores: BigUint64Array.from(scores, (s) => ring.fromSigned(s)), theta };
}

function randomScores(n: number, seed: number, spread = 64n): bigint[] {
  const next = lcg(seed);
  return Array.from({ length: n }, () => (next() % (2n * spread)) - spread);
}

/** Runs every method on fresh shares of each case, all in one two-party session. */
async function runAll(cases: Case[], seed: number) {
  const next = lcg(seed * 31 + 7);
  const masks = cases.map((c) => ({ rows: c.rows.map(() => next() & ring.mask), scores: c.scores.map(() => next() & ring.mask) }));
  return withParties(async (p) => {
    const out = [];
    for (const [i, c] of cases.entries()) {
      const x = shareOf(p, c.rows, masks[i].rows);
      const s = shareOf(p, c.scores, masks[i].scores);
      out.push({
        compact: await compactPrune(p, x, s, c.n, c.d, c.theta, ring),
        shuffle: await shufflePrune(p, x, s, c.n, c.d, c.theta, ring),
        reveal: await revealPrune(p, x, s, c.n, c.d, c.theta, ring),
        swap: await swapPrune(p, x, s, c.n, c.d, c.theta, ring),
        sort: await sortPrune(p, x, s, c.n, c.d, c.theta, ring),
        bitonic: await bitonicPrune(p, x, s, c.n, c.d, ring),
      });
    }
    return out;
  });
}

async function checkCases(cases: Case[], seed: number) {
  const run = await runAll(cases, seed);
  cases.forEach((c, i) => {
    const server = run.server[i];
    const client = run.client[i];
    const keep = keepPlain(ring, c.scores, c.theta);
    const want = compactPlain(c.rows, c.d, keep);
    const kept = want.length / c.d;
    for (const m of ["compact", "reveal", "swap"] as const) {
      expect(server[m].kept, m).toBe(kept);
      expect(client[m].kept, m).toBe(kept);
      expect(open(server[m].rows, client[m].rows), m).toEqual(want);
    }
    for (const m of ["sort", "shuffle"] as const) {
      const got = open(server[m].rows, client[m].rows);
      expect(server[m].kept, m).toBe(kept);
      expect(rowMultiset(got, c.d), m).toEqual(rowMultiset(want, c.d));
      expect(got.subarray(0, c.d), m).toEqual(c.rows.subarray(0, c.d));
    }
    const half = Math.ceil(c.n / 2);
    expect(server.bitonic.kept).toBe(half);
    expect(open(server.bitonic.rows, client.bitonic.rows)).toEqual(compactPlain(c.rows, c.d, topPlain(ring, c.scores, half)));
  });
}

describe("pruning methods against the plaintext twin", () => {
  it("random scores (n not a power of two, rows with edge values), ties, all kept, only [CLS], one more, n = 1, 2", { timeout: 90_000 }, async () => {
    const ties = [0n, 5n, 5n, 4n, 6n, 5n, 6n, 6n, -1n, 5n, 7n];
    const one = Array.from({ length: 9 }, (_, j) => (j === 6 ? 50n : -50n));
    await checkCases(
      [
        makeCase(37, 3, randomScores(37, 1), 5n, 2),
        makeCase(ties.length, 2, ties, 5n, 4),
        makeCase(9, 2, randomScores(9, 6).map((s) => s + 1000n), 0n, 7),
        makeCase(9, 2, randomScores(9, 9), 1000n, 10),
        makeCase(9, 2, one, 0n, 12),
        makeCase(1, 2, [3n], 0n, 14),
        makeCase(2, 2, [3n, 2n], 0n, 16),
      ],
      3,
    );
  });
});

describe("shuffle", () => {
  it("permutes shared rows by the composition of both parties' permutations", { timeout: 30_000 }, async () => {
    const n = 2 ** 5 + 101;
    const w = 3;
    const next = lcg(21);
    const rows = BigUint64Array.from({ length: n * w }, () => next() & ring.mask);
    const mask = rows.map(() => next() & ring.mask);
    const { server, client } = await withParties(async (p) => {
      const x = shareOf(p, rows, mask);
      const a = await setupPermutation(p, n, "server");
      const b = await setupPermutation(p, n, "client");
      const once = await permuteShares(p, a, x, w, ring);
      const twice = await permuteShares(p, b, once, w, ring);
      await expect(permuteShares(p, a, x, w, ring)).rejects.toThrow(/already used/);
      const sh = await setupShuffle(p, n);
      const mixed = await shuffleShares(p, sh, x, w, ring);
      return { dest: [a.dest, b.dest, sh.first.dest, sh.second.dest], once, twice, mixed };
    });
    const [da, , sa] = server.dest;
    const [, db, , sb] = client.dest;
    const apply = (src: BigUint64Array, dest: Uint32Array) => {
      const out = new BigUint64Array(src.length);
      for (let i = 0; i < n; i++) out.set(src.subarray(i * w, (i + 1) * w), dest[i] * w);
      return out;
    };
    expect(open(server.once, client.once)).toEqual(apply(rows, da!));
    expect(open(server.twice, client.twice)).toEqual(apply(apply(rows, da!), db!));
    expect(open(server.mixed, client.mixed)).toEqual(apply(apply(rows, sa!), sb!));
    expect(client.dest[0]).toBeUndefined(); // the helper never learns the permuter's permutation
  });

  it("compactPrune takes a shuffle prepared in advance, once, and of the right size", { timeout: 30_000 }, async () => {
    const c = makeCase(5, 1, [0n, 9n, -9n, 9n, -9n], 0n, 51);
    const next = lcg(52);
    const rowMask = c.rows.map(() => next() & ring.mask);
    const scoreMask = c.scores.map(() => next() & ring.mask);
    const { server, client } = await withParties(async (p) => {
      const x = shareOf(p, c.rows, rowMask);
      const s = shareOf(p, c.scores, scoreMask);
      await expect(compactPrune(p, x, s, 5, 1, 0n, ring, await setupShuffle(p, 5))).rejects.toThrow(/setup is for 5 rows, need n − 1 = 4/);
      const pre = await setupShuffle(p, 4);
      const r = await compactPrune(p, x, s, 5, 1, 0n, ring, pre);
      await expect(compactPrune(p, x, s, 5, 1, 0n, ring, pre)).rejects.toThrow(/already used/);
      return r;
    });
    expect(server.kept).toBe(3);
    expect(open(server.rows, client.rows)).toEqual(compactPlain(c.rows, 1, keepPlain(ring, c.scores, 0n)));
  });
});

describe("score and reduction mask", () => {
  it("score equals the plaintext twin", { timeout: 30_000 }, async () => {
    const heads = 3;
    const n = 11;
    const next = lcg(31);
    // probabilities at scale 12, with edge values 0 and 1.0
    const att = BigUint64Array.from({ length: heads * n * n }, (_, i) => (i % 17 === 0 ? 4096n : i % 19 === 0 ? 0n : next() % 4097n));
    const mask = att.map(() => next() & ring.mask);
    const { server, client } = await withParties(async (p) => score(p, shareOf(p, att, mask), heads, n, ring));
    expect(open(server, client)).toEqual(scorePlain(ring, att, heads, n));
  });

  it("groups kept tokens into high then low degree, revealing only the counts", { timeout: 60_000 }, async () => {
    const cases = [makeCase(23, 2, randomScores(23, 41), -10n, 41), makeCase(2, 2, randomScores(2, 42), -10n, 42)];
    const beta = 20n;
    const next = lcg(43);
    const masks = cases.map((c) => ({ rows: c.rows.map(() => next() & ring.mask), scores: c.scores.map(() => next() & ring.mask) }));
    const run = await withParties(async (p) => {
      const out = [];
      for (const [i, c] of cases.entries()) {
        out.push(await reductionMask(p, shareOf(p, c.rows, masks[i].rows), shareOf(p, c.scores, masks[i].scores), c.n, c.d, c.theta, beta, ring));
      }
      return out;
    });
    for (const [i, c] of cases.entries()) {
      const server = run.server[i];
      const client = run.client[i];
      const g = groupsPlain(ring, c.scores, c.theta, beta);
      const high = compactPlain(c.rows, c.d, g.map((x) => (x === 2 ? 1 : 0)));
      const low = compactPlain(c.rows, c.d, g.map((x) => (x === 1 ? 1 : 0)));
      expect(server.high).toBe(high.length / c.d);
      expect(server.low).toBe(low.length / c.d);
      expect(client.kept).toBe(server.high + server.low);
      const got = open(server.rows, client.rows);
      expect(got.subarray(0, high.length)).toEqual(high);
      expect(got.subarray(high.length)).toEqual(low);
    }
  });

  it("rejects bad arguments, naming them", async () => {
    const fake = {} as Party;
    const rows = new BigUint64Array(6);
    await expect(compactPrune(fake, rows, new BigUint64Array(2), 3, 2, 0n, ring)).rejects.toThrow(/scores must hold n = 3/);
    await expect(swapPrune(fake, rows, new BigUint64Array(3), 3, 3, 0n, ring)).rejects.toThrow(/rows must hold/);
    await expect(bitonicPrune(fake, rows, new BigUint64Array(3), 3, 2, ring, 4)).rejects.toThrow(/keep/);
    await expect(reductionMask(fake, rows, new BigUint64Array(3), 3, 2, 5n, 4n, ring)).rejects.toThrow(/beta/);
  });
});
