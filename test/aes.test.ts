import { ecb } from "@noble/ciphers/aes.js";
import { hexToBytes } from "@noble/ciphers/utils.js";
import { describe, expect, it, vi } from "vitest";
import { createAes, type Aes, type AesBackend } from "../src/core/aes.js";
import { wasm } from "../src/core/wasm.js";

const BACKENDS: AesBackend[] = ["node", "wasm"];

function random(n: number, seed: number): Uint8Array {
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

/** Independent reference: @noble/ciphers AES-ECB. */
function reference(key: Uint8Array, src: Uint8Array): Uint8Array {
  return ecb(key, { disablePadding: true }).encrypt(src);
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((v, i) => v ^ b[i]);
}

// FIPS-197 Appendix B (cipher example) and Appendix C.1 (AES-128 example vector).
const VECTORS = [
  { key: "2b7e151628aed2a6abf7158809cf4f3c", pt: "3243f6a8885a308d313198a2e0370734", ct: "3925841d02dc09fbdc118597196a0b32" },
  { key: "000102030405060708090a0b0c0d0e0f", pt: "00112233445566778899aabbccddeeff", ct: "69c4e0d86a7b0430d8cdb78070b4c55a" },
];

describe.each(BACKENDS)("AES-128 on the %s backend", (backend) => {
  const make = (key: Uint8Array): Promise<Aes> => createAes(key, { backend });

  it("reports its backend", async () => {
    expect((await make(new Uint8Array(16))).backend).toBe(backend);
  });

  it.each(VECTORS)("encrypts the FIPS-197 vector under $key", async ({ key, pt, ct }) => {
    const aes = await make(hexToBytes(key));
    expect(aes.encryptBlocks(hexToBytes(pt))).toEqual(hexToBytes(ct));
    // the hash is the ciphertext xored with the input
    expect(aes.hashBlocks(hexToBytes(pt))).toEqual(xor(hexToBytes(ct), hexToBytes(pt)));
  });

  it.each([0, 1, 2, 1023, 1024, 1025, 2048 + 101])("matches @noble/ciphers on %i random blocks", async (n) => {
    const key = random(16, n + 11);
    const aes = await make(key);
    const src = random(n * 16, n + 1);
    const expected = reference(key, src);
    expect(aes.encryptBlocks(src)).toEqual(expected);
    expect(aes.hashBlocks(src)).toEqual(xor(expected, src));
  });

  it("works in place, into a caller's array and at unaligned offsets", async () => {
    const key = random(16, 3);
    const aes = await make(key);
    const src = random(1500 * 16, 4);
    const expected = reference(key, src);
    const inPlace = src.slice();
    expect(aes.encryptBlocks(inPlace, inPlace)).toBe(inPlace);
    expect(inPlace).toEqual(expected);
    const hashed = src.slice();
    aes.hashBlocks(hashed, hashed);
    expect(hashed).toEqual(xor(expected, src));
    const odd = new Uint8Array(src.length + 3).subarray(1, src.length + 1);
    odd.set(src);
    aes.hashBlocks(odd, odd);
    expect(odd).toEqual(xor(expected, src));
    const dst = new Uint8Array(src.length);
    expect(aes.encryptBlocks(src, dst)).toBe(dst);
    expect(dst).toEqual(expected);
  });

  it("reads and writes arrays that live in kernel memory", async () => {
    const key = random(16, 5);
    const aes = await make(key);
    const w = wasm();
    const src = w.allocU8(300 * 16);
    const dst = w.allocU8(300 * 16);
    try {
      src.set(random(src.length, 6));
      const expected = reference(key, src);
      aes.hashBlocks(src, dst);
      expect(dst).toEqual(xor(expected, src));
      aes.encryptBlocks(src, src);
      expect(src).toEqual(expected);
    } finally {
      w.release(src);
      w.release(dst);
    }
  });

  it("keeps several keys apart when calls interleave", async () => {
    const k1 = random(16, 7);
    const k2 = random(16, 8);
    const [a1, a2] = [await make(k1), await make(k2)];
    const src = random(64 * 16, 9);
    for (let round = 0; round < 2; round++) {
      expect(a1.encryptBlocks(src)).toEqual(reference(k1, src));
      expect(a2.encryptBlocks(src)).toEqual(reference(k2, src));
    }
  });

  it("rejects bad arguments naming the field", async () => {
    const aes = await make(new Uint8Array(16));
    expect(() => aes.encryptBlocks(new Uint8Array(15))).toThrow(/src length 15 is not a multiple of 16/);
    expect(() => aes.hashBlocks(new Uint8Array(32), new Uint8Array(16))).toThrow(/dst must be 32 bytes/);
    const buf = new Uint8Array(64);
    expect(() => aes.encryptBlocks(buf.subarray(0, 32), buf.subarray(16, 48))).toThrow(/not overlap/);
    await expect(make(new Uint8Array(15))).rejects.toThrow(/key must be 16 bytes/);
  });
});

describe("createAes", () => {
  it("agrees across backends on random inputs", async () => {
    const key = random(16, 21);
    const [n, w] = [await createAes(key, { backend: "node" }), await createAes(key, { backend: "wasm" })];
    const src = random(3000 * 16, 22);
    expect(n.encryptBlocks(src)).toEqual(w.encryptBlocks(src));
    expect(n.hashBlocks(src)).toEqual(w.hashBlocks(src));
  });

  it("picks node:crypto by default in Node", async () => {
    expect((await createAes(new Uint8Array(16))).backend).toBe("node");
  });

  it("rejects an unknown backend", async () => {
    await expect(createAes(new Uint8Array(16), { backend: "gpu" as never })).rejects.toThrow(/AES backend must be/);
  });

  it("falls back to the WASM kernel where node:crypto cannot be loaded (browsers)", async () => {
    vi.resetModules();
    vi.doMock("node:crypto", () => {
      throw new Error("no node:crypto here");
    });
    try {
      const fresh = await import("../src/core/aes.js");
      const key = hexToBytes(VECTORS[1].key);
      const aes = await fresh.createAes(key);
      expect(aes.backend).toBe("wasm");
      expect(aes.encryptBlocks(hexToBytes(VECTORS[1].pt))).toEqual(hexToBytes(VECTORS[1].ct));
      await expect(fresh.createAes(key, { backend: "node" })).rejects.toThrow(/node:crypto is not available/);
    } finally {
      vi.doUnmock("node:crypto");
      vi.resetModules();
    }
  });
});
