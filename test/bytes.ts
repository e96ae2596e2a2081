// Byte-array helpers for the primitive tests: reproducible data and a fast exact comparison (vitest's deep equality
// walks typed arrays element by element, which takes seconds on the sizes that cross 64 KiB chunk boundaries).
import { expect } from "vitest";

/** n bytes from xorshift32: reproducible, and independent of the PRG under test. */
export function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** Asserts equal length and contents; a failure names the first differing byte. */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  let i = 0;
  while (i < actual.length && actual[i] === expected[i]) i++;
  expect(i === actual.length ? "equal" : `byte ${i}: ${actual[i]} != ${expected[i]}`).toBe("equal");
}
