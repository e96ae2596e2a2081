// Products of two shared matrices (Q·Kᵀ per head, softmax·V): A·B = a0·b0 + a1·b1 + a1·b0 + a0·b1. The local terms
// run in the WASM ring core; each cross term is an HE product in which the client encrypts its share and the
// server multiplies by its own share as a plaintext (a0·b1 as (b1ᵀ·a0ᵀ)ᵀ). Exact mod 2^l for any shares; reveals
// nothing. All heads go in one message each way.
import { matmul } from "../core/kernels.js";
import type { Ring } from "../core/ring.js";
import type { Party } from "../mpc/party.js";
import type { HeBackend, HePlan, ProductItem } from "./backend.js";
import { signedWeights } from "./linear.js";

/** The session plans of an n×k by k×m shared product. */
export function matmulSharedPlans(n: number, k: number, m: number, ring: Ring): HePlan[] {
  return [
    { n, k, m, aBits: ring.bits, wBits: ring.bits },
    { n: m, k, m: n, aBits: ring.bits, wBits: ring.bits },
  ];
}

function transpose(a: BigUint64Array, rows: number, cols: number): BigUint64Array {
  const t = new BigUint64Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}

/** Shares of A_h·B_h for every head h; A_h is n×k and B_h is k×m (row-major shares in Z_2^l). */
export async function matmulShared(
  p: Party,
  he: HeBackend,
  ring: Ring,
  as: BigUint64Array[],
  bs: BigUint64Array[],
  n: number,
  k: number,
  m: number,
): Promise<BigUint64Array[]> {
  if (as.length !== bs.length || as.length === 0) throw new RangeError(`matmulShared: need as many A as B shares (≥ 1), got ${as.length} and ${bs.length}`);
  as.forEach((a, h) => {
    if (!(a instanceof BigUint64Array) || a.length !== n * k) throw new RangeError(`matmulShared: as[${h}] must be a BigUint64Array of ${n}×${k}`);
    if (!(bs[h] instanceof BigUint64Array) || bs[h].length !== k * m) throw new RangeError(`matmulShared: bs[${h}] must be a BigUint64Array of ${k}×${m}`);
  });
  const [plan, planT] = matmulSharedPlans(n, k, m, ring);
  return p.scope("matmulShared", async () => {
    const items: ProductItem[] = [];
    as.forEach((a, h) => {
      const b = bs[h];
      if (p.role === "client") items.push({ plan, a }, { plan: planT, a: transpose(b, k, m) });
      else items.push({ plan, w: signedWeights(ring, b, ring.bits, `bs[${h}]`) }, { plan: planT, w: signedWeights(ring, transpose(a, n, k), ring.bits, `as[${h}]`) });
    });
    const products = he.products(p, ring, items);
    const local = as.map((a, h) => matmul(a, bs[h], n, k, m, ring.bits));
    const cross = await products;
    return local.map((y, h) => {
      const c1 = cross[2 * h];
      const c2 = cross[2 * h + 1]; // m×n
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < m; j++) {
          const e = i * m + j;
          y[e] = (y[e] + c1[e] + c2[j * n + i]) & ring.mask;
        }
      }
      return y;
    });
  });
}
