// Column packing of an n×K matrix into BFV slots and the diagonal schedule for X·W.
//
// SEAL's N slots form 2 rows of N/2; `rotateRows` turns both rows at once. The tokens are split between the rows
// (the first h = ceil(n/2) in row 0, the rest in row 1), and each row is cut into g = N/(2B) blocks of B =
// nextPow2(h) slots: block p of ciphertext b holds column b·g + p, its first h entries in row 0 and the others in
// row 1. Since every token's row of X·W depends only on that token's row of X, the two slot rows never mix: no row
// swap, no cross-row terms. Output ciphertext c holds output columns c·g + p the same way, so the product needs no
// repacking.
// The server never rotates a fresh ciphertext: a key switch there costs about 30 bits of noise budget (121 → 92
// measured with the 38-bit special prime), which would leave no room for 40-bit noise flooding. Instead the client
// uploads each input turned by 0..copies−1 blocks (a permutation of its own slots before encryption: the baby
// steps), and the server combines the g/copies giant steps by Horner's rule with one rotation by copies·B slots
// each, on products (whose noise dwarfs a key switch's). copies = 2 halves the server's rotations for twice the
// upload; it pays only where rotations are a large share of the work, i.e. with few inputs per output.

export interface Layout {
  /** Slots per ciphertext (N). */
  slots: number;
  /** Rows of X (tokens), inner dimension K, output columns M. */
  n: number;
  k: number;
  m: number;
  /** Tokens in slot row 0 (the rest are in row 1). */
  half: number;
  /** Block length (a power of two ≥ half) and blocks (columns) per ciphertext. */
  block: number;
  g: number;
  /** Input and output ciphertexts. */
  inCts: number;
  outCts: number;
  /** Uploads per input ciphertext (turned by 0..copies−1 blocks); the server's giant step is copies blocks. */
  copies: 1 | 2;
  /**
   * Giant steps u = 0..steps−1 (at most g/copies) the server combines; the others hold only zeros. All g/copies
   * unless K and M are both short of g, as with few rows (blocks of a few slots): then the output ciphertext holds
   * column j at block j + outShift (mod g), with outShift = −(M − 1) mod g, so that input block q meets output column j
   * at offset q − j + M − 1 ∈ [0, K + M − 1) and only those offsets' steps are needed.
   */
  steps: number;
  outShift: number;
}

/**
 * Below this many input ciphertexts per output the client uploads two turns of each input (copies = 2). A rotation
 * costs about 4 diagonal products (layoutWork), so an output costs g·inCts + 4·(g/copies − 1) units: with 1–3
 * inputs (Q·Kᵀ and softmax·V per head) the rotations are most of the work and the copy cuts it by a third or more;
 * with the linear layers' 12–48 inputs it would save an eighth or less, for twice their upload.
 */
export const TWO_COPIES_BELOW_INPUTS = 4;

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
  if (n > slots) throw new RangeError(`layout: n = ${n} rows exceed the ${slots} slots of a ciphertext`);
  const half = Math.ceil(n / 2);
  const block = nextPow2(half);
  const g = slots / 2 / block;
  const inCts = Math.ceil(k / g);
  const copies = g > 1 && inCts < TWO_COPIES_BELOW_INPUTS ? 2 : 1;
  const all = g / copies;
  const offsets = Math.ceil((k + m - 1) / copies);
  const short = k < g && m < g && offsets < all;
  return { slots, n, k, m, half, block, g, inCts, outCts: Math.ceil(m / g), copies, steps: short ? offsets : all, outShift: short ? (g - (m - 1)) % g : 0 };
}

/** The rotation the schedule uses, as SEAL's step: one giant step of copies blocks (none if there is one step). */
export function rotationSteps(l: Layout): number[] {
  return l.steps > 1 ? [l.copies * l.block] : [];
}

/**
 * The server's work for one product in units of one diagonal product (encode, NTT, multiply, add: about 1.2 ms at
 * N = 8192 on an idle core); a rotation counts 4 (5.5 ms).
 */
export function layoutWork(l: Layout): number {
  return l.outCts * (l.steps * l.copies * l.inCts + 4 * (l.steps - 1));
}

/** Ciphertexts uploaded per plaintext prime: each input ciphertext in its copies turns. */
export function uploadCount(l: Layout): number {
  return l.copies * l.inCts;
}

/** The ciphertext of column col and the slot where its block starts, the blocks shifted by `shift`. */
function columnStart(l: Layout, col: number, shift: number): { ct: number; start: number } {
  const ct = Math.floor(col / l.g);
  return { ct, start: ((col - ct * l.g + shift) % l.g) * l.block };
}

/** Offset of row i from its column's block start: rows below `half` in slot row 0, the others in row 1. */
function rowOffset(l: Layout, i: number): number {
  return i < l.half ? i : l.slots / 2 + i - l.half;
}

/** Where entry (row i, column col) of a packed input sits: its ciphertext and slot. */
export function slotOf(l: Layout, i: number, col: number, shift = 0): { ct: number; slot: number } {
  const { ct, start } = columnStart(l, col, shift);
  return { ct, slot: start + rowOffset(l, i) };
}

/** Where entry (row i, column col) of the product sits: as slotOf, its blocks shifted by outShift. */
export function outputSlot(l: Layout, i: number, col: number): { ct: number; slot: number } {
  return slotOf(l, i, col, l.outShift);
}

/**
 * Calls fn(i, col, ct, slot) for every entry of an n×cols matrix packed as slotOf places it (the blocks shifted by
 * `shift`: 0 for inputs, outShift for the product), column by column.
 */
export function forEachSlot(l: Layout, cols: number, shift: number, fn: (i: number, col: number, ct: number, slot: number) => void): void {
  const offsets = Int32Array.from({ length: l.n }, (_, i) => rowOffset(l, i));
  for (let col = 0; col < cols; col++) {
    const { ct, start } = columnStart(l, col, shift);
    for (let i = 0; i < l.n; i++) fn(i, col, ct, start + offsets[i]);
  }
}

/**
 * Packs the n×cols row-major matrix `a` (signed values) into ceil(cols/g) slot vectors, as `toSlot` maps each value
 * (e.g. to its residue mod t).
 */
export function packColumns<T extends BigInt64Array | BigUint64Array>(
  l: Layout,
  a: BigInt64Array,
  cols: number,
  make: (len: number) => T,
  toSlot: (v: bigint) => bigint,
): T[] {
  const out = Array.from({ length: Math.ceil(cols / l.g) }, () => make(l.slots));
  forEachSlot(l, cols, 0, (i, col, ct, slot) => {
    out[ct][slot] = toSlot(a[i * cols + col]);
  });
  return out;
}

/** The slot vector with each row turned left by `blocks` blocks (what rotateRows by blocks·B does to a ciphertext). */
export function turnBlocks<T extends BigInt64Array | BigUint64Array>(l: Layout, v: T, blocks: number): T {
  const half = l.slots / 2;
  const shift = (blocks * l.block) % half;
  const out = v.slice() as T;
  for (let row = 0; row < 2; row++) {
    const at = row * half;
    out.set(v.subarray(at + shift, at + half) as T, at);
    out.set(v.subarray(at, at + shift) as T, at + half - shift);
  }
  return out;
}

/** The client's uploads of the packed input, in the order the server reads them: per ciphertext, its turns 0..copies−1. */
export function uploadVectors<T extends BigInt64Array | BigUint64Array>(l: Layout, packed: readonly T[]): T[] {
  return packed.flatMap((v) => Array.from({ length: l.copies }, (_, turn) => (turn === 0 ? v : turnBlocks(l, v, turn))));
}

/**
 * The plaintext slots that multiply turn `turn` of input ciphertext b in giant step u of output ciphertext c. Block q
 * of that upload holds input column k = b·g + (q + turn mod g); after u more giant steps it reaches output block
 * p = q − u·copies (mod g), which holds column c·g + p − outShift, so the plaintext holds that column of W's row k
 * there (in both rows, over their tokens). Returns false (leaving `out` zero) when every entry is zero.
 */
export function diagonal(l: Layout, w: BigInt64Array, c: number, b: number, turn: number, u: number, out: BigInt64Array): boolean {
  const { g, block, k: kk, m: mm, half: h, n } = l;
  const row1 = l.slots / 2;
  out.fill(0n);
  let any = false;
  for (let q = 0; q < g; q++) {
    const k = b * g + ((q + turn) % g);
    const j = c * g + ((((q - u * l.copies - l.outShift) % g) + g) % g);
    if (k >= kk || j >= mm) continue;
    const v = w[k * mm + j];
    if (v === 0n) continue;
    any = true;
    out.fill(v, q * block, q * block + h);
    out.fill(v, row1 + q * block, row1 + q * block + n - h);
  }
  return any;
}
