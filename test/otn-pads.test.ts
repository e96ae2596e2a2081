// The 1-of-N sender's pad kernel (assembly/bits.ts otnPads) against its plain twin: e[i·N + x] = m[i·N + x] ⊕ the
// low 64 bits of hash x·count + i, on random lanes and the edge values 0, 2^63 and 2^64 − 1.
import { describe, expect, it } from "vitest";
import { wasm } from "../src/core/wasm.js";
import { randomBytes } from "./bytes.js";

function twin(m: BigUint64Array, h: BigUint64Array, count: number, N: number): BigUint64Array {
  const e = new BigUint64Array(count * N);
  for (let i = 0; i < count; i++) for (let x = 0; x < N; x++) e[i * N + x] = m[i * N + x] ^ h[2 * (x * count + i)];
  return e;
}

describe("otnPads", () => {
  for (const N of [2, 4, 16, 256]) {
    it(`N = ${N}, in place and into another buffer`, () => {
      const w = wasm();
      for (const count of [1, 3, 128, 1024 + 101]) {
        const m = new BigUint64Array(randomBytes(8 * count * N, count + N).buffer);
        const h = new BigUint64Array(randomBytes(16 * count * N, 7 * count + N).buffer);
        const edges = [0n, 1n << 63n, (1n << 64n) - 1n];
        for (let i = 0; i < Math.min(m.length, 6); i++) [m[i], h[2 * i]] = [edges[i % 3], edges[(i + 1) % 3]];
        const expected = twin(m, h, count, N);
        // Pointers, not views: an allocation that grows kernel memory detaches earlier views.
        const [pm, ph, pe] = [m.length, h.length, m.length].map((n) => w.allocU64(n).byteOffset);
        const k = w.k as unknown as { otnPads(e: number, m: number, h: number, count: number, N: number): void };
        w.u64(pm, m.length).set(m);
        w.u64(ph, h.length).set(h);
        k.otnPads(pe, pm, ph, count, N);
        expect(Array.from(w.u64(pe, m.length))).toEqual(Array.from(expected));
        k.otnPads(pm, pm, ph, count, N);
        expect(Array.from(w.u64(pm, m.length))).toEqual(Array.from(expected));
        for (const p of [pm, ph, pe]) w.free(p);
      }
    });
  }
});
