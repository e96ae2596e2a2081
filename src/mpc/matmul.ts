// Product of two shared matrices for small shapes: every scalar product A[r,t]·B[t,c] is one Gilboa product
// (`mult`, all in one batch) and the sums over t are local. Cost: m·k·n products, two rounds.
import type { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { mult } from "./mult.js";

function checkMatrix(a: BigUint64Array, rows: number, cols: number, field: string): void {
  if (!(a instanceof BigUint64Array)) throw new TypeError(`matmulShares: ${field} must be a BigUint64Array`);
  if (a.length !== rows * cols) throw new RangeError(`matmulShares: ${field} has ${a.length} values, expected ${rows}·${cols} = ${rows * cols}`);
}

/** Shares of A·B mod 2^l for shared row-major A (m×k) and B (k×n); returns C row-major (m×n). */
export async function matmulShares(p: Party, A: BigUint64Array, B: BigUint64Array, m: number, k: number, n: number, ring: Ring): Promise<BigUint64Array> {
  for (const [name, v] of [["m", m], ["k", k], ["n", n]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`matmulShares: ${name} must be a non-negative integer, got ${v}`);
  }
  checkMatrix(A, m, k, "A");
  checkMatrix(B, k, n, "B");
  return p.scope("matmul", async () => {
    // Lane (r·n + c)·k + t holds A[r,t] and B[t,c].
    const a = new BigUint64Array(m * n * k);
    const b = new BigUint64Array(m * n * k);
    for (let r = 0, q = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        for (let t = 0; t < k; t++, q++) {
          a[q] = A[r * k + t];
          b[q] = B[t * n + c];
        }
      }
    }
    const prod = await mult(p, a, b, ring);
    const mask = ring.mask;
    const out = new BigUint64Array(m * n);
    for (let q = 0; q < m * n; q++) {
      let s = 0n;
      for (let t = 0; t < k; t++) s += prod[q * k + t];
      out[q] = s & mask;
    }
    return out;
  });
}
