// The millionaires' comparison (CrypTFlow2): XOR shares of [x > y] (and [x = y]) where the server holds x and
// the client holds y, both private and `bits` wide.
//
// Inputs are cut into 4-bit digits. For every digit, one 1-of-16 OT (server sends) hands the client the bits
// [x_d > j] and [x_d = j] for its own digit j, each masked by a server random bit, which is the server's share.
// Digits are then merged up a tree, lower half `lo`, upper half `hi`:
//   gt = gt_hi ⊕ (eq_hi ∧ gt_lo),  eq = eq_hi ∧ eq_lo,
// one level per round. Nodes that hold the least significant digit never need eq (unless it is asked for), so
// they cost one AND instead of two. The bit triples for the whole tree come from the same OT batch as the
// digits, so the protocol is one OT batch plus ⌈log2 q⌉ exchanges for q digits.
import type { Party } from "./party.js";
import { packedLength } from "./bits.js";
import { andWithTriples, TRIPLE_BITS, TRIPLE_N, TriplePool, tripleChoose, tripleFinish, tripleOts, tripleSend } from "./and.js";
import type { BitTriples } from "./and.js";

const DIGIT = 4;
/** Upper bound on OTs per batch: larger batches are cut into chunks (memory, not correctness). */
const MAX_OTS = 1 << 21;

export interface MillionaireOptions {
  /** Also return shares of [x = y]. */
  equal?: boolean;
}

export interface MillionaireResult {
  /** XOR shares of [x_server > x_client], bit-packed. */
  gt: Uint8Array;
  /** XOR shares of [x_server = x_client], when asked for. */
  eq?: Uint8Array;
}

/** One comparison in a joint batch. With `split`, the low `split` bits form their own subtree, whose result is `low`. */
export interface ComparisonSpec {
  input: BigUint64Array;
  bits: number;
  equal?: boolean;
  split?: number;
}

export interface ComparisonResult extends MillionaireResult {
  /** XOR shares of [x mod 2^split > y mod 2^split], when `split` was given. */
  low?: Uint8Array;
}

interface Op {
  out: number;
  hi: number;
  lo: number;
  needEq: boolean;
}

/** The shape of one comparison: its digits (position and width, least significant first) and its tree. */
interface Plan {
  digits: { pos: number; width: number }[];
  levels: Op[][];
  root: number;
  lowRoot: number;
  ands: number;
}

function planComparison(bits: number, split: number, equal: boolean): Plan {
  const digits: { pos: number; width: number }[] = [];
  const segments: number[][] = [];
  for (const [from, to] of split > 0 ? [[0, split], [split, bits]] : [[0, bits]]) {
    const seg: number[] = [];
    for (let pos = from; pos < to; pos += DIGIT) {
      seg.push(digits.length);
      digits.push({ pos, width: Math.min(DIGIT, to - pos) });
    }
    segments.push(seg);
  }
  // A node on the least significant spine needs no eq: no parent ever reads it as a `hi` half.
  const spine = new Set<number>(equal ? [] : [0]);
  let next = digits.length;
  const levels: Op[][] = [];
  let ands = 0;
  const reduce = (list: number[], level: Op[]): number[] => {
    const out: number[] = [];
    for (let i = 0; i + 1 < list.length; i += 2) {
      const id = next++;
      if (spine.has(list[i])) spine.add(id);
      const needEq = !spine.has(id);
      level.push({ out: id, hi: list[i + 1], lo: list[i], needEq });
      ands += needEq ? 2 : 1;
      out.push(id);
    }
    if (list.length & 1) out.push(list[list.length - 1]);
    return out;
  };
  let segs = segments;
  while (segs.some((s) => s.length > 1)) {
    const level: Op[] = [];
    segs = segs.map((s) => reduce(s, level));
    levels.push(level);
  }
  const lowRoot = segs[0][0];
  let roots = segs.map((s) => s[0]);
  while (roots.length > 1) {
    const level: Op[] = [];
    roots = reduce(roots, level);
    levels.push(level);
  }
  return { digits, levels, root: roots[0], lowRoot, ands };
}

function checkInput(input: BigUint64Array, bits: number, n: number, field: string): void {
  if (!(input instanceof BigUint64Array)) throw new TypeError(`${field}: input must be a BigUint64Array`);
  if (!Number.isInteger(bits) || bits < 1 || bits > 64) throw new RangeError(`${field}: bits must be an integer in [1, 64], got ${bits}`);
  if (input.length !== n) throw new RangeError(`${field}: input has ${input.length} values, expected ${n}`);
  if (bits === 64) return;
  const limit = 1n << BigInt(bits);
  for (let i = 0; i < n; i++) {
    if (input[i] >= limit) throw new RangeError(`${field}: input[${i}] = ${input[i]} does not fit in ${bits} bits`);
  }
}

/** Reads `width` (≤ 4) bits at `pos` of the value whose 32-bit words are lo, hi. */
function digitOf(lo: number, hi: number, pos: number, width: number): number {
  const mask = (1 << width) - 1;
  if (pos >= 32) return (hi >>> (pos - 32)) & mask;
  if (pos + width <= 32) return (lo >>> pos) & mask;
  return ((lo >>> pos) | (hi << (32 - pos))) & mask;
}

function words(a: BigUint64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}

interface NodeShares {
  gt: Uint8Array;
  eq: Uint8Array | undefined;
}

/**
 * Runs several comparisons over the same `n` elements together: one OT batch for all digits and triples, and
 * their tree levels side by side, one exchange per level. Each spec's inputs are this party's private values.
 */
export async function compareBatch(p: Party, n: number, specs: ComparisonSpec[]): Promise<ComparisonResult[]> {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`compareBatch: n must be a non-negative integer, got ${n}`);
  const plans = specs.map((s, i) => {
    const field = `compareBatch: specs[${i}]`;
    checkInput(s.input, s.bits, n, field);
    const split = s.split ?? 0;
    if (!Number.isInteger(split) || split < 0 || split >= s.bits) throw new RangeError(`${field}: split must be an integer in [0, bits), got ${split}`);
    return planComparison(s.bits, split, s.equal ?? false);
  });
  const otsPerElement = plans.reduce((t, pl) => t + pl.digits.length + pl.ands / 2, 0);
  const chunk = Math.max(8, Math.floor(MAX_OTS / Math.max(1, otsPerElement)) & ~7);
  if (n <= chunk) return compareChunk(p, n, specs, plans, 0);
  const parts: ComparisonResult[][] = [];
  for (let from = 0; from < n; from += chunk) parts.push(await compareChunk(p, Math.min(chunk, n - from), specs, plans, from));
  return specs.map((s, i) => {
    const join = (pick: (r: ComparisonResult) => Uint8Array): Uint8Array => joinBits(parts.map((rs) => pick(rs[i])), chunk, n);
    const r: ComparisonResult = { gt: join((r) => r.gt) };
    if (s.equal) r.eq = join((r) => r.eq!);
    if (s.split) r.low = join((r) => r.low!);
    return r;
  });
}

/** Concatenates packed vectors of `chunk` bits each (a multiple of 8) into one of `n` bits. */
function joinBits(parts: Uint8Array[], chunk: number, n: number): Uint8Array {
  const out = new Uint8Array(packedLength(n));
  parts.forEach((v, k) => out.set(v, (k * chunk) >>> 3));
  return out;
}

async function compareChunk(p: Party, n: number, specs: ComparisonSpec[], plans: Plan[], from: number): Promise<ComparisonResult[]> {
  const bytes = packedLength(n);
  const npad = bytes * 8;
  const leafCount = plans.reduce((t, pl) => t + pl.digits.length, 0);
  const andBits = plans.reduce((t, pl) => t + pl.ands, 0) * npad;
  const leafOts = leafCount * npad;
  const ots = leafOts + tripleOts(andBits);
  const nodes: NodeShares[][] = plans.map(() => []);
  let triples: BitTriples;
  if (p.isServer) {
    const msgs = new BigUint64Array(ots * TRIPLE_N);
    const m32 = new Uint32Array(msgs.buffer);
    let ot = 0;
    specs.forEach((s, k) => {
      const w = words(s.input);
      for (const d of plans[k].digits) {
        const gt = p.prg.bytes(bytes);
        const eq = p.prg.bytes(bytes);
        for (let e = 0; e < npad; e++, ot++) {
          const v = e < n ? digitOf(w[2 * (from + e)], w[2 * (from + e) + 1], d.pos, d.width) : 0;
          const rg = (gt[e >>> 3] >>> (e & 7)) & 1;
          const re = (eq[e >>> 3] >>> (e & 7)) & 1;
          let o = 2 * ot * TRIPLE_N;
          for (let j = 0; j < TRIPLE_N; j++, o += 2) m32[o] = (rg ^ (v > j ? 1 : 0)) | ((re ^ (v === j ? 1 : 0)) << 1);
        }
        nodes[k].push({ gt, eq });
      }
    });
    triples = tripleSend(p, andBits, m32, leafOts);
    if (ots > 0) await p.ot.otNSend(msgs, TRIPLE_N, TRIPLE_BITS);
  } else {
    const choices = new Uint8Array(ots);
    let ot = 0;
    specs.forEach((s, k) => {
      const w = words(s.input);
      for (const d of plans[k].digits) {
        for (let e = 0; e < npad; e++, ot++) choices[ot] = e < n ? digitOf(w[2 * (from + e)], w[2 * (from + e) + 1], d.pos, d.width) : 0;
      }
    });
    const ab = tripleChoose(p, andBits, choices, leafOts);
    const recv = ots > 0 ? await p.ot.otNRecv(choices, TRIPLE_N, TRIPLE_BITS) : new BigUint64Array(0);
    const r32 = words(recv);
    ot = 0;
    plans.forEach((pl, k) => {
      for (let d = 0; d < pl.digits.length; d++) {
        const gt = new Uint8Array(bytes);
        const eq = new Uint8Array(bytes);
        for (let e = 0; e < npad; e++, ot++) {
          const msg = r32[2 * ot];
          gt[e >>> 3] |= (msg & 1) << (e & 7);
          eq[e >>> 3] |= ((msg >>> 1) & 1) << (e & 7);
        }
        nodes[k].push({ gt, eq });
      }
    });
    triples = tripleFinish(ab, andBits, r32, leafOts);
  }
  const pool = new TriplePool(triples);
  const depth = Math.max(0, ...plans.map((pl) => pl.levels.length));
  for (let L = 0; L < depth; L++) {
    const ops: { k: number; op: Op }[] = [];
    plans.forEach((pl, k) => {
      for (const op of pl.levels[L] ?? []) ops.push({ k, op });
    });
    const width = ops.reduce((t, { op }) => t + (op.needEq ? 2 : 1), 0) * bytes;
    const x = new Uint8Array(width);
    const y = new Uint8Array(width);
    let at = 0;
    for (const { k, op } of ops) {
      const hi = nodes[k][op.hi], lo = nodes[k][op.lo];
      x.set(hi.eq!, at);
      y.set(lo.gt, at);
      at += bytes;
      if (op.needEq) {
        x.set(hi.eq!, at);
        y.set(lo.eq!, at);
        at += bytes;
      }
    }
    const z = await andWithTriples(p, pool.take(width), x, y);
    at = 0;
    for (const { k, op } of ops) {
      const hiGt = nodes[k][op.hi].gt;
      const gt = new Uint8Array(bytes);
      for (let i = 0; i < bytes; i++) gt[i] = hiGt[i] ^ z[at + i];
      at += bytes;
      let eq: Uint8Array | undefined;
      if (op.needEq) {
        eq = z.slice(at, at + bytes);
        at += bytes;
      }
      nodes[k][op.out] = { gt, eq };
    }
  }
  const finish = (v: Uint8Array): Uint8Array => {
    const out = v.slice(0, bytes);
    if (n & 7) out[bytes - 1] &= (1 << (n & 7)) - 1;
    return out;
  };
  return plans.map((pl, k) => {
    const root = nodes[k][pl.root];
    const r: ComparisonResult = { gt: finish(root.gt) };
    if (specs[k].equal) r.eq = finish(root.eq!);
    if (specs[k].split) r.low = finish(nodes[k][pl.lowRoot].gt);
    return r;
  });
}

/**
 * XOR shares of [x_server > x_client] (and of equality with `equal`). Each party passes its own private
 * `bits`-bit values; both pass the same count.
 */
export async function millionaire(p: Party, input: BigUint64Array, bits: number, opts: MillionaireOptions = {}): Promise<MillionaireResult> {
  if (!(input instanceof BigUint64Array)) throw new TypeError("millionaire: input must be a BigUint64Array");
  return p.scope("millionaire", async () => {
    const [r] = await compareBatch(p, input.length, [{ input, bits, equal: opts.equal ?? false }]);
    return opts.equal ? { gt: r.gt, eq: r.eq } : { gt: r.gt };
  });
}

/** XOR shares of [x_server > x_client] for private inputs. */
export async function greaterThan(p: Party, input: BigUint64Array, bits: number): Promise<Uint8Array> {
  return (await millionaire(p, input, bits)).gt;
}

/** XOR shares of [x_server = x_client] for private inputs. */
export async function equal(p: Party, input: BigUint64Array, bits: number): Promise<Uint8Array> {
  return (await millionaire(p, input, bits, { equal: true })).eq!;
}
