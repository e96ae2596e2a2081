// The protocol kernels (assembly/mpc.ts) against their TypeScript/BigInt twins, on random lanes with the edge values
// 0, 2^l − 1 and 2^(l−1) in front, for lengths 1, 3 and 2^k + 101.
import { describe, expect, it } from "vitest";
import { wasm } from "../src/core/wasm.js";
import { mpcKernels } from "../src/core/mpc-kernels.js";
import { packLanes, unpackLanes } from "../src/core/lanes.js";
import { getBit, packedLength } from "../src/core/bits.js";
import { randomBytes } from "./bytes.js";

const LENGTHS = [1, 3, 64 + 101, 1024 + 101];
const WIDTHS = [1, 31, 32, 33, 37, 57, 63, 64];
const M64 = (1n << 64n) - 1n;

/** n random values below 2^bits, the first ones 0, 2^bits − 1 and 2^(bits−1). */
function lanes(n: number, bits: number, seed: number): BigUint64Array {
  const x = new BigUint64Array(randomBytes(8 * n, seed).buffer);
  const mask = bits === 64 ? M64 : (1n << BigInt(bits)) - 1n;
  const edges = [0n, mask, 1n << BigInt(bits - 1)];
  for (let i = 0; i < n; i++) x[i] = i < edges.length ? edges[i] : x[i] & mask;
  return x;
}

/** 16-byte OT blocks whose low 8 bytes are `low` (the high 8 random, to be ignored). */
function blocks(low: BigUint64Array, seed: number): Uint8Array {
  const b = new BigUint64Array(randomBytes(16 * low.length, seed).buffer);
  low.forEach((v, e) => (b[2 * e] = v));
  return new Uint8Array(b.buffer);
}

/** Copies each array into kernel memory (with `slack` spare bytes each) and returns the pointers. */
function place(arrays: ArrayBufferView[], slack = 0): number[] {
  const w = wasm();
  const ptrs = arrays.map((a) => w.alloc(a.byteLength + slack));
  arrays.forEach((a, i) => w.u8(ptrs[i], a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)));
  return ptrs;
}

function release(ptrs: number[]): void {
  for (const p of ptrs) wasm().free(p);
}

describe("gilboaSend", () => {
  for (const n of LENGTHS) {
    it(`n = ${n}: t = m0 + y − m1 and acc += m0 << shift, mod 2^64`, () => {
      const w = wasm();
      for (const [shift, bits] of [[0, 64], [5, 37], [31, 37], [32, 64], [36, 37], [63, 64]]) {
        const m0 = lanes(n, bits, 11 * n + shift);
        const m1 = lanes(n, bits, 13 * n + shift);
        const y = lanes(n, bits, 17 * n + shift);
        const acc = lanes(n, 64, 19 * n + shift);
        const ptrs = place([acc, new BigUint64Array(n), blocks(m0, n), blocks(m1, n + 1), y]);
        mpcKernels().gilboaSend(ptrs[0], ptrs[1], ptrs[2], ptrs[3], ptrs[4], n, shift);
        const wantT = m0.map((a, e) => BigInt.asUintN(64, a + y[e] - m1[e]));
        const wantAcc = acc.map((v, e) => BigInt.asUintN(64, v + (m0[e] << BigInt(shift))));
        expect(Array.from(w.u64(ptrs[1], n))).toEqual(Array.from(wantT));
        expect(Array.from(w.u64(ptrs[0], n))).toEqual(Array.from(wantAcc));
        release(ptrs);
      }
    });
  }
});

describe("gilboaRecv", () => {
  for (const n of LENGTHS) {
    it(`n = ${n}: acc += (m_c + c·t) << shift, t read from the packed stream`, () => {
      const w = wasm();
      for (const width of WIDTHS) {
        const shift = 64 - width;
        const t = lanes(n, width, 23 * n + width);
        const m = lanes(n, 64, 29 * n + width);
        const acc = lanes(n, 64, 31 * n + width);
        // Choices from bit k0 on of a longer vector, as a position past the first reads them.
        const k0 = 3 * n + 5;
        const choices = new Uint8Array(randomBytes(packedLength(k0 + n), 37 * n + width));
        const packed = packLanes(t, n, width).slice();
        const ptrs = place([acc, blocks(m, n), choices, packed], 8);
        mpcKernels().gilboaRecv(ptrs[0], ptrs[1], ptrs[2], k0, ptrs[3], n, shift, width);
        const back = unpackLanes(packed, n, width, new BigUint64Array(n));
        const want = acc.map((v, e) => BigInt.asUintN(64, v + ((m[e] + BigInt(getBit(choices, k0 + e)) * back[e]) << BigInt(shift))));
        expect(Array.from(w.u64(ptrs[0], n))).toEqual(Array.from(want));
        release(ptrs);
      }
    });
  }
});

describe("leafMessages", () => {
  for (const n of LENGTHS) {
    it(`n = ${n}: entry j = ([v > j] ⊕ gt) | ([v = j] ⊕ eq) << 1, packed`, () => {
      const w = wasm();
      const v = randomBytes(n, 43 * n).map((b, e) => (e < 3 ? [0, 15, 8][e] : b & 15));
      const gt = randomBytes(packedLength(n), 47 * n);
      const eq = randomBytes(packedLength(n), 53 * n);
      const ptrs = place([new Uint32Array(n), v, gt, eq]);
      mpcKernels().leafMessages(ptrs[0], ptrs[1], ptrs[2], ptrs[3], n);
      const want = new BigUint64Array(16 * n);
      for (let e = 0; e < n; e++) {
        for (let j = 0; j < 16; j++) want[16 * e + j] = BigInt((getBit(gt, e) ^ (v[e] > j ? 1 : 0)) | ((getBit(eq, e) ^ (v[e] === j ? 1 : 0)) << 1));
      }
      expect(Array.from(w.u8(ptrs[0], 4 * n))).toEqual(Array.from(packLanes(want, 16 * n, 2)));
      release(ptrs);
    });
  }
});

describe("tripleMessages", () => {
  for (const ots of LENGTHS) {
    it(`${ots} OTs: entry j carries r ⊕ a_S·b_C ⊕ a_C·b_S for both triples, packed`, () => {
      const w = wasm();
      const len = packedLength(2 * ots);
      const [a, b, r] = [59, 61, 67].map((s) => randomBytes(len, s * ots));
      const ptrs = place([new Uint32Array(ots), a, b, r]);
      mpcKernels().tripleMessages(ptrs[0], ptrs[1], ptrs[2], ptrs[3], ots);
      const want = new BigUint64Array(16 * ots);
      for (let k = 0; k < ots; k++) {
        for (let j = 0; j < 16; j++) {
          // j = a_C0 | b_C0 << 1 | a_C1 << 2 | b_C1 << 3.
          const [aC0, bC0, aC1, bC1] = [j & 1, (j >>> 1) & 1, (j >>> 2) & 1, (j >>> 3) & 1];
          const m0 = getBit(r, 2 * k) ^ (getBit(a, 2 * k) & bC0) ^ (aC0 & getBit(b, 2 * k));
          const m1 = getBit(r, 2 * k + 1) ^ (getBit(a, 2 * k + 1) & bC1) ^ (aC1 & getBit(b, 2 * k + 1));
          want[16 * k + j] = BigInt(m0 | (m1 << 1));
        }
      }
      expect(Array.from(w.u8(ptrs[0], 4 * ots))).toEqual(Array.from(packLanes(want, 16 * ots, 2)));
      release(ptrs);
    });
  }
});

describe("lutRotations", () => {
  for (const n of LENGTHS) {
    it(`n = ${n}: message j = table[(j + shift) mod size] − r mod 2^l`, () => {
      const w = wasm();
      for (const [m, bits] of [[1, 64], [4, 37], [8, 37], [6, 1]]) {
        const size = 1 << m;
        const mask = bits === 64 ? M64 : (1n << BigInt(bits)) - 1n;
        const table = lanes(size, bits, 71 * n + m);
        const r = lanes(n, bits, 73 * n + m);
        const shifts = randomBytes(n, 79 * n + m).map((b, e) => (e === 0 ? size - 1 : b & (size - 1)));
        const ptrs = place([new BigUint64Array(size * n), table, shifts, r]);
        mpcKernels().lutRotations(ptrs[0], ptrs[1], ptrs[2], ptrs[3], n, size, mask);
        const want = new BigUint64Array(size * n);
        for (let e = 0; e < n; e++) for (let j = 0; j < size; j++) want[e * size + j] = (table[(j + shifts[e]) % size] - r[e]) & mask;
        expect(Array.from(w.u64(ptrs[0], size * n))).toEqual(Array.from(want));
        release(ptrs);
      }
    });
  }
});

describe("gilboaRowsSend", () => {
  for (const [m, k, n] of [[1, 1, 1], [1, 3, 3], [2, 3, 64 + 101], [3, 2, 5]]) {
    for (const perLane of [0, 1]) {
      it(`${m}×${k} lanes of ${n} values${perLane ? ", one output row per lane" : ""}: t = x0 + b − x1, acc += x0 << shift`, () => {
        const w = wasm();
        const vs = 2 * Math.ceil(n / 2);
        const lanesN = m * k;
        for (const shift of [0, 31, 36]) {
          const x0 = lanes(lanesN * vs, 64, 83 * n + shift);
          const x1 = lanes(lanesN * vs, 64, 89 * n + shift);
          const b = lanes(k * n, 37, 97 * n + shift);
          const rows = (perLane ? lanesN : m) * n;
          const acc = lanes(rows, 64, 101 * n + shift);
          const ptrs = place([acc, new BigUint64Array(lanesN * n), x0, x1, b]);
          mpcKernels().gilboaRowsSend(ptrs[0], ptrs[1], ptrs[2], ptrs[3], ptrs[4], m, k, n, vs, shift, perLane);
          const wantT = new BigUint64Array(lanesN * n);
          const wantAcc = acc.slice();
          for (let r = 0; r < m; r++) {
            for (let j = 0; j < k; j++) {
              const lane = r * k + j;
              for (let v = 0; v < n; v++) {
                const a = x0[lane * vs + v];
                wantT[lane * n + v] = BigInt.asUintN(64, a + b[j * n + v] - x1[lane * vs + v]);
                const o = (perLane ? lane : r) * n + v;
                wantAcc[o] = BigInt.asUintN(64, wantAcc[o] + (a << BigInt(shift)));
              }
            }
          }
          expect(Array.from(w.u64(ptrs[1], lanesN * n))).toEqual(Array.from(wantT));
          expect(Array.from(w.u64(ptrs[0], rows))).toEqual(Array.from(wantAcc));
          release(ptrs);
        }
      });
    }
  }
});

describe("gilboaRowsRecv", () => {
  for (const [lanesN, k, n] of [[1, 1, 1], [3, 1, 3], [6, 3, 64 + 101], [4, 2, 5]]) {
    it(`${lanesN} lanes of ${n} values, ${k} per output row: acc += (xb + c·t) << shift`, () => {
      const w = wasm();
      const vs = 2 * Math.ceil(n / 2);
      for (const width of WIDTHS) {
        const shift = 64 - width;
        const xb = lanes(lanesN * vs, 64, 103 * n + width);
        const t = lanes(lanesN * n, width, 107 * n + width);
        const rows = Math.ceil(lanesN / k) * n;
        const acc = lanes(rows, 64, 109 * n + width);
        const q0 = 2 * lanesN + 3;
        const choices = new Uint8Array(randomBytes(packedLength(q0 + lanesN), 113 * n + width));
        const packed = packLanes(t, lanesN * n, width).slice();
        const ptrs = place([acc, xb, choices, packed], 8);
        mpcKernels().gilboaRowsRecv(ptrs[0], ptrs[1], ptrs[2], q0, ptrs[3], lanesN, k, n, vs, shift, width);
        const back = unpackLanes(packed, lanesN * n, width, new BigUint64Array(lanesN * n));
        const want = acc.slice();
        for (let lane = 0; lane < lanesN; lane++) {
          const c = BigInt(getBit(choices, q0 + lane));
          for (let v = 0; v < n; v++) {
            const o = Math.floor(lane / k) * n + v;
            want[o] = BigInt.asUintN(64, want[o] + ((xb[lane * vs + v] + c * back[lane * n + v]) << BigInt(shift)));
          }
        }
        expect(Array.from(w.u64(ptrs[0], rows))).toEqual(Array.from(want));
        release(ptrs);
      }
    });
  }
});

describe("the COT lane kernels", () => {
  for (const n of LENGTHS) {
    it(`n = ${n}: lowLanes, cotSendLanes and cotRecvLanes against BigInt at l ∈ {${WIDTHS.join(", ")}}`, () => {
      const w = wasm();
      for (const l of WIDTHS) {
        const mask = l === 64 ? M64 : (1n << BigInt(l)) - 1n;
        // Hashes with all 64 low bits random: the kernels must reduce them mod 2^l.
        const [h0, h1, hr] = [lanes(n, 64, 31 * n + l), lanes(n, 64, 37 * n + l), lanes(n, 64, 41 * n + l)];
        const d = lanes(n, l, 43 * n + l);
        const choices = randomBytes(packedLength(n), 47 * n + l);
        const packedY = packLanes(lanes(n, l, 53 * n + l), n, l);
        const y = unpackLanes(packedY, n, l, new BigUint64Array(n));
        const ptrs = place([new BigUint64Array(n), new BigUint64Array(n), d, blocks(h0, n), blocks(h1, n + 2), blocks(hr, n + 3), choices]);
        const [x, ys, dp, h0p, h1p, hrp, cp] = ptrs;
        const [pp] = place([packedY], 8);
        const k = mpcKernels();
        k.lowLanes(x, h0p, n, mask);
        expect(Array.from(w.u64(x, n)), `l ${l}`).toEqual(Array.from(h0, (v) => v & mask));
        k.cotSendLanes(ys, x, dp, h1p, n, mask);
        expect(Array.from(w.u64(ys, n)), `l ${l}`).toEqual(Array.from(h0, (v, e) => BigInt.asUintN(64, (v & mask) + d[e] - h1[e]) & mask));
        k.lowLanes(x, hrp, n, mask);
        k.cotRecvLanes(x, pp, cp, n, l);
        expect(Array.from(w.u64(x, n)), `l ${l}`).toEqual(Array.from(hr, (v, e) => ((v & mask) + (getBit(choices, e) ? y[e] : 0n)) & mask));
        release([...ptrs, pp]);
      }
    });
  }
});

describe("otnPick", () => {
  for (const n of LENGTHS) {
    it(`n = ${n}: out ⊕ the chosen l-bit value of each instance, mod 2^l, for N ∈ {2, 16, 256}`, () => {
      const w = wasm();
      for (const N of [2, 16, 256]) {
        for (const l of WIDTHS) {
          const mask = l === 64 ? M64 : (1n << BigInt(l)) - 1n;
          const h = lanes(n, 64, 59 * n + N + l);
          const msgs = lanes(n * N, l, 61 * n + N + l);
          const choices = randomBytes(n, 67 * n + N + l).map((c) => c % N);
          const [out, cp] = place([h, choices]);
          const [pp] = place([packLanes(msgs, n * N, l)], 8);
          mpcKernels().otnPick(out, pp, cp, n, N, l);
          expect(Array.from(w.u64(out, n)), `N ${N}, l ${l}`).toEqual(Array.from(h, (v, i) => (v ^ msgs[i * N + choices[i]]) & mask));
          release([out, cp, pp]);
        }
      }
    });
  }
});

describe("bitPlanes", () => {
  it("bit j·n + i is bit j of byte i, for k ∈ 1 … 8 and every length, with the tail of the last byte cleared", () => {
    const w = wasm();
    const k = w.k as unknown as { bitPlanes(out: number, src: number, n: number, k: number): void };
    for (const n of LENGTHS) {
      for (let planes = 1; planes <= 8; planes++) {
        const src = randomBytes(n, 71 * n + planes);
        const bytes = packedLength(n * planes);
        const [ps, po] = place([src, new Uint8Array(bytes).fill(0xff)]);
        k.bitPlanes(po, ps, n, planes);
        const want = new Uint8Array(bytes);
        for (let j = 0; j < planes; j++) for (let i = 0; i < n; i++) if ((src[i] >> j) & 1) want[(j * n + i) >> 3] |= 1 << ((j * n + i) & 7);
        expect(Array.from(w.u8(po, bytes)), `n ${n}, k ${planes}`).toEqual(Array.from(want));
        release([ps, po]);
      }
    }
  });
});
