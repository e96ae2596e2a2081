import { describe, expect, it } from "vitest";
import { expandKeys } from "../src/prune/expand.js";

function keys(count: number, seed: number): Uint8Array {
  const k = new Uint8Array(count * 16);
  for (let i = 0; i < k.length; i++) k[i] = (i * 37 + seed * 101 + ((i * i) >> 3)) & 255;
  return k;
}

describe("expandKeys", () => {
  it("is deterministic, reduced mod 2^bits, and the same with or without an output buffer", async () => {
    for (const [w, bits] of [
      [1, 1],
      [3, 37],
      [770, 37],
      [5, 32],
      [4, 64],
    ]) {
      const k = keys(7, w);
      const a = await expandKeys(k, 7, w, bits);
      const b = await expandKeys(k, 7, w, bits, new BigUint64Array(7 * w + 5));
      expect(b).toEqual(a);
      const bound = 1n << BigInt(bits);
      expect(a.every((v) => v < bound)).toBe(true);
      if (bits >= 32) expect(new Set(a).size).toBe(a.length); // pseudorandom lanes do not repeat
    }
  });

  it("gives each key its own stream, independent of how many keys are expanded together", async () => {
    const k = keys(300, 9);
    const all = await expandKeys(k, 300, 41, 37);
    for (const i of [0, 1, 42, 299]) {
      const one = await expandKeys(k.subarray(16 * i, 16 * i + 16), 1, 41, 37);
      expect(all.subarray(41 * i, 41 * (i + 1))).toEqual(one);
    }
    expect(all.subarray(0, 41)).not.toEqual(all.subarray(41, 82));
  });

  it("rejects bad arguments, naming them", async () => {
    await expect(expandKeys(new Uint8Array(15), 1, 2, 37)).rejects.toThrow(/keys/);
    await expect(expandKeys(new Uint8Array(16), 1, 0, 37)).rejects.toThrow(/w/);
    await expect(expandKeys(new Uint8Array(16), 1, 2, 65)).rejects.toThrow(/bits/);
    await expect(expandKeys(new Uint8Array(16), 1, 2, 37, new BigUint64Array(1))).rejects.toThrow(/out/);
  });
});
