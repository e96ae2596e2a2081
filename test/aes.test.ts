import { ecb } from "@noble/ciphers/aes.js";
import { hexToBytes } from "@noble/ciphers/utils.js";
import { describe, expect, it, vi } from "vitest";
import { aesOn, createAes, resolveBackend, type Aes, type AesBackend } from "../src/core/aes.js";
import { Wasm, sharedKernelModule, wasm } from "../src/core/wasm.js";
import { expectSameBytes, randomBytes, xorBytes } from "./bytes.js";

const BACKENDS: AesBackend[] = ["node", "wasm"];


/** Independent reference: @noble/ciphers AES-ECB. */
function reference(key: Uint8Array, src: Uint8Array): Uint8Array {
  return ecb(key, { disablePadding: true }).encrypt(src);
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
    expectSameBytes(aes.encryptBlocks(hexToBytes(pt)), hexToBytes(ct));
    // the hash is the ciphertext xored with the input
    expectSameBytes(aes.hashBlocks(hexToBytes(pt)), xorBytes(hexToBytes(ct), hexToBytes(pt)));
  });

  it.each([0, 1, 2, 4095, 4096, 4097, 8192 + 101])("matches @noble/ciphers on %i random blocks", async (n) => {
    const key = randomBytes(16, n + 11);
    const aes = await make(key);
    const src = randomBytes(n * 16, n + 1);
    const expected = reference(key, src);
    expectSameBytes(aes.encryptBlocks(src), expected);
    expectSameBytes(aes.hashBlocks(src), xorBytes(expected, src));
  });

  it("works in place, into a caller's array and at unaligned offsets", async () => {
    const key = randomBytes(16, 3);
    const aes = await make(key);
    const src = randomBytes(5000 * 16, 4);
    const expected = reference(key, src);
    const inPlace = src.slice();
    expect(aes.encryptBlocks(inPlace, inPlace)).toBe(inPlace);
    expectSameBytes(inPlace, expected);
    const hashed = src.slice();
    aes.hashBlocks(hashed, hashed);
    expectSameBytes(hashed, xorBytes(expected, src));
    const odd = new Uint8Array(src.length + 3).subarray(1, src.length + 1);
    odd.set(src);
    aes.hashBlocks(odd, odd);
    expectSameBytes(odd, xorBytes(expected, src));
    const dst = new Uint8Array(src.length);
    expect(aes.encryptBlocks(src, dst)).toBe(dst);
    expectSameBytes(dst, expected);
  });

  it("reads and writes arrays that live in kernel memory", async () => {
    const key = randomBytes(16, 5);
    const aes = await make(key);
    const w = wasm();
    const src = w.allocU8(300 * 16);
    const dst = w.allocU8(300 * 16);
    try {
      src.set(randomBytes(src.length, 6));
      const expected = reference(key, src);
      aes.hashBlocks(src, dst);
      expectSameBytes(dst, xorBytes(expected, src));
      aes.encryptBlocks(src, src);
      expectSameBytes(src, expected);
    } finally {
      w.release(src);
      w.release(dst);
    }
  });

  it("keeps several keys apart when calls interleave", async () => {
    const k1 = randomBytes(16, 7);
    const k2 = randomBytes(16, 8);
    const [a1, a2] = [await make(k1), await make(k2)];
    const src = randomBytes(64 * 16, 9);
    for (let round = 0; round < 2; round++) {
      expectSameBytes(a1.encryptBlocks(src), reference(k1, src));
      expectSameBytes(a2.encryptBlocks(src), reference(k2, src));
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
    const key = randomBytes(16, 21);
    const [n, w] = [await createAes(key, { backend: "node" }), await createAes(key, { backend: "wasm" })];
    const src = randomBytes(9000 * 16, 22);
    expectSameBytes(n.encryptBlocks(src), w.encryptBlocks(src));
    expectSameBytes(n.hashBlocks(src), w.hashBlocks(src));
  });

  it("picks node:crypto by default in Node", async () => {
    expect((await createAes(new Uint8Array(16))).backend).toBe("node");
  });

  it("aesOn keys synchronously on a resolved backend, with the same results as createAes", async () => {
    const key = randomBytes(16, 23);
    const src = randomBytes(100 * 16, 24);
    for (const backend of BACKENDS) {
      const aes = aesOn(key, await resolveBackend(backend));
      expect(aes.backend).toBe(backend);
      expectSameBytes(aes.encryptBlocks(src), reference(key, src));
    }
    expect(() => aesOn(key, "gpu" as never)).toThrow(/aesOn: backend must be "node" or "wasm"/);
    expect(() => aesOn(new Uint8Array(8), "wasm")).toThrow(/aesOn: key must be 16 bytes/);
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
      expectSameBytes(aes.encryptBlocks(hexToBytes(VECTORS[1].pt)), hexToBytes(VECTORS[1].ct));
      await expect(fresh.createAes(key, { backend: "node" })).rejects.toThrow(/node:crypto is not available/);
    } finally {
      vi.doUnmock("node:crypto");
      vi.resetModules();
    }
  });

  it("runs on the shared-memory build, whose instances must not rely on static data", () => {
    const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
    const w1 = new Wasm(memory, sharedKernelModule());
    const ctx = w1.alloc(w1.k.aesContextBytes() as number);
    const { key, pt, ct } = VECTORS[0];
    w1.k.aesInit(ctx);
    // A second instance on the same memory, as a worker would start: it must not overwrite the tables.
    const w2 = new Wasm(memory, sharedKernelModule());
    const rk = w1.k.aesRoundKeys(ctx) as number;
    w1.u8(rk, 16).set(hexToBytes(key));
    w2.k.aesExpandKey(ctx, rk);
    const block = w1.alloc(16);
    w1.u8(block, 16).set(hexToBytes(pt));
    w2.k.aesEncrypt(ctx, block, block, 1);
    expectSameBytes(w1.u8(block, 16).slice(), hexToBytes(ct));
  });
});
