// The engine's lane arithmetic runs in the WASM ring kernels; these are its BigInt twins, lane by lane, on random
// lanes and the edge values 0, 1, 2^l − 1 and 2^(l−1), at lengths around the two-lane SIMD width and past 2^k.
import { describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { PlainFx, add, neg, sub } from "../src/nonlinear/engine.js";
import { randomBytes } from "./bytes.js";

const BITS = [1, 2, 13, 32, 37, 63, 64];
const LENGTHS = [0, 1, 2, 3, 4, 5, 1024 + 101, (1 << 16) + 101];

/** n reduced lanes of `ring`: the edge values first (cycled), then random. */
function lanes(n: number, ring: Ring, seed: number): BigUint64Array {
  const v = new BigUint64Array(randomBytes(8 * n, seed).buffer);
  const edges = [0n, 1n, ring.mask, ring.half];
  for (let i = 0; i < n; i++) v[i] = i < 2 * edges.length ? edges[(i + (seed & 3)) % edges.length] : v[i] & ring.mask;
  return v;
}

function twin(n: number, f: (i: number) => bigint, ring: Ring): BigUint64Array {
  const out = new BigUint64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(i) & ring.mask;
  return out;
}

/** Equal lanes; a failure names the first differing lane. */
function same(actual: BigUint64Array, expected: BigUint64Array): void {
  expect(actual.length).toBe(expected.length);
  let i = 0;
  while (i < actual.length && actual[i] === expected[i]) i++;
  expect(i === actual.length ? "equal" : `lane ${i}: ${actual[i]} != ${expected[i]}`).toBe("equal");
}

describe("engine lane arithmetic equals its BigInt twin", () => {
  for (const bits of BITS) {
    it(`mod 2^${bits}`, () => {
      const ring = new Ring(bits, 0);
      const fx = new PlainFx();
      for (const n of LENGTHS) {
        const x = lanes(n, ring, n + bits);
        const y = lanes(n, ring, 3 * n + bits + 1);
        const [x0, y0] = [x.slice(), y.slice()];
        same(add(x, y, ring), twin(n, (i) => x[i] + y[i], ring));
        same(sub(x, y, ring), twin(n, (i) => x[i] - y[i], ring));
        same(neg(x, ring), twin(n, (i) => -x[i], ring));
        same(fx.addConst(x, y, ring), twin(n, (i) => x[i] + y[i], ring));
        for (const c of [0n, 1n, -1n, ring.mask, ring.half, -(1n << 70n) - 5n, (1n << 64n) + 3n]) {
          same(fx.addConst(x, c, ring), twin(n, (i) => x[i] + c, ring));
        }
        // Inputs stay untouched.
        same(x, x0);
        same(y, y0);
      }
    });
  }

  it("views at an offset into a larger buffer, and lengths that differ", () => {
    const ring = new Ring(37, 12);
    const big = lanes(301, ring, 7);
    const [x, y] = [big.subarray(1, 150), big.subarray(151, 300)];
    same(sub(x, y, ring), twin(149, (i) => x[i] - y[i], ring));
    expect(() => add(x, big, ring)).toThrow(/add: lengths differ \(149 and 301\)/);
    expect(() => sub(x, big, ring)).toThrow(/sub: lengths differ/);
  });
});
