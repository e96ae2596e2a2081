// Column packing of an n×K matrix into BFV slots and the diagonal schedule for X·W.
//
// SEAL's N slots form 2 rows of N/2; `rotateRows` turns both rows at once. Each row is cut into g = N/(2B) blocks of
// B = nextPow2(n) slots, and block p of row ρ of ciphertext b holds column b·2g + ρ·g + p (its n entries, then
// zeros). Output ciphertext c holds output columns c·2g + ρ·g + p the same way, so the product needs no repacking.
// Input columns of one slot row also feed outputs in the other row. The server never rotates a fresh ciphertext: a
// key switch there costs about 30 bits of noise budget (121 → 92 measured with the 38-bit special prime), which
// would leave no room for 40-bit noise flooding. So either the client sends each input twice, as packed and with its
// two rows swapped (copies = 2), or, for products with many inputs per output, the server keeps the cross-row terms
// in a second partial sum per output and swaps its rows once at the end (copies = 1: half the upload, one more key
// switch per diagonal and output, on products where it costs no budget that matters). Diagonal r (r = 0..g−1)
// multiplies by plaintexts pre-turned by r blocks; the g partial sums are combined by Horner's rule with one rotation
// by B slots each, so one Galois key serves every shape with the same n.

export interface Layout {
  /** Slots per ciphertext (N). */
  slots: number;
  /** Rows of X (tokens), inner dimension K, output columns M. */
  n: number;
  k: number;
  m: number;
  /** Block length (a power of two ≥ n) and blocks per slot row. */
  block: number;
  g: number;
  /** Input and output ciphertexts. */
  inCts: number;
  outCts: number;
  /** Uploads per input ciphertext: 2 (as packed and row-swapped) or 1 (the server swaps rows of the outputs). */
  copies: 1 | 2;
}

/**
 * From this many input ciphertexts on, the server swaps output rows instead of receiving row-swapped copies. Per
 * diagonal and output that costs one key switch and one inverse NTT (about 5 ciphertext × plaintext products,
 * measured) against 2·inCts products: at 24 inputs under a tenth more time, for half the upload. Below it, the copy
 * is cheaper in time than the extra key switches.
 */
export const SERVER_SWAP_MIN_INPUTS = 24;

function nextPow2(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

/** The packing of an n×K by K×M product. */
export function layoutFor(slots: number, n: number, k: number, m: number): Layout {
  for (const [name, v] of [["n", n], ["K", k], ["M", m]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`layout: ${name} must be a positive integer, got ${v}`);
  }
  if (n > slots / 2) throw new RangeError(`layout: n = ${n} rows exceed the ${slots / 2} slots of a ciphertext row`);
  const block = nextPow2(n);
  const g = slots / 2 / block;
  const inCts = Math.ceil(k / (2 * g));
  return { slots, n, k, m, block, g, inCts, outCts: Math.ceil(m / (2 * g)), copies: inCts >= SERVER_SWAP_MIN_INPUTS ? 1 : 2 };
}

/**
 * Rotations the schedule uses, as SEAL's steps: one block (unless a row holds a single block), and 0, SEAL's step
 * for swapping the two rows, when the server swaps output rows.
 */
export function rotationSteps(l: Layout): number[] {
  return [...(l.g > 1 ? [l.block] : []), ...(l.copies === 1 ? [0] : [])];
}

/** The ciphertext holding column `col` of a packed matrix and the slot of its row 0 (row i is at base + i). */
export function columnSlot(l: Layout, col: number): { ct: number; base: number } {
  const ct = Math.floor(col / (2 * l.g));
  const within = col - ct * 2 * l.g;
  const rho = within >= l.g ? 1 : 0;
  return { ct, base: rho * (l.slots / 2) + (within - rho * l.g) * l.block };
}

/**
 * Packs the n×cols row-major matrix `a` (signed values) into ceil(cols/2g) slot vectors, as `toSlot` maps each value
 * (e.g. to its residue mod t).
 */
export function packColumns<T extends BigInt64Array | BigUint64Array>(
  l: Layout,
  a: BigInt64Array,
  cols: number,
  make: (len: number) => T,
  toSlot: (v: bigint) => bigint,
): T[] {
  const count = Math.ceil(cols / (2 * l.g));
  const out = Array.from({ length: count }, () => make(l.slots));
  for (let col = 0; col < cols; col++) {
    const { ct, base } = columnSlot(l, col);
    const v = out[ct];
    for (let i = 0; i < l.n; i++) v[base + i] = toSlot(a[i * cols + col]);
  }
  return out;
}

/** The slot vector with its two rows exchanged (what SEAL's rotateColumns does to a ciphertext). */
export function swapRows<T extends BigInt64Array | BigUint64Array>(v: T): T {
  const half = v.length / 2;
  const out = v.slice() as T;
  out.set(v.subarray(half) as T, 0);
  out.set(v.subarray(0, half) as T, half);
  return out;
}

/**
 * The plaintext slots of diagonal r for input ciphertext b and output ciphertext c, pre-turned by r blocks; s = 1
 * selects the cross-row terms (the row-swapped copy of b, or with copies = 1 the partial sum whose rows the server
 * swaps). At slot row ρ, block q it holds W[k][j] for the input column k in that block and the output column j that
 * block q reaches after r more turns (and the swap). Returns false (leaving `out` zero) when every entry is zero.
 */
export function diagonal(l: Layout, w: BigInt64Array, c: number, b: number, s: number, r: number, out: BigInt64Array): boolean {
  const { g, block, k: kk, m: mm, n } = l;
  const half = l.slots / 2;
  out.fill(0n);
  let any = false;
  for (let rho = 0; rho < 2; rho++) {
    const [inRow, outRow] = l.copies === 2 ? [rho ^ s, rho] : [rho, rho ^ s];
    for (let q = 0; q < g; q++) {
      const k = b * 2 * g + inRow * g + q;
      const j = c * 2 * g + outRow * g + ((((q - r) % g) + g) % g);
      if (k >= kk || j >= mm) continue;
      const v = w[k * mm + j];
      if (v === 0n) continue;
      any = true;
      const at = rho * half + q * block;
      out.fill(v, at, at + n);
    }
  }
  return any;
}
