import { describe, expect, it } from "vitest";
import { resolveBackend } from "../src/core/aes.js";
import { expandKeys } from "../src/prune/expand.js";

const B = await resolveBackend();

function keys(count: number, seed: number): Uint8Array {
  const k = new Uint8Array(count * 16);
  for (let i = 0; i < k.length; i++) k[i] = (i * 37 + seed * 101 + ((i * i) >> 3)) & 255;
  return k;
}

describe("expandKeys", () => {
  it("is deterministic, reduced mod 2^bits, and the same with or without an output buffer", () => {
    for (const [w, bits] of [
      [1, 1],
      [3, 37],
      [770, 37],
      [5, 32],
      [4, 64],
    ]) {
      const k = keys(7, w);
      const a = expandKeys(k, 7, w, bits, B);
      const b = expandKeys(k, 7, w, bits, B, new BigUint64Array(7 * w + 5));
      expect(b).toEqual(a);
      const bound = 1n << BigInt(bits);
      expect(a.every((v) => v < bound)).toBe(true);
      if (bits >= 32) expect(new Set(a).size).toBe(a.length); // pseudorandom lanes do not repeat
    }
  });

  it("gives each key its own stream, independent of how many keys are expanded together", () => {
    const k = keys(300, 9);
    const all = expandKeys(k, 300, 41, 37, B);
    for (const i of [0, 1, 42, 299]) {
      const one = expandKeys(k.subarray(16 * i, 16 * i + 16), 1, 41, 37, B);
      expect(all.subarray(41 * i, 41 * (i + 1))).toEqual(one);
    }
    expect(all.subarray(0, 41)).not.toEqual(all.subarray(41, 82));
  });

  it("rejects bad arguments, naming them", () => {
    expect(() => expandKeys(new Uint8Array(15), 1, 2, 37, B)).toThrow(/keys/);
    expect(() => expandKeys(new Uint8Array(16), 1, 0, 37, B)).toThrow(/w/);
    expect(() => expandKeys(new Uint8Array(16), 1, 2, 65, B)).toThrow(/bits/);
    expect(() => expandKeys(new Uint8Array(16), 1, 2, 37, B, new BigUint64Array(1))).toThrow(/out/);
  });
});
