// compactPrune: shuffle-and-reveal stable compaction. Only the number of kept tokens is revealed.
//
// Each kept token's rank among the kept tokens is a local prefix sum of its B2A'd keep bit. The rows travel with
// (keep bit, rank) through a two-party shuffle that neither party can undo; the shuffled keep bits are then opened
// (a uniformly random placement of K ones), then the ranks of the kept rows (a uniformly random arrangement of
// 1..K), and each party writes its own share of every kept row to slot rank − 1. The same pass sorts tokens into
// several disjoint groups at once (reduction.ts), revealing only the group sizes. shufflePrune skips the ranks and
// leaves the kept rows in the shuffled order.
import type { Ring } from "../core/ring.js";
import type { Party } from "../mpc/party.js";
import { b2a } from "../mpc/b2a.js";
import { getBit, packedLength, setBit } from "../core/bits.js";
import { revealBits } from "../mpc/share.js";
import { ProtocolError } from "../net/errors.js";
import { lanesBytes, packLanes, unpackLanes } from "../core/lanes.js";
import { checkInputs, counted, type PruneResult } from "./result.js";
import { setupShuffle, shuffleShares, type ShuffleSetup } from "./shuffle.js";
import { aboveThresholds, type Threshold } from "./threshold.js";

export interface Grouped {
  /** Shares of the rows of group 0 ([CLS] first), then group 1, …, each group in its original order (or shuffled). */
  rows: BigUint64Array;
  /** Public group sizes; counts[0] includes [CLS]. */
  counts: number[];
}

export interface GroupOptions {
  /** A shuffle of n − 1 rows prepared in advance (it depends only on n). */
  setup?: ShuffleSetup;
  /** Restore the original order within each group (default). Without it the ranks are neither carried nor opened. */
  ordered?: boolean;
}

/**
 * Stable grouping of rows 1..n−1 by disjoint XOR-shared membership masks (a token in no group is dropped); row 0
 * ([CLS]) stays first and counts as group 0.
 */
export async function compactGroups(
  p: Party,
  rows: BigUint64Array,
  n: number,
  d: number,
  groups: Uint8Array[],
  ring: Ring,
  opts: GroupOptions = {},
): Promise<Grouped> {
  const { setup, ordered = true } = opts;
  const G = groups.length;
  if (G < 1) throw new RangeError("compactGroups: groups must hold at least one mask");
  groups.forEach((g, i) => {
    if (!(g instanceof Uint8Array) || g.length < packedLength(n)) throw new RangeError(`compactGroups: groups[${i}] must hold ${n} packed bits`);
  });
  if (rows.length !== n * d) throw new RangeError(`compactGroups: rows must hold n × d = ${n * d} lanes, got ${rows.length}`);
  const m = n - 1;
  if (m === 0) return { rows: rows.slice(0, d), counts: groups.map((_, g) => (g === 0 ? 1 : 0)) };
  if (setup && setup.n !== m) throw new RangeError(`compactGroups: setup is for ${setup.n} rows, need n − 1 = ${m}`);
  const mask = ring.mask;

  // Arithmetic membership bits and their running sums (ranks) for tokens 1..n−1, one B2A for all groups.
  const cat = new Uint8Array(packedLength(G * m));
  for (let g = 0; g < G; g++) for (let j = 0; j < m; j++) setBit(cat, g * m + j, getBit(groups[g], j + 1));
  const shuffle = setup ?? (await setupShuffle(p, m));
  const a = await b2a(p, cat, G * m, ring);
  // Lanes per group: the membership bit, then (ordered) its running sum.
  const per = ordered ? 2 : 1;
  const w = d + per * G;
  const table = new BigUint64Array(m * w);
  for (let j = 0; j < m; j++) table.set(rows.subarray((j + 1) * d, (j + 2) * d), j * w);
  for (let g = 0; g < G; g++) {
    let rank = 0n;
    for (let j = 0; j < m; j++) {
      const bit = a[g * m + j];
      rank = (rank + bit) & mask;
      table[j * w + d + per * g] = bit;
      if (ordered) table[j * w + d + per * g + 1] = rank;
    }
  }

  const mixed = await shuffleShares(p, shuffle, table, w, ring);

  // A {0,1} value's low bit is the XOR of the shares' low bits, so the classes open with one bit per share.
  const low = new Uint8Array(packedLength(G * m));
  for (let j = 0; j < m; j++) for (let g = 0; g < G; g++) setBit(low, j * G + g, Number(mixed[j * w + d + per * g] & 1n));
  const cls = await revealBits(p, low, G * m);
  const classOf = new Int32Array(m).fill(-1);
  const counts = new Array<number>(G).fill(0);
  for (let j = 0; j < m; j++) {
    for (let g = 0; g < G; g++) {
      if (!getBit(cls, j * G + g)) continue;
      if (classOf[j] >= 0) throw new ProtocolError(`compactGroups: shuffled row ${j} opened in groups ${classOf[j]} and ${g}; the masks must be disjoint`);
      classOf[j] = g;
      counts[g]++;
    }
  }

  const members: number[] = [];
  for (let j = 0; j < m; j++) if (classOf[j] >= 0) members.push(j);
  const offsets = new Array<number>(G);
  offsets[0] = 1;
  for (let g = 1; g < G; g++) offsets[g] = offsets[g - 1] + counts[g - 1];
  const slots = ordered ? await openSlots(p, mixed, w, d, members, classOf, counts, offsets, m) : shuffledSlots(members, classOf, offsets);
  const total = 1 + members.length;
  const out = new BigUint64Array(total * d);
  out.set(rows.subarray(0, d), 0);
  members.forEach((j, i) => out.set(mixed.subarray(j * w, j * w + d), slots[i] * d));
  counts[0] += 1;
  return { rows: out, counts };
}

/** Unordered: members keep their shuffled order within each group. */
function shuffledSlots(members: number[], classOf: Int32Array, offsets: number[]): number[] {
  const next = [...offsets];
  return members.map((j) => next[classOf[j]]++);
}

/** Ordered: opens each member's rank in its group (low k bits of the shares) and returns its output slot. */
async function openSlots(
  p: Party,
  mixed: BigUint64Array,
  w: number,
  d: number,
  members: number[],
  classOf: Int32Array,
  counts: number[],
  offsets: number[],
  m: number,
): Promise<number[]> {
  // Ranks are at most m, so their low k bits determine them.
  const k = Math.max(1, Math.ceil(Math.log2(m + 1)));
  const kMask = (1n << BigInt(k)) - 1n;
  const mine = new BigUint64Array(members.length);
  members.forEach((j, i) => (mine[i] = mixed[j * w + d + 2 * classOf[j] + 1] & kMask));
  p.ch.send("prune.open.rank", packLanes(mine, mine.length, k));
  const bytes = await p.ch.recv("prune.open.rank");
  if (bytes.length !== lanesBytes(mine.length, k)) throw new ProtocolError(`prune.open.rank: expected ${lanesBytes(mine.length, k)} bytes, got ${bytes.length}`);
  const theirs = unpackLanes(bytes, mine.length, k, new BigUint64Array(mine.length));
  const filled = new Set<number>();
  return members.map((j, i) => {
    const g = classOf[j];
    const rank = Number((mine[i] + theirs[i]) & kMask);
    if (rank < 1 || rank > counts[g]) throw new ProtocolError(`compactGroups: opened rank ${rank} outside 1..${counts[g]} in group ${g}`);
    const slot = offsets[g] + rank - 1;
    if (filled.has(slot)) throw new ProtocolError(`compactGroups: two rows opened rank ${rank} in group ${g}`);
    filled.add(slot);
    return slot;
  });
}

/**
 * Ours: keeps [CLS] and the tokens with S(j) > θ, in their original order, revealing only how many were kept.
 * `rows` is n × d (row-major), `scores` n lanes, both shared mod 2^l; θ is the server's (threshold.ts `Threshold`).
 */
export async function compactPrune(
  p: Party,
  rows: BigUint64Array,
  scores: BigUint64Array,
  n: number,
  d: number,
  theta: Threshold,
  ring: Ring,
  setup?: ShuffleSetup,
): Promise<PruneResult> {
  return thresholdCompact(p, "compactPrune", rows, scores, n, d, theta, ring, { setup });
}

/**
 * Shuffle-and-reveal without order restoration: the same kept rows as compactPrune ([CLS] first), the others in a
 * random order, one lane and one opening fewer. Reveals only the count.
 */
export async function shufflePrune(
  p: Party,
  rows: BigUint64Array,
  scores: BigUint64Array,
  n: number,
  d: number,
  theta: Threshold,
  ring: Ring,
  setup?: ShuffleSetup,
): Promise<PruneResult> {
  return thresholdCompact(p, "shufflePrune", rows, scores, n, d, theta, ring, { setup, ordered: false });
}

/** One threshold mask, then `compactGroups` with the given options, inside a named, counted scope. */
async function thresholdCompact(
  p: Party,
  method: string,
  rows: BigUint64Array,
  scores: BigUint64Array,
  n: number,
  d: number,
  theta: Threshold,
  ring: Ring,
  opts: GroupOptions,
): Promise<PruneResult> {
  checkInputs(method, rows, scores, n, d);
  const { value, counters } = await counted(p, () =>
    p.scope(method, async () => {
      const [keep] = await aboveThresholds(p, scores, [theta], ring, method);
      return compactGroups(p, rows, n, d, [keep], ring, opts);
    }),
  );
  return { rows: value.rows, kept: value.counts[0], d, counters };
}
