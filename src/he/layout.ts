// Column packing of an n×K matrix into BFV slots and the baby-step/giant-step diagonal schedule for X·W.
//
// SEAL's N slots form 2 rows of N/2; `rotateRows` turns both rows at once and `rotateColumns` swaps them. Each row is
// cut into g = N/(2B) blocks of B = nextPow2(n) slots, and block p of row ρ of ciphertext b holds column
// b·2g + ρ·g + p of the matrix (its n entries, then zeros). Output ciphertext c holds output columns c·2g + ρ·g + p
// the same way, so the product needs no repacking. Term r = r2·g1 + r1 of the diagonal method uses the input turned by
// r1 blocks (baby step, shared by all outputs) and the partial sum turned by r2·g1 blocks (giant step).

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
  /** Baby steps g1 and giant steps g2 (g1·g2 = g). */
  g1: number;
  g2: number;
}

/** Measured single-thread costs (ms) at N = 8192 with 3 data primes: rotation, NTT of a ciphertext in and out. */
const ROTATE_MS = 4.5;
const NTT_IN_MS = 1.0;
const NTT_OUT_MS = 1.4;

function nextPow2(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

/** The packing of an n×K by K×M product; g1 is chosen to minimise rotation and NTT time. */
export function layoutFor(slots: number, n: number, k: number, m: number): Layout {
  for (const [name, v] of [["n", n], ["K", k], ["M", m]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`layout: ${name} must be a positive integer, got ${v}`);
  }
  if (n > slots / 2) throw new RangeError(`layout: n = ${n} rows exceed the ${slots / 2} slots of a ciphertext row`);
  const block = nextPow2(n);
  const g = slots / 2 / block;
  const inCts = Math.ceil(k / (2 * g));
  const outCts = Math.ceil(m / (2 * g));
  let best = { g1: 1, cost: Infinity };
  for (let g1 = 1; g1 <= g; g1 *= 2) {
    const g2 = g / g1;
    const cost = inCts * 2 * g1 * (ROTATE_MS + NTT_IN_MS) + outCts * g2 * (ROTATE_MS + NTT_OUT_MS);
    if (cost < best.cost) best = { g1, cost };
  }
  return { slots, n, k, m, block, g, inCts, outCts, g1: best.g1, g2: g / best.g1 };
}

/** Row rotations (in slots) the schedule uses; 0 stands for the row swap. */
export function rotationSteps(l: Layout): number[] {
  const steps = new Set<number>([0]);
  for (let r1 = 1; r1 < l.g1; r1++) steps.add(r1 * l.block);
  for (let r2 = 1; r2 < l.g2; r2++) steps.add(r2 * l.g1 * l.block);
  return [...steps].sort((a, b) => a - b);
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

/**
 * The plaintext slots multiplying baby step (b, s, r1) in giant step r2 of output ciphertext c: at row ρ, block q it
 * holds W[k][j] for the input column k that block q of the turned input carries and the output column j that block q
 * reaches after the giant-step turn. Returns false (and leaves `out` zero) when every entry is zero.
 */
export function diagonal(
  l: Layout,
  w: BigInt64Array,
  c: number,
  b: number,
  s: number,
  r1: number,
  r2: number,
  out: BigInt64Array,
): boolean {
  const { g, g1, block, k: kk, m: mm, n } = l;
  const half = l.slots / 2;
  out.fill(0n);
  let any = false;
  for (let rho = 0; rho < 2; rho++) {
    for (let q = 0; q < g; q++) {
      const k = b * 2 * g + (rho ^ s) * g + ((q + r1) % g);
      const j = c * 2 * g + rho * g + ((((q - r2 * g1) % g) + g) % g);
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
