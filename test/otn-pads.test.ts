// The 1-of-N sender's pad kernel (assembly/bits.ts otnPads) against its plain twin: value k of the packed stream e =
// that of m ⊕ the low l bits of the 16-byte pad k, on random values and the edge values 0, 2^(l−1) and 2^l − 1, with
// the bits past the last value cleared: whole words and a ragged tail.
import { describe, expect, it } from "vitest";
import { wasm } from "../src/core/wasm.js";
import { packLanes, unpackLanes } from "../src/core/lanes.js";
import { randomBytes } from "./bytes.js";

function twin(m: BigUint64Array, h: BigUint64Array, n: number, l: number): BigUint64Array {
  const mask = (1n << BigInt(l)) - 1n;
  const e = new BigUint64Array(n);
  for (let k = 0; k < n; k++) e[k] = (m[k] ^ h[2 * k]) & mask;
  return e;
}

/** The first byte where a and b (equal lengths) differ, −1 when none. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe("otnPads", () => {
  for (const N of [2, 4, 16, 256]) {
    it(`N = ${N}, l ∈ {1, 2, 4, 8, 16, 31, 32, 33, 37, 64}, in place and into another buffer`, () => {
      const w = wasm();
      const k = w.k as unknown as { otnPads(e: number, m: number, h: number, n: number, l: number): void };
      for (const l of [1, 2, 4, 8, 16, 31, 32, 33, 37, 64]) {
        // Whole batches of 128 instances and ragged ones, up to a few thousand values per case; an odd value count
        // (N·count − 1) leaves a partial word after the whole ones.
        for (const count of N > 16 ? [1, 3, 101] : [1, 3, 128 + 101]) {
          for (const n of [count * N, count * N - 1]) {
            const mask = (1n << BigInt(l)) - 1n;
            const m = new BigUint64Array(randomBytes(8 * n, count + N + l).buffer.slice(0, 8 * n)).map((v) => v & mask);
            const h = new BigUint64Array(randomBytes(16 * n, 7 * count + N + l).buffer.slice(0, 16 * n));
            const edges = [0n, 1n << BigInt(l - 1), mask];
            for (let i = 0; i < Math.min(n, 6); i++) [m[i], h[2 * i]] = [edges[i % 3], edges[(i + 1) % 3]];
            const expected = twin(m, h, n, l);
            const words = Math.ceil((n * l) / 32);
            // Garbage past the last value in the input: the kernel must clear it.
            const packed = new Uint8Array(4 * words).fill(0xff);
            packed.set(packLanes(m, n, l));
            // Pointers, not views: an allocation that grows kernel memory detaches earlier views.
            const [pm, ph, pe] = [4 * words, 16 * n, 4 * words].map((b) => w.alloc(b));
            const want = new Uint8Array(4 * words);
            want.set(packLanes(expected, n, l));
            w.u8(pm, 4 * words).set(packed);
            w.u8(ph, 16 * n).set(new Uint8Array(h.buffer));
            k.otnPads(pe, pm, ph, n, l);
            expect(firstDifference(w.u8(pe, 4 * words), want), `l ${l}, n ${n}`).toBe(-1);
            k.otnPads(pm, pm, ph, n, l);
            expect(firstDifference(w.u8(pm, 4 * words), want), `l ${l}, n ${n}, in place`).toBe(-1);
            expect(unpackLanes(w.u8(pe, 4 * words).slice(), n, l, new BigUint64Array(n))).toEqual(expected);
            for (const p of [pm, ph, pe]) w.free(p);
          }
        }
      }
    });
  }
});
