// Coefficient encoding of a matrix product (Cheetah / BumbleBee): A (n×k) · W (k×m) is cut into blocks of
// mw rows × nw inner × kw columns with mw·nw·kw ≤ N. The client's block A_b is Σ A[i,j]·X^(i·nw·kw − j), the weight
// block W_b is Σ W[j,l]·X^(l·nw + j), and coefficient i·nw·kw + l·nw of A_b·W_b is Σ_j A[i,j]·W[j,l]: one polynomial
// product per block, no rotations. Answers' useful coefficients sit at multiples of nw, so up to nw of them
// interleave into one ciphertext (scheme.ts `pack`). This module holds the layout, its noise bound and its cost.
import { SEED_BYTES } from "../../core/prg.js";
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

/** Bytes of a wire section of `count` values of `bits` bits (padded to whole u32 words). */
export function sectionBytes(count: number, bits: number): number {
  return Math.ceil((count * bits) / 32) * 4;
}

/** Sizes of one upload and one answer in bytes (both parties compute them from the layout). */
export function uploadBytes(p: SimdParams, L: number): number {
  return L * sectionBytes(p.polyDegree, 30);
}

/** An answer: all of c1's top bits, and c0's only at the result positions it carries. */
export function answerBytes(p: SimdParams, results: number): number {
  const { b0, b1 } = answerBits(p);
  return sectionBytes(p.polyDegree, b1) + sectionBytes(results, b0);
}

/** The uploads of a batch of products: their count, and the message body (the seed of every c1, then every c0). */
export function uploadsSize(p: SimdParams, lays: readonly ProductLayout[]): { count: number; bytes: number } {
  let count = 0;
  let bytes = SEED_BYTES;
  for (const l of lays) {
    count += l.rb * l.cb;
    bytes += l.rb * l.cb * uploadBytes(p, l.L);
  }
  return { count, bytes };
}

/** The packed answers of a batch of products: their count and the message body. */
export function answersSize(p: SimdParams, lays: readonly ProductLayout[]): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const l of lays) {
    for (let r = 0; r < l.rb; r++) {
      for (let g = 0; g < l.groups; g++) {
        count++;
        bytes += answerBytes(p, resultCount(l, g, blockRows(l, r)));
      }
    }
  }
  return { count, bytes };
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

/**
 * The result positions of packed ciphertext `group` for a row block of `rows` rows, in wire order: the coefficient
 * `pos[k]` holds result row i, column col with `entry[k]` = i·m + col.
 */
export function resultPositions(l: ProductLayout, group: number, rows: number): { pos: Int32Array; entry: Int32Array } {
  const pos: number[] = [];
  const entry: number[] = [];
  forEachResult(l, group, (i, col, p) => {
    if (i >= rows) return;
    pos.push(p);
    entry.push(i * l.m + col);
  });
  return { pos: Int32Array.from(pos), entry: Int32Array.from(entry) };
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

/** µs charged per byte sent: 160 Mbit/s, which keeps a BERT-base layer near 110 MB (the seal backend: 154 MB). */
const BYTE_COST_US = 0.05;

/**
 * Estimated cost of a layout in µs on one core (bench/kernels.ts measured the constants on the reference machine)
 * plus its bytes at BYTE_COST_US: the weight blocks' pruned NTTs, the MACs (slower once one prime's uploads no longer
 * fit in cache), packing key switches, finishing answers, and the client's encryption and decoding.
 */
export function layoutCost(p: SimdParams, l: ProductLayout): number {
  const N = p.polyDegree;
  const logN = Math.log2(N);
  const scale = N / 8192;
  const ntt = 40 * scale * (logN / 13);
  const pruned = (deg: number) => scale * (3 + (40 * Math.log2(deg)) / 13);
  const { L } = l;
  const weights = l.cb * l.ob * L * (pruned(l.wDeg) + 0.005 * l.wDeg);
  const inCache = l.rb * l.cb * 2 * 4 * N <= 2 ** 21;
  const macs = l.rb * l.cb * l.ob * L * 15 * scale * (inCache ? 1 : 1.5);
  const packed = l.rb * l.groups;
  const switches = l.rb * (l.ob - l.groups) * ((L + L * (L + 1) + 2 * (L + 1)) * ntt + 2 * (L + 1) * 15 * scale);
  const finish = packed * (2 * L * ntt + L * 550 * scale + 300);
  const uploads = l.rb * l.cb;
  const client = uploads * L * (2 * ntt + 40 * scale) + packed * (6 * ntt + 300 * scale);
  const bytes = uploads * uploadBytes(p, L) + packed * answerBytes(p, 0) + l.n * l.m * (answerBits(p).b0 / 8);
  return weights + macs + switches + finish + client + bytes * BYTE_COST_US;
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
