import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { lanesBytes, packLanes, unpackLanes } from "../src/core/lanes.js";
import { wasm } from "../src/core/wasm.js";

function randomLanes(n: number, l: number): BigUint64Array {
  const v = new BigUint64Array(randomBytes(8 * n + 8).buffer, 0, n);
  const mask = (1n << BigInt(l)) - 1n;
  for (let i = 0; i < n; i++) v[i] &= mask;
  return v;
}

/** Reference: bit k of the stream is bit (k mod l) of value ⌊k / l⌋. */
function referencePack(v: BigUint64Array, l: number): Uint8Array {
  const out = new Uint8Array(lanesBytes(v.length, l));
  for (let i = 0; i < v.length; i++) {
    for (let b = 0; b < l; b++) {
      const k = i * l + b;
      if ((v[i] >> BigInt(b)) & 1n) out[k >>> 3] |= 1 << (k & 7);
    }
  }
  return out;
}

describe("l-bit lane packing", () => {
  for (const l of [1, 2, 7, 31, 32, 33, 37, 63, 64]) {
    it(`packs and unpacks l = ${l} exactly, edge values included`, () => {
      for (const n of [1, 3, 64 + 101]) {
        const v = randomLanes(n, l);
        const top = (1n << BigInt(l)) - 1n;
        v[0] = top;
        if (n > 1) v[1] = 1n << BigInt(l - 1);
        if (n > 2) v[2] = 0n;
        const packed = packLanes(v, n, l);
        expect(packed.length).toBe(Math.ceil((n * l) / 8));
        expect(Array.from(packed)).toEqual(Array.from(referencePack(v, l)));
        const back = unpackLanes(packed, n, l, new BigUint64Array(n));
        expect(Array.from(back)).toEqual(Array.from(v));
      }
    });
  }

  // Packing runs in the packBitLanes kernel (l < 64): every width against the BigInt reference, past 2^k lanes.
  it("the packing kernel equals the reference for every l, into a given buffer, from a longer or kernel-held source", () => {
    const n = 1024 + 101;
    for (let l = 1; l <= 64; l++) {
      const v = randomLanes(n + 5, 64);
      v[0] = 0n;
      v[1] = (1n << 64n) - 1n;
      v[2] = 1n << BigInt(l - 1);
      const masked = v.subarray(0, n).map((x) => x & ((1n << BigInt(l)) - 1n));
      const expected = Array.from(referencePack(masked, l));
      const into = new Uint8Array(4 * Math.ceil((n * l) / 32) + 8).fill(0xa5);
      expect(Array.from(packLanes(v, n, l, into))).toEqual(expected);
      const held = wasm().allocU64(n);
      held.set(v.subarray(0, n));
      expect(Array.from(packLanes(held, n, l))).toEqual(expected);
      wasm().release(held);
    }
    const held = wasm().allocU8(64);
    expect(() => packLanes(new BigUint64Array(4), 4, 7, held)).toThrow(/into must lie outside kernel memory/);
    wasm().release(held);
    expect(packLanes(new BigUint64Array(0), 0, 7).length).toBe(0);
  });

  it("ignores bits above l and reads unaligned payloads", () => {
    const n = 50;
    const l = 13;
    const v = randomLanes(n, 64);
    const packed = packLanes(v, n, l);
    const shifted = new Uint8Array(packed.length + 1);
    shifted.set(packed, 1);
    const back = unpackLanes(shifted.subarray(1), n, l, new BigUint64Array(n));
    for (let i = 0; i < n; i++) expect(back[i]).toBe(v[i] & 0x1fffn);
  });
});
