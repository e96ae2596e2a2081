// The server's work on one product, the same in this thread and in workers, in two phases of independent tasks:
// per group of `pack` column blocks and per prime, the weight blocks' pruned NTTs and the MACs of every row block;
// then per group and row block, interleave packing and the finished answer (re-randomised, masked, flooded, top
// bits). Two phases, so that threads share the work evenly whatever the numbers of groups, primes and row blocks.
import { Prg } from "../../core/prg.js";
import type { ProductLayout } from "./blocks.js";
import type { Ct, GaloisKey, PublicKey, RlweContext } from "./scheme.js";

export interface ServerKeys {
  pk: PublicKey;
  keys: Map<number, GaloisKey>;
}

/**
 * Phase 1 of group g for prime j: the weight blocks' pruned NTTs and the MACs of every row block, written to `out`
 * as vector j of each answer's c0 and c1, at ((r·obs + s)·2 + part)·L + j for column block s of the group.
 */
export interface MacTask {
  kind: "mac";
  layout: ProductLayout;
  g: number;
  j: number;
  /** The group's weight blocks as integer coefficients (`weightCoefficients`). */
  coeffs: Float64Array;
  /** The product's uploads, rb·cb of them, each c0 then c1 (L residue vectors each), NTT form. */
  uploads: Uint32Array;
  /** The group's answers before packing (shared memory when workers run). */
  out: Uint32Array;
}

/** Phase 2 for row block r of group g: interleave the group's answers into one ciphertext and finish it. */
export interface PackTask {
  kind: "pack";
  layout: ProductLayout;
  g: number;
  /** The row block's answers as phase 1 left them: obs × (c0, c1) × L vectors. */
  cts: Uint32Array;
  /** Seeds the server's randomness for this answer (mask, re-randomisation, flooding). */
  seed: Uint8Array;
}

export type SimdTask = MacTask | PackTask;

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

/** Runs phase 1 of a group for one prime (see MacTask). */
export function runMac(ctx: RlweContext, t: MacTask): void {
  const rns = ctx.rns;
  const l = t.layout;
  const { n } = ctx;
  const L = l.L;
  const obs = groupSize(l, t.g);
  const uploads = l.rb * l.cb;
  if (t.uploads.length !== 2 * L * uploads * n) throw new RangeError(`MacTask.uploads: expected ${2 * L * uploads * n} residues, got ${t.uploads.length}`);
  if (t.out.length !== 2 * L * l.rb * obs * n) throw new RangeError(`MacTask.out: expected ${2 * L * l.rb * obs * n} residues, got ${t.out.length}`);
  // this prime's vectors of every upload: c0 of upload u at 2u, c1 at 2u + 1
  const up = ctx.alloc(2 * uploads);
  const upView = rns.view(up, 2 * uploads);
  for (let v = 0; v < 2 * uploads; v++) upView.set(t.uploads.subarray((v * L + t.j) * n, (v * L + t.j + 1) * n), v * n);
  const wAll = ctx.alloc(l.cb);
  const wPtrs = Array.from({ length: l.cb }, (_, c) => ctx.vec(wAll, c));
  const res = ctx.alloc(2);
  const coeffs = rns.w.alloc(8 * t.coeffs.length);
  try {
    new Float64Array(rns.w.memory.buffer, coeffs, t.coeffs.length).set(t.coeffs);
    const q = ctx.primes[t.j];
    for (let s = 0; s < obs; s++) {
      for (let c = 0; c < l.cb; c++) {
        rns.k.residuesOf(wPtrs[c], coeffs + 8 * (s * l.cb + c) * l.wDeg, l.wDeg, q);
        rns.nttPruned(wPtrs[c], t.j, l.wDeg);
      }
      for (let r = 0; r < l.rb; r++) {
        const u0 = Array.from({ length: l.cb }, (_, c) => ctx.vec(up, 2 * (r * l.cb + c)));
        const u1 = Array.from({ length: l.cb }, (_, c) => ctx.vec(up, 2 * (r * l.cb + c) + 1));
        rns.macShared(ctx.vec(res, 0), ctx.vec(res, 1), wPtrs, u0, u1, t.j);
        const at = ((r * obs + s) * 2 * L + t.j) * n;
        t.out.set(rns.view(res), at);
        t.out.set(rns.view(ctx.vec(res, 1)), at + L * n);
      }
    }
  } finally {
    ctx.free(up, wAll, res);
    rns.w.free(coeffs);
  }
}

/** Runs phase 2 (see PackTask): the packed, re-randomised, masked and flooded answer. */
export async function runPack(ctx: RlweContext, server: ServerKeys, t: PackTask): Promise<GroupAnswer> {
  const prg = await Prg.fromSeed(t.seed);
  const rns = ctx.rns;
  const l = t.layout;
  const { n } = ctx;
  const L = l.L;
  const obs = groupSize(l, t.g);
  if (t.cts.length !== 2 * L * obs * n) throw new RangeError(`PackTask.cts: expected ${2 * L * obs * n} residues, got ${t.cts.length}`);
  const size = 2 ** Math.ceil(Math.log2(obs));
  const cts: (Ct | null)[] = new Array<Ct | null>(size).fill(null);
  for (let s = 0; s < obs; s++) {
    const ct = { c0: ctx.alloc(L), c1: ctx.alloc(L), L };
    rns.view(ct.c0, L).set(t.cts.subarray(2 * s * L * n, (2 * s + 1) * L * n));
    rns.view(ct.c1, L).set(t.cts.subarray((2 * s + 1) * L * n, (2 * s + 2) * L * n));
    cts[s] = ct;
  }
  const packed = ctx.pack(cts, size, server.keys);
  const mask = rns.w.alloc(8 * n);
  try {
    const halves = new Uint32Array(rns.w.memory.buffer, mask, 2 * n);
    prg.fill(new Uint8Array(halves.buffer, mask, 8 * n));
    const hiMask = 2 ** (ctx.ell - 32) - 1;
    for (let i = 1; i < 2 * n; i += 2) halves[i] &= hiMask;
    const maskCopy = new BigUint64Array(rns.w.memory.buffer, mask, n).slice();
    const fin = ctx.finishAnswer(packed, server.pk, mask, l.floodBits, prg);
    const answer = { c0: new BigUint64Array(rns.w.memory.buffer, fin.c0, n).slice(), c1: new BigUint64Array(rns.w.memory.buffer, fin.c1, n).slice(), mask: maskCopy };
    rns.w.free(fin.c0);
    rns.w.free(fin.c1);
    return answer;
  } finally {
    rns.w.free(mask);
  }
}

/**
 * The tasks of one product: phase 1 per (group, prime), phase 2 per (group, row block) in wire order (row block,
 * then group). `seed` gives each answer's randomness; with `shared`, the intermediate answers live in shared memory
 * (for workers; `uploads` should then be shared too).
 */
export function productTasks(l: ProductLayout, w: Float64Array, uploads: Uint32Array, n: number, seed: () => Uint8Array, shared: boolean): { macs: MacTask[]; packs: PackTask[] } {
  const macs: MacTask[] = [];
  const byGroup: Uint32Array[] = [];
  for (let g = 0; g < l.groups; g++) {
    const obs = groupSize(l, g);
    const words = 2 * l.L * l.rb * obs * n;
    const out = shared ? new Uint32Array(new SharedArrayBuffer(4 * words)) : new Uint32Array(words);
    byGroup.push(out);
    const coeffs = weightCoefficients(l, w, g * l.pack, obs);
    for (let j = 0; j < l.L; j++) macs.push({ kind: "mac", layout: l, g, j, coeffs, uploads, out });
  }
  const packs: PackTask[] = [];
  for (let r = 0; r < l.rb; r++) {
    for (let g = 0; g < l.groups; g++) {
      const per = 2 * l.L * groupSize(l, g) * n;
      packs.push({ kind: "pack", layout: l, g, cts: byGroup[g].subarray(r * per, (r + 1) * per), seed: seed() });
    }
  }
  return { macs, packs };
}

/** Runs a task in this thread. */
export function runTask(ctx: RlweContext, server: ServerKeys, t: SimdTask): Promise<GroupAnswer | null> {
  if (t.kind === "mac") {
    runMac(ctx, t);
    return Promise.resolve(null);
  }
  return runPack(ctx, server, t);
}
