import { createCipheriv, createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createAes, type AesBackend } from "../src/core/aes.js";
import { wasm } from "../src/core/wasm.js";
import { OtHash } from "../src/ot/crhash.js";
import { sessionSalt } from "../src/ot/salt.js";
import { expectSameBytes, randomBytes, xorBytes } from "./bytes.js";

const BACKENDS: AesBackend[] = ["node", "wasm"];
const KEY = Uint8Array.from(Buffer.from("000102030405060708090a0b0c0d0e0f", "hex"));

/** The reference π: AES-128-ECB straight from node:crypto. */
function aesRef(key: Uint8Array, blocks: Uint8Array): Uint8Array {
  const c = createCipheriv("aes-128-ecb", key, null);
  c.setAutoPadding(false);
  return new Uint8Array(c.update(blocks));
}

/** The documented tweak layout: little-endian words [index mod 2^32, ⌊index / 2^32⌋, instance, stage]. */
function tweak(index: number, instance: number, stage: number): Uint8Array {
  const t = new Uint8Array(16);
  const v = new DataView(t.buffer);
  v.setUint32(0, index % 2 ** 32, true);
  v.setUint32(4, Math.floor(index / 2 ** 32), true);
  v.setUint32(8, instance, true);
  v.setUint32(12, stage, true);
  return t;
}

/** H(i, x) = π(x ⊕ i) ⊕ x ⊕ i on one block, from the reference π. */
function hashRef(key: Uint8Array, i: Uint8Array, x: Uint8Array): Uint8Array {
  const y = xorBytes(x, i);
  return xorBytes(aesRef(key, y), y);
}

/**
 * Copies of `arrays` in kernel memory. Call after `batch` (which may grow the memory and detach earlier views) and
 * use before the next allocation.
 */
function inKernel(...arrays: Uint8Array[]): Uint8Array[] {
  const w = wasm();
  const ptrs = arrays.map((a) => w.alloc(a.length));
  return arrays.map((a, k) => {
    const v = w.u8(ptrs[k], a.length);
    v.set(a);
    return v;
  });
}

function release(...arrays: Uint8Array[]): void {
  for (const a of arrays) wasm().release(a);
}

const block = (bytes: Uint8Array, j: number) => bytes.subarray(16 * j, 16 * j + 16);

describe.each(BACKENDS)("the OT hash H(i, x) = π(x ⊕ i) ⊕ x ⊕ i on the %s backend", (backend) => {
  it("matches node:crypto AES under a fixed key, tweak i = the OT's index in its instance (known answer)", async () => {
    const h = new OtHash(await createAes(KEY, { backend }), "iknp", "client");
    expect(h.instance).toBe(1);
    /** One batch of `count` OTs hashed in `runs` runs, against the reference; returns the next index. */
    const check = (first: number, count: number, runs: number, seed: number): number => {
      h.batch(count);
      const x = randomBytes(16 * count * runs, seed);
      const [src, dst] = inKernel(x, new Uint8Array(x.length));
      h.hash(src, dst);
      for (let j = 0; j < count * runs; j++) expectSameBytes(block(dst, j), hashRef(KEY, tweak(first + (j % count), 1, 0), block(x, j)));
      expectSameBytes(src, x); // the input is left alone
      release(src, dst);
      return first + count;
    };
    // The indices run on from batch to batch, whatever their sizes; runs of a batch share its tweaks.
    let next = 0;
    for (const [count, runs] of [[1, 1], [3, 1], [5, 2], [2 ** 8 + 101, 3], [5, 1]]) next = check(next, count, runs, next + 1);
    // A long session: the batch where the index passes 2^32, and the batches after it.
    h["next"] = next = 2 ** 32 - 2;
    for (let b = 0; b < 3; b++) next = check(next, 4, 2, b + 10);
  });

  it("chains 256-bit inputs: H(i, a ‖ b) = H((i, 1), H((i, 0), a) ⊕ b) with the instance of the 1-of-N extension", async () => {
    const h = new OtHash(await createAes(KEY, { backend }), "kkot", "server");
    expect(h.instance).toBe(2);
    h.batch(4);
    const a0 = randomBytes(16 * 8, 3);
    const b0 = randomBytes(16 * 8, 4);
    const [a, b, dst] = inKernel(a0, b0, new Uint8Array(a0.length));
    h.hashPairs(a, b, dst);
    for (let j = 0; j < 8; j++) {
      const inner = hashRef(KEY, tweak(j % 4, 2, 0), block(a0, j));
      expectSameBytes(block(dst, j), hashRef(KEY, tweak(j % 4, 2, 1), xorBytes(inner, block(b0, j))));
    }
    release(a, b, dst);
  });

  it("codedPairs gives every x's pad H(i, (qa ⊕ a_x) ‖ (qb ⊕ b_x)), instance-major, from any index (past 2^32 too)", async () => {
    const h = new OtHash(await createAes(KEY, { backend }), "kkot", "client");
    for (const [first, count, N] of [[0, 1, 2], [7, 5, 16], [2 ** 32 - 3, 6, 4]]) {
      h["next"] = first;
      h.batch(count);
      const [qa0, qb0, codes0] = [randomBytes(16 * count, first + 1), randomBytes(16 * count, first + 2), randomBytes(32 * N, first + 3)];
      const [qa, qb, codes, work, out] = inKernel(qa0, qb0, codes0, new Uint8Array(16 * count * N), new Uint8Array(16 * count * N));
      h.codedPairs(qa, qb, codes, N, work, out);
      for (let x = 0; x < N; x++) {
        for (let i = 0; i < count; i++) {
          const inner = hashRef(KEY, tweak(first + i, 3, 0), xorBytes(block(qa0, i), codes0.subarray(32 * x, 32 * x + 16)));
          const b = xorBytes(block(qb0, i), codes0.subarray(32 * x + 16, 32 * x + 32));
          expectSameBytes(block(out, i * N + x), hashRef(KEY, tweak(first + i, 3, 1), xorBytes(inner, b)));
        }
      }
      expectSameBytes(qa, qa0); // the inputs are left alone
      expectSameBytes(qb, qb0);
      expect(() => h.codedPairs(qa, qb, codes.subarray(0, 16), N, work, out)).toThrow(/codes must be/);
      expect(() => h.codedPairs(qa, qb, codes, N, work.subarray(16), out)).toThrow(/work must be/);
      release(qa, qb, codes, work, out);
    }
  });

  it("separates equal inputs by tweak: H(i, x) ≠ H(j, x) within a batch, across batches, instances and salts", async () => {
    const aes = await createAes(KEY, { backend });
    const hashes = [new OtHash(aes, "iknp", "server"), new OtHash(aes, "iknp", "client"), new OtHash(aes, "kkot", "server"), new OtHash(await createAes(randomBytes(16, 9), { backend }), "iknp", "server")];
    const x = new Uint8Array(16 * 64).fill(0x5a); // one value, 64 times
    const seen = new Set<string>();
    for (const h of hashes) {
      for (let batch = 0; batch < 2; batch++) {
        h.batch(64);
        const [src, dst] = inKernel(x, new Uint8Array(x.length));
        h.hash(src, dst);
        for (let j = 0; j < 64; j++) seen.add(Buffer.from(block(dst, j)).toString("hex"));
        release(src, dst);
      }
    }
    expect(seen.size).toBe(hashes.length * 2 * 64);
  });

  it("checks its arguments, naming them", async () => {
    const h = new OtHash(await createAes(KEY, { backend }), "iknp", "server");
    expect(() => h.hash(new Uint8Array(64), new Uint8Array(64))).toThrow(/OtHash.hash: call batch\(\) first/);
    expect(() => h.batch(0)).toThrow(/count must be a positive integer, got 0/);
    h.batch(2);
    const [c, d] = inKernel(new Uint8Array(64), new Uint8Array(64));
    expect(() => h.hash(c.subarray(0, 48), d.subarray(0, 48))).toThrow(/src must hold whole runs of the batch \(32 bytes\), got 48 bytes/);
    expect(() => h.hash(c, d.subarray(0, 32))).toThrow(/dst must be 64 bytes, got 32/);
    expect(() => h.hash(new Uint8Array(32), d.subarray(0, 32))).toThrow(/src must lie in kernel memory/);
    expect(() => h.hashPairs(c, c, d)).toThrow(/only the 1-of-N extension/);
    expect(() => new OtHash(null as never, "kkrt" as never, "server")).toThrow(/kind must be/);
    expect(() => new OtHash(null as never, "iknp", "both" as never)).toThrow(/sender must be/);
    release(c, d);
  });
});

describe("sessionSalt", () => {
  it("is SHA-256(server nonce ‖ client nonce) truncated to 16 bytes, so the order of the parties matters", () => {
    const s = randomBytes(16, 5);
    const c = randomBytes(16, 6);
    const want = new Uint8Array(createHash("sha256").update(s).update(c).digest()).subarray(0, 16);
    expectSameBytes(sessionSalt(s, c), want);
    expect(Buffer.from(sessionSalt(c, s)).equals(Buffer.from(want))).toBe(false);
    const c2 = c.slice();
    c2[15] ^= 0x80;
    expect(Buffer.from(sessionSalt(s, c2)).equals(Buffer.from(want))).toBe(false);
  });

  it("checks the nonces", () => {
    expect(() => sessionSalt(new Uint8Array(15), new Uint8Array(16))).toThrow(/serverNonce must be 16 bytes, got 15/);
    expect(() => sessionSalt(new Uint8Array(16), [1] as never)).toThrow(/clientNonce must be a Uint8Array/);
  });
});
