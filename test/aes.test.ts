import { ecb } from "@noble/ciphers/aes.js";
import { hexToBytes } from "@noble/ciphers/utils.js";
import { describe, expect, it, vi } from "vitest";
import { aesOn, createAes, ctrKeystream, fixedKeyAes, resolveBackend, type Aes, type AesBackend } from "../src/core/aes.js";
import { expandKeys } from "../src/prune/expand.js";
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

describe("the bitsliced kernel (backend wasm) against the T-table kernel and node:crypto", () => {
  const LENGTHS = [0, 1, 3, 7, 8, 9, (1 << 12) + 101];

  // NIST SP 800-38A F.1.1 (ECB-AES128): four blocks, so one partial batch of the 8-wide kernel.
  const SP800_38A = {
    key: "2b7e151628aed2a6abf7158809cf4f3c",
    pt: "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
    ct: "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4",
  };

  it.each(["wasm", "wasm-table"] as const)("encrypts the SP 800-38A ECB vector on %s", async (backend) => {
    const aes = await createAes(hexToBytes(SP800_38A.key), { backend });
    expectSameBytes(aes.encryptBlocks(hexToBytes(SP800_38A.pt)), hexToBytes(SP800_38A.ct));
  });

  it.each(LENGTHS)("agrees on ECB and MMO over %i random blocks, also in place in kernel memory", async (n) => {
    const key = randomBytes(16, 1000 + n);
    const src = randomBytes(16 * n, 2000 + n);
    const [bs, table, node] = await Promise.all(["wasm", "wasm-table", "node"].map((backend) => createAes(key, { backend: backend as AesBackend })));
    const expected = node.encryptBlocks(src);
    for (const aes of [bs, table]) {
      expectSameBytes(aes.encryptBlocks(src), expected);
      expectSameBytes(aes.hashBlocks(src), xorBytes(expected, src));
    }
    // dst === src in kernel memory: the kernel itself runs in place, with no copy through its scratch buffer.
    const w = wasm();
    const buf = w.allocU8(Math.max(16, src.length)).subarray(0, src.length);
    try {
      buf.set(src);
      expect(bs.encryptBlocks(buf, buf)).toBe(buf);
      expectSameBytes(buf, expected);
      buf.set(src);
      bs.hashBlocks(buf, buf);
      expectSameBytes(buf, xorBytes(expected, src));
    } finally {
      w.release(buf);
    }
  });

  it.each(LENGTHS)("gives node:crypto's CTR keystream over %i blocks, also split across calls", async (n) => {
    const key = randomBytes(16, 3000 + n);
    await resolveBackend("node");
    const want = new Uint8Array(16 * n);
    ctrKeystream(key, "node").next(want);
    for (const backend of ["wasm", "wasm-table"] as const) {
      const got = new Uint8Array(16 * n);
      const ks = ctrKeystream(key, backend);
      const cut = 16 * (n >> 1);
      ks.next(got.subarray(0, cut));
      ks.next(got.subarray(cut));
      expectSameBytes(got, want);
    }
  });

  /** The kernel's CTR output for n blocks from counter `start` (< 2^64), on a context of its own. */
  function kernelCtr(table: boolean, key: Uint8Array, n: number, start: bigint): Uint8Array {
    const w = wasm();
    const k = w.k;
    const ctx = w.alloc((table ? k.aesContextBytes() : k.aesBsContextBytes()) as number);
    const dst = w.alloc(Math.max(16, 16 * n));
    try {
      if (table) k.aesInit(ctx);
      const kp = table ? (k.aesRoundKeys(ctx) as number) : dst;
      w.u8(kp, 16).set(key);
      (table ? k.aesExpandKey : k.aesBsExpandKey)(ctx, kp);
      (table ? k.aesCtr : k.aesBsCtr)(ctx, dst, n, Number(start & 0xffffffffn), Number(start >> 32n));
      return w.u8(dst, 16 * n).slice();
    } finally {
      w.free(ctx);
      w.free(dst);
    }
  }

  it.each([
    ["2^32", 2n ** 32n - 5n],
    ["2^64", 2n ** 64n - 5n],
  ])("carries the counter across %s as node:crypto does", async (_, start) => {
    const nodeCrypto = await import("node:crypto");
    const key = randomBytes(16, 4000);
    for (const n of LENGTHS) {
      const iv = hexToBytes(start.toString(16).padStart(32, "0"));
      const want = nodeCrypto.createCipheriv("aes-128-ctr", key, iv).update(new Uint8Array(16 * n));
      expectSameBytes(kernelCtr(false, key, n, start), want);
      expectSameBytes(kernelCtr(true, key, n, start), want);
    }
  });

  it("expands the FIPS-197 Appendix A.1 key into its last round key", () => {
    const w = wasm();
    const ctx = w.alloc(w.k.aesBsContextBytes() as number);
    try {
      w.u8(ctx, 16).set(hexToBytes(VECTORS[0].key));
      w.k.aesBsExpandKey(ctx, ctx);
      // Round key 10 as 8 bit-planes: byte j of plane p is 0xff where bit p of key byte j is set, else 0.
      const planes = w.u8(ctx + 10 * 128, 128);
      const rk = new Uint8Array(16);
      for (let p = 0; p < 8; p++) {
        for (let j = 0; j < 16; j++) {
          expect([0, 0xff]).toContain(planes[16 * p + j]);
          rk[j] |= planes[16 * p + j] & (1 << p);
        }
      }
      expectSameBytes(rk, hexToBytes("d014f9a8c9ee2589e13f0cc8b6630ca6"));
    } finally {
      w.free(ctx);
    }
  });

  it("keys a fixed-key permutation once per key and backend", async () => {
    await resolveBackend("node");
    const [k1, k2] = [randomBytes(16, 71), randomBytes(16, 72)];
    expect(fixedKeyAes(k1, "wasm")).toBe(fixedKeyAes(k1.slice(), "wasm"));
    expect(fixedKeyAes(k1, "node")).not.toBe(fixedKeyAes(k1, "wasm"));
    expect(fixedKeyAes(k2, "wasm")).not.toBe(fixedKeyAes(k1, "wasm"));
    const x = randomBytes(64, 73);
    expect(fixedKeyAes(k1, "wasm").hashBlocks(x)).toEqual(aesOn(k1, "node").hashBlocks(x));
  });

  it("expands pruning keys to the same lanes on every backend", async () => {
    const key = randomBytes(16 * 7, 5000);
    await resolveBackend("node");
    const node = expandKeys(key, 7, 9, 37, "node");
    for (const backend of ["wasm", "wasm-table"] as const) expect(expandKeys(key, 7, 9, 37, backend)).toEqual(node);
  });
});
