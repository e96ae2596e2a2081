// The 1-of-N sender's pad kernel (assembly/bits.ts otnPads) against its plain twin: value i·N + x of the packed
// stream e = that of m ⊕ the low l bits of hash x·count + i (x-major) or i·N + x (instance-major), on random values
// and the edge values 0, 2^(l−1) and 2^l − 1, with the bits past the last value cleared.
import { describe, expect, it } from "vitest";
import { wasm } from "../src/core/wasm.js";
import { packLanes, unpackLanes } from "../src/core/lanes.js";
import { randomBytes } from "./bytes.js";

function twin(m: BigUint64Array, h: BigUint64Array, count: number, N: number, l: number): BigUint64Array {
  const mask = (1n << BigInt(l)) - 1n;
  const e = new BigUint64Array(count * N);
  for (let i = 0; i < count; i++) for (let x = 0; x < N; x++) e[i * N + x] = (m[i * N + x] ^ h[2 * (x * count + i)]) & mask;
  return e;
}

/** The first byte where a and b (equal lengths) differ, −1 when none. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe("otnPads", () => {
  for (const N of [2, 4, 16, 256]) {
    it(`N = ${N}, l ∈ {1, 2, 4, 8, 16, 31, 32, 33, 37, 64}, either layout, in place and into another buffer`, () => {
      const w = wasm();
      for (const l of [1, 2, 4, 8, 16, 31, 32, 33, 37, 64]) {
        // Whole batches of 128 instances and ragged ones, up to a few thousand values per case.
        for (const count of N > 16 ? [1, 3, 101] : [1, 3, 128 + 101]) {
          const mask = (1n << BigInt(l)) - 1n;
          const m = new BigUint64Array(randomBytes(8 * count * N, count + N + l).buffer).map((v) => v & mask);
          const h = new BigUint64Array(randomBytes(16 * count * N, 7 * count + N + l).buffer);
          const edges = [0n, 1n << BigInt(l - 1), mask];
          for (let i = 0; i < Math.min(m.length, 6); i++) [m[i], h[2 * i]] = [edges[i % 3], edges[(i + 1) % 3]];
          const expected = twin(m, h, count, N, l);
          const words = Math.ceil((count * N * l) / 32);
          // Garbage past the last value in the input: the kernel must clear it.
          const packed = new Uint8Array(4 * words).fill(0xff);
          packed.set(packLanes(m, m.length, l));
          // Pointers, not views: an allocation that grows kernel memory detaches earlier views.
          const [pm, ph, pe] = [4 * words, 16 * count * N, 4 * words].map((b) => w.alloc(b));
          const k = w.k as unknown as { otnPads(e: number, m: number, h: number, count: number, N: number, l: number, xMajor: number): void };
          const want = new Uint8Array(4 * words);
          want.set(packLanes(expected, expected.length, l));
          // The same hashes instance-major: hash (i, x) at i·N + x.
          const byInstance = new BigUint64Array(h.length);
          for (let i = 0; i < count; i++) for (let x = 0; x < N; x++) byInstance.set(h.subarray(2 * (x * count + i), 2 * (x * count + i) + 2), 2 * (i * N + x));
          for (const [xMajor, layout] of [[1, h], [0, byInstance]] as const) {
            w.u8(pm, 4 * words).set(packed);
            w.u8(ph, layout.byteLength).set(new Uint8Array(layout.buffer));
            k.otnPads(pe, pm, ph, count, N, l, xMajor);
            expect(firstDifference(w.u8(pe, 4 * words), want), `xMajor ${xMajor}`).toBe(-1);
            k.otnPads(pm, pm, ph, count, N, l, xMajor);
            expect(firstDifference(w.u8(pm, 4 * words), want), `xMajor ${xMajor}`).toBe(-1);
          }
          expect(unpackLanes(w.u8(pe, 4 * words).slice(), expected.length, l, new BigUint64Array(expected.length))).toEqual(expected);
          for (const p of [pm, ph, pe]) w.free(p);
        }
      }
    });
  }
});
