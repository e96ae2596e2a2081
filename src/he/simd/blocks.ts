// Coefficient encoding of a matrix product (Cheetah / BumbleBee): A (n×k) · W (k×m) is cut into blocks of
// mw rows × nw inner × kw columns with mw·nw·kw ≤ N. The client's block A_b is Σ A[i,j]·X^(i·nw·kw − j), the weight
// block W_b is Σ W[j,l]·X^(l·nw + j), and coefficient i·nw·kw + l·nw of A_b·W_b is Σ_j A[i,j]·W[j,l]: one polynomial
// product per block, no rotations. Answers' useful coefficients sit at multiples of nw, so up to nw of them
// interleave into one ciphertext (scheme.ts `pack`). This module holds the layout, its noise bound and its cost.
import { CBD_ETA, answerBits, type SimdParams } from "./params.js";

export interface Block {
  mw: number;
  nw: number;
  kw: number;
}

export interface ProductLayout extends Block {
  n: number;
  k: number;
  m: number;
  wBits: number;
  /** Row blocks, inner blocks, column blocks. */
  rb: number;
  cb: number;
  ob: number;
  /** Answers interleaved per ciphertext (≤ nw, ≤ maxPack), and packed ciphertexts per row block. */
  pack: number;
  groups: number;
  /** Data primes the product runs on, and the flooding noise's bits. */
  L: number;
  floodBits: number;
  /** Degree bound of a weight block (a power of two: the pruned NTT's input size). */
  wDeg: number;
}

const pow2ceil = (x: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, x)));

/** Sizes of one upload and one answer in bytes (both parties compute them from the layout). */
export function uploadBytes(p: SimdParams, L: number): number {
  return Math.ceil((L * p.polyDegree * 30) / 8);
}

/** An answer: all of c1's top bits, and c0's only at the result positions it carries. */
export function answerBytes(p: SimdParams, results: number): number {
  const { b0, b1 } = answerBits(p);
  return Math.ceil((p.polyDegree * b1 + results * b0) / 8);
}

/** Result positions in packed ciphertext `g` of a row block, as [row in block, column, coefficient] triples. */
export function forEachResult(l: ProductLayout, group: number, fn: (i: number, col: number, pos: number) => void): void {
  for (let j = 0; j < l.pack; j++) {
    const o = group * l.pack + j;
    if (o >= l.ob) break;
    for (let i = 0; i < l.mw; i++) {
      for (let c = 0; c < l.kw; c++) {
        const col = o * l.kw + c;
        if (col < l.m) fn(i, col, i * l.nw * l.kw + c * l.nw + j);
      }
    }
  }
}

/** How many results packed ciphertext `group` carries for a row block of `rows` rows. */
export function resultCount(l: ProductLayout, group: number, rows: number): number {
  const obs = Math.min(l.pack, l.ob - group * l.pack);
  let cols = 0;
  for (let j = 0; j < obs; j++) cols += Math.min(l.kw, l.m - (group * l.pack + j) * l.kw);
  return rows * cols;
}

/** Rows of row block r. */
export function blockRows(l: ProductLayout, r: number): number {
  return Math.min(l.mw, l.n - r * l.mw);
}

/**
 * Worst-case bound on the decrypted noise of an answer before flooding: the uploads' errors times the weights
 * (and the encoding's rounding), the packing's key switches, the re-randomisation.
 */
export function noiseBound(p: SimdParams, b: Block, cb: number, wBits: number, L: number, pack: number): number {
  const n = p.polyDegree;
  const wMax = 2 ** (wBits - 1);
  const terms = b.nw * b.kw * cb;
  const product = (CBD_ETA + 0.5) * terms * wMax + 0.5;
  const keySwitch = L * n * CBD_ETA * 1.01 + n + 1;
  const rerandomise = 2 * CBD_ETA * n + CBD_ETA;
  return product + pack * keySwitch + rerandomise;
}

/** log2 Q_L from the primes (for the decryption condition). */
function logQ(primes: readonly number[], L: number): number {
  return primes.slice(0, L).reduce((s, q) => s + Math.log2(q), 0);
}

/**
 * The fewest data primes (≥ 3: decoding uses three) whose answers decrypt exactly after flooding 2^floodBits:
 * flooding and noise scaled to 2^b1, c0's truncation, and the top-bits conversion's error times ‖s‖₁ ≤ N must
 * stay below half a plaintext step, 2^(b1 − ell − 1). Returns undefined when no level suffices.
 */
export function chooseLevel(p: SimdParams, primes: readonly number[], noise: number): { L: number; floodBits: number } | undefined {
  const { b0, b1 } = answerBits(p);
  const floodBits = Math.ceil(Math.log2(noise)) + p.sigma;
  for (let L = 3; L <= p.dataPrimes; L++) {
    const err = (2 ** floodBits + noise) * 2 ** (b1 - logQ(primes, L)) + (L / 4 + 0.5) * (2 ** (b1 - b0) + p.polyDegree + 1);
    if (err < 2 ** (b1 - p.plainBits - 1)) return { L, floodBits };
  }
  return undefined;
}

export function makeLayout(p: SimdParams, primes: readonly number[], n: number, k: number, m: number, wBits: number, b: Block): ProductLayout | undefined {
  const rb = Math.ceil(n / b.mw);
  const cb = Math.ceil(k / b.nw);
  const ob = Math.ceil(m / b.kw);
  const pack = Math.min(b.nw, p.maxPack, pow2ceil(ob));
  const level = chooseLevel(p, primes, noiseBound(p, b, cb, wBits, p.dataPrimes, pack));
  if (!level) return undefined;
  return { ...b, n, k, m, wBits, rb, cb, ob, pack, groups: Math.ceil(ob / pack), ...level, wDeg: pow2ceil(b.nw * b.kw) };
}

/**
 * Estimated cost (µs on one core of the reference machine, bytes at 1 Gbit/s) of a layout: weight NTTs, MACs,
 * reductions, packing key switches, answer finishing, and the client's encryption and decoding.
 * Constants measured with bench/linear.ts; only ratios between layouts matter.
 */
export function layoutCost(p: SimdParams, l: ProductLayout): number {
  const N = p.polyDegree;
  const ntt = (25 * N) / 8192;
  const vec = (16 * N) / 8192; // one elementwise pass with a 64-bit reduction
  const { L } = l;
  const weightNtts = l.cb * l.ob * L * (ntt * (Math.log2(l.wDeg) / Math.log2(N)) + 2);
  const macs = l.rb * l.cb * l.ob * L * 4.4 * (N / 8192);
  const reduces = l.rb * l.ob * L * 2 * vec;
  const packed = l.rb * l.groups;
  const switches = l.rb * (l.ob - l.groups) * ((L + L * (L + 1) + 2 * (L + 1)) * ntt + 2 * L * (L + 1) * 2.2);
  const finish = packed * (2 * L * ntt + L * 40 * (N / 8192) * 10);
  const uploads = l.rb * l.cb;
  const client = uploads * L * (ntt + 2 * vec + 20) + packed * (6 * ntt + 60);
  const bytes = uploads * uploadBytes(p, L) + packed * answerBytes(p, 0) + l.n * l.m * (answerBits(p).b0 / 8);
  return weightNtts + macs + reduces + switches + finish + client + bytes * 0.008;
}

/** The cheapest block for an n×k · k×m product with wBits-bit weights (nw a power of two). */
export function chooseLayout(p: SimdParams, primes: readonly number[], n: number, k: number, m: number, wBits: number): ProductLayout {
  const N = p.polyDegree;
  let best: ProductLayout | undefined;
  let bestCost = Infinity;
  for (let nw = 1; nw <= Math.min(N, pow2ceil(k)); nw *= 2) {
    for (let kw = 1; nw * kw <= N && kw <= pow2ceil(m); kw *= 2) {
      const fit = Math.floor(N / (nw * kw));
      const rb = Math.ceil(n / Math.min(n, fit));
      const mw = Math.ceil(n / rb);
      const l = makeLayout(p, primes, n, k, m, wBits, { mw, nw, kw: Math.min(kw, m) });
      if (!l) continue;
      const cost = layoutCost(p, l);
      if (cost < bestCost) [best, bestCost] = [l, cost];
    }
  }
  if (!best) throw new RangeError(`no block layout holds a ${n}×${k}·${k}×${m} product with ${wBits}-bit weights at these HE parameters`);
  return best;
}
