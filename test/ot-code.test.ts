import { describe, expect, it } from "vitest";
import { CODE_BITS, codeColumns, maskedCodewords, spreadBlock } from "../src/ot/code.js";
import { getBit } from "../src/core/bits.js";

const ALL_ONES = new Uint8Array(32).fill(0xff);
const CODEWORDS = maskedCodewords(256, ALL_ONES);

function codeword(x: number): Uint8Array {
  return CODEWORDS.subarray(32 * x, 32 * x + 32);
}

describe("Walsh–Hadamard code of the 1-of-N extension", () => {
  it("codewords are parity(x & j); distinct ones differ in exactly 128 of 256 bits", () => {
    const words = CODEWORDS;
    for (let x = 0; x < 256; x += 37) {
      for (let j = 0; j < CODE_BITS; j++) {
        const want = [...(x & j).toString(2)].filter((c) => c === "1").length & 1;
        expect(getBit(words.subarray(32 * x), j)).toBe(want);
      }
    }
    for (let x = 0; x < 256; x++) {
      for (let y = x + 1; y < 256; y += 13) {
        let d = 0;
        for (let j = 0; j < 32; j++) d += [...(words[32 * x + j] ^ words[32 * y + j]).toString(2)].filter((c) => c === "1").length;
        expect(d).toBe(128);
      }
    }
  });

  it("masks codewords with s bit by bit", () => {
    const s = Uint8Array.from({ length: 32 }, (_, i) => (i * 73 + 5) & 255);
    const masked = maskedCodewords(16, s);
    for (let x = 0; x < 16; x++) for (let j = 0; j < 32; j++) expect(masked[32 * x + j]).toBe(codeword(x)[j] & s[j]);
  });

  for (const k of [1, 4, 8]) {
    it(`columns are the transposed codewords of the choices, N = ${1 << k}, with bits past the choices zero`, () => {
      const m = 256;
      const choices = Uint8Array.from({ length: 200 }, (_, i) => (i * 97 + 3) % (1 << k));
      const cols = codeColumns(choices, m, k, new Uint8Array((m / 8) * ((1 << k) + k)));
      let bad = 0;
      for (let v = 0; v < 1 << k; v++) {
        const col = cols.subarray((v * m) / 8, ((v + 1) * m) / 8);
        for (let i = 0; i < m; i++) if (getBit(col, i) !== (i < choices.length ? getBit(codeword(choices[i]), v) : 0)) bad++;
      }
      expect(bad).toBe(0);
    });
  }

  it("spreads a block over a buffer of any length", () => {
    const block = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    for (const len of [16, 48, 16 * 37]) {
      const dst = new Uint8Array(len);
      spreadBlock(dst, block);
      for (let i = 0; i < len; i++) expect(dst[i]).toBe(block[i % 16]);
    }
  });
});
