// The server's work for a range of packed answers of one product, the same in this thread and in a worker: for each
// group of `pack` column blocks, the weight blocks' pruned NTTs, the MACs of every row block, interleave packing,
// and finished answers (re-randomised, masked, flooded, top bits).
import { Prg } from "../../core/prg.js";
import type { ProductLayout } from "./blocks.js";
import type { Ct, GaloisKey, PublicKey, RlweContext } from "./scheme.js";

export interface ServerKeys {
  pk: PublicKey;
  keys: Map<number, GaloisKey>;
}

/** Packed answers [g0, g1) of one product, every row block. */
export interface GroupTask {
  layout: ProductLayout;
  g0: number;
  g1: number;
  /** The weight blocks of those groups' column blocks as integer coefficients (`weightCoefficients`). */
  coeffs: Float64Array;
  /** The uploads, rb·cb of them, each c0 then c1 (L residue vectors each), NTT form. */
  uploads: Uint32Array;
  /** Seeds the server's randomness for these answers (masks, re-randomisation, flooding). */
  seed: Uint8Array;
}

/** One packed answer: c0's and c1's top bits and the mask it carries (N u64 each). */
export interface GroupAnswer {
  c0: BigUint64Array;
  c1: BigUint64Array;
  mask: BigUint64Array;
}

/**
 * The weight blocks of column blocks [o0, o0 + count) as integer coefficients, wDeg per (column block, inner block):
 * W_b = Σ W[j,l]·X^(l·nw + j) (W row-major k×m).
 */
export function weightCoefficients(l: ProductLayout, w: Float64Array, o0: number, count: number): Float64Array {
  const out = new Float64Array(count * l.cb * l.wDeg);
  for (let s = 0; s < count; s++) {
    for (let c = 0; c < l.cb; c++) {
      const base = (s * l.cb + c) * l.wDeg;
      for (let x = 0; x < l.kw; x++) {
        const col = (o0 + s) * l.kw + x;
        if (col >= l.m) break;
        for (let j = 0; j < l.nw; j++) {
          const row = c * l.nw + j;
          if (row >= l.k) break;
          out[base + x * l.nw + j] = w[row * l.m + col];
        }
      }
    }
  }
  return out;
}

/** Column blocks in group g. */
export function groupSize(l: ProductLayout, g: number): number {
  return Math.min(l.pack, l.ob - g * l.pack);
}

/** Answers of the task in order (group, then row block). */
export async function evaluateGroups(ctx: RlweContext, server: ServerKeys, task: GroupTask): Promise<GroupAnswer[]> {
  const prg = await Prg.fromSeed(task.seed);
  const rns = ctx.rns;
  const l = task.layout;
  const { n } = ctx;
  const L = l.L;
  const vecs = 2 * L * l.rb * l.cb;
  if (task.uploads.length !== vecs * n) throw new RangeError(`GroupTask.uploads: expected ${vecs * n} residues, got ${task.uploads.length}`);
  const upAll = ctx.alloc(vecs);
  rns.view(upAll, vecs).set(task.uploads);
  const up = (u: number, part: 0 | 1, j: number) => ctx.vec(upAll, (2 * u + part) * L + j);
  const wAll = ctx.alloc(l.cb);
  const wPtrs = Array.from({ length: l.cb }, (_, c) => ctx.vec(wAll, c));
  const coeffs = rns.w.alloc(8 * task.coeffs.length);
  new Float64Array(rns.w.memory.buffer, coeffs, task.coeffs.length).set(task.coeffs);
  const mask = rns.w.alloc(8 * n);
  const hiMask = 2 ** (ctx.ell - 32) - 1;
  const out: GroupAnswer[] = [];
  let at = 0;
  try {
    for (let g = task.g0; g < task.g1; g++) {
      const obs = groupSize(l, g);
      const size = 2 ** Math.ceil(Math.log2(obs));
      const cts: (Ct | null)[][] = Array.from({ length: l.rb }, () => new Array<Ct | null>(size).fill(null));
      for (let r = 0; r < l.rb; r++) for (let s = 0; s < obs; s++) cts[r][s] = { c0: ctx.alloc(L), c1: ctx.alloc(L), L };
      // prime by prime, so that the uploads' vectors of one prime (rb·cb·2 of them) stay in cache across columns
      for (let j = 0; j < L; j++) {
        const q = ctx.primes[j];
        for (let s = 0; s < obs; s++) {
          for (let c = 0; c < l.cb; c++) {
            const from = (at + s) * l.cb * l.wDeg + c * l.wDeg;
            rns.k.residuesOf(wPtrs[c], coeffs + 8 * from, l.wDeg, q);
            rns.nttPruned(wPtrs[c], j, l.wDeg);
          }
          for (let r = 0; r < l.rb; r++) {
            const ct = cts[r][s]!;
            const u0 = Array.from({ length: l.cb }, (_, c) => up(r * l.cb + c, 0, j));
            const u1 = Array.from({ length: l.cb }, (_, c) => up(r * l.cb + c, 1, j));
            rns.macShared(ctx.vec(ct.c0, j), ctx.vec(ct.c1, j), wPtrs, u0, u1, j);
          }
        }
      }
      at += obs;
      for (let r = 0; r < l.rb; r++) {
        const packed = ctx.pack(cts[r], size, server.keys);
        const halves = new Uint32Array(rns.w.memory.buffer, mask, 2 * n);
        prg.fill(new Uint8Array(halves.buffer, mask, 8 * n));
        for (let i = 1; i < 2 * n; i += 2) halves[i] &= hiMask;
        const maskCopy = new BigUint64Array(rns.w.memory.buffer, mask, n).slice();
        const fin = ctx.finishAnswer(packed, server.pk, mask, l.floodBits, prg);
        out.push({ c0: new BigUint64Array(rns.w.memory.buffer, fin.c0, n).slice(), c1: new BigUint64Array(rns.w.memory.buffer, fin.c1, n).slice(), mask: maskCopy });
        rns.w.free(fin.c0);
        rns.w.free(fin.c1);
      }
    }
  } finally {
    ctx.free(upAll, wAll);
    rns.w.free(mask);
    rns.w.free(coeffs);
  }
  return out;
}
