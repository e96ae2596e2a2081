// A linear layer on shared activations: Y = X·W + b with W and b the server's. The server multiplies its own share
// locally (WASM ring core); the client's share goes through the HE product of either backend (exact, see backend.ts).
//
// Contract: X is shared in Z_2^l (any values); W holds ring elements whose signed values fit in `wBits` bits; b is in
// Z_2^l. Both parties end with additive shares of X·W + b mod 2^l (X and W read as signed, i.e. the fixed-point
// product at scale s_X + s_W). Revealed: nothing beyond the shapes (the client's view is 2^(1−σ)-close per entry
// to one independent of W and b; the server sees ciphertexts only). One message each way.
import { add, matmul } from "../core/kernels.js";
import type { Ring } from "../core/ring.js";
import type { Party } from "../mpc/party.js";
import type { HeBackend, HePlan } from "./backend.js";

export interface LinearShape {
  /** Rows of X (tokens), input and output width. */
  n: number;
  k: number;
  m: number;
  /** Signed bit width of the weights (16 holds |w| < 8 at scale 12). */
  wBits: number;
}

/** The session plan a linear layer of this shape needs. */
export function linearPlan(shape: LinearShape, ring: Ring): HePlan {
  return { n: shape.n, k: shape.k, m: shape.m, aBits: ring.bits, wBits: shape.wBits };
}

/** Server-side weights: W (k×m, row-major) and an optional bias (m), both in Z_2^l. */
export interface LinearWeights {
  w: BigUint64Array;
  bias?: BigUint64Array;
}

/**
 * Signed integers of ring elements, checked against a bit width. Rings of up to 52 bits are read and written through
 * 32-bit views with no BigInt arithmetic (a BERT-base layer has millions of weights).
 */
export function signedWeights(ring: Ring, w: BigUint64Array, bits: number, field: string): BigInt64Array {
  const out = new BigInt64Array(w.length);
  const lim = 2 ** (bits - 1);
  if (ring.bits > 52) {
    for (let i = 0; i < w.length; i++) {
      const v = ring.signed(w[i] & ring.mask);
      if (v < -BigInt(lim) || v >= BigInt(lim)) throw new RangeError(`${field}[${i}] = ${v} does not fit in ${bits} signed bits`);
      out[i] = v;
    }
    return out;
  }
  const src = new Uint32Array(w.buffer, w.byteOffset, 2 * w.length);
  const dst = new Int32Array(out.buffer);
  const modulus = 2 ** ring.bits;
  const hiMask = ring.bits > 32 ? 2 ** (ring.bits - 32) - 1 : 0;
  for (let i = 0; i < w.length; i++) {
    const u = ((src[2 * i + 1] & hiMask) * 2 ** 32 + src[2 * i]) % modulus;
    const v = u >= modulus / 2 ? u - modulus : u;
    if (v < -lim || v >= lim) throw new RangeError(`${field}[${i}] = ${v} does not fit in ${bits} signed bits`);
    dst[2 * i] = v % 2 ** 32; // ToInt32 keeps the low 32 bits of the two's complement
    dst[2 * i + 1] = Math.floor(v / 2 ** 32);
  }
  return out;
}

/** Shares of X·W + b; the server passes `weights`, the client passes none. */
export async function linear(
  p: Party,
  he: HeBackend,
  ring: Ring,
  x: BigUint64Array,
  shape: LinearShape,
  weights?: LinearWeights,
): Promise<BigUint64Array> {
  const { n, k, m } = shape;
  if (!(x instanceof BigUint64Array) || x.length !== n * k) throw new RangeError(`linear: x must be a BigUint64Array of ${n}×${k} shares`);
  const plan = linearPlan(shape, ring);
  return p.scope("linear", async () => {
    if (p.role === "client") {
      if (weights) throw new TypeError("linear: the client holds no weights");
      const [y] = await he.products(p, ring, [{ plan, a: x }]);
      return y;
    }
    if (!weights) throw new TypeError("linear: the server must pass the weights");
    if (!(weights.w instanceof BigUint64Array) || weights.w.length !== k * m) throw new RangeError(`linear: W must be a BigUint64Array of ${k}×${m}`);
    if (weights.bias && (!(weights.bias instanceof BigUint64Array) || weights.bias.length !== m)) {
      throw new RangeError(`linear: bias must be a BigUint64Array of length ${m}`);
    }
    const w = signedWeights(ring, weights.w, shape.wBits, "linear: W");
    const product = he.products(p, ring, [{ plan, w }]);
    const local = matmul(x, weights.w, n, k, m, ring.bits);
    const [y] = await product;
    add(y, local, ring.bits, y);
    if (weights.bias) {
      const rows = new BigUint64Array(n * m);
      for (let i = 0; i < n; i++) rows.set(weights.bias, i * m);
      add(y, rows, ring.bits, y);
    }
    return y;
  });
}
