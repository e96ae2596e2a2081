// The compressed answer ciphertexts: every coefficient comes back within half a dropped unit (mod Q), the size is
// about half of SEAL's, and a wrong length is a protocol error.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HeContext } from "../src/he/context.js";
import { ResponseCodec } from "../src/he/response.js";
import type { Encryptor, SecretKey } from "../src/he/seal.js";
import { ProtocolError } from "../src/net/errors.js";
import { decryptSlots, firstPrimeKeys } from "./he-util.js";

describe("ResponseCodec", () => {
  let ctx: HeContext;
  let sk: SecretKey;
  let enc: Encryptor;
  let codec: ResponseCodec;
  let saved: Uint8Array;

  beforeAll(async () => {
    ({ ctx, sk, enc } = await firstPrimeKeys());
    const s = ctx.seal;
    const pc = ctx.primes[0];
    codec = ResponseCodec.create(s, pc, enc);
    const pt = pc.encoder.encode(BigUint64Array.from({ length: ctx.slots }, (_, i) => BigInt(i))) as ReturnType<typeof s.PlainText>;
    const ct = s.CipherText();
    enc.encrypt(pt, ct);
    pc.evaluator.cipherModSwitchToNext(ct, ct);
    saved = ct.saveArray(s.ComprModeType.none);
    pt.delete();
    ct.delete();
  }, 60_000);

  afterAll(() => {
    enc?.delete();
    sk?.delete();
    ctx?.delete();
  });

  /** Coefficient i of polynomial `poly` of a saved ciphertext, as an integer mod Q (BigInt CRT reference). */
  function coefficient(bytes: Uint8Array, poly: number, i: number): bigint {
    const { n, moduli } = codec;
    const k = moduli.length;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const off = bytes.length - 2 * k * n * 8;
    const q = moduli.reduce((a, b) => a * b, 1n);
    let c = 0n;
    moduli.forEach((qj, j) => {
      const rest = q / qj;
      let inv = 1n;
      for (let e = qj - 2n, b = rest % qj; e > 0n; e >>= 1n, b = (b * b) % qj) if (e & 1n) inv = (inv * b) % qj;
      c += view.getBigUint64(off + ((poly * k + j) * n + i) * 8, true) * rest * inv;
    });
    return c % q;
  }

  /** Sets coefficient i of `poly` to the integer c mod Q. */
  function setCoefficient(bytes: Uint8Array, poly: number, i: number, c: bigint): void {
    const { n, moduli } = codec;
    const k = moduli.length;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const off = bytes.length - 2 * k * n * 8;
    moduli.forEach((qj, j) => view.setBigUint64(off + ((poly * k + j) * n + i) * 8, c % qj, true));
  }

  it("drops only bits that cost at most Q/(16t) each, and halves the size", () => {
    const q = codec.moduli.reduce((a, b) => a * b, 1n);
    const t = ctx.primes[0].t;
    const [d0, d1] = codec.drop;
    expect(1n << BigInt(d0 - 1)).toBeLessThanOrEqual(q / (16n * t));
    expect(BigInt(codec.n) << BigInt(d1 - 1)).toBeLessThanOrEqual(q / (16n * t));
    // One more bit would break the bound: the codec drops as much as it may.
    expect(1n << BigInt(d0)).toBeGreaterThan(q / (16n * t));
    expect(BigInt(codec.n) << BigInt(d1)).toBeGreaterThan(q / (16n * t));
    expect(codec.bytes).toBeLessThan(0.52 * saved.length);
  });

  it("returns every coefficient within half a dropped unit, including 0, 1, Q − 1 and unit edges", () => {
    const q = codec.moduli.reduce((a, b) => a * b, 1n);
    const bytes = saved.slice();
    const edges = [0n, 1n, q - 1n, q - 2n, (1n << BigInt(codec.drop[0])) - 1n, 1n << BigInt(codec.drop[1]), q / 2n];
    for (let poly = 0; poly < 2; poly++) edges.forEach((c, i) => setCoefficient(bytes, poly, codec.n - 1 - i, c));
    const back = codec.expand(codec.compress(bytes));
    expect(back.length).toBe(bytes.length);
    expect(back.subarray(0, bytes.length - 2 * 2 * codec.n * 8)).toEqual(bytes.subarray(0, bytes.length - 2 * 2 * codec.n * 8));
    for (let poly = 0; poly < 2; poly++) {
      const half = 1n << BigInt(codec.drop[poly] - 1);
      for (let i = 0; i < codec.n; i++) {
        const c = coefficient(bytes, poly, i);
        let diff = (coefficient(back, poly, i) - c + q) % q;
        if (diff > q / 2n) diff -= q;
        if (diff < -half || diff > half) throw new Error(`poly ${poly} coefficient ${i}: ${c} came back off by ${diff}`);
      }
    }
  });

  it("decrypts to the same slots after the round trip", () => {
    expect(decryptSlots(ctx, sk, codec.expand(codec.compress(saved)))).toEqual(BigUint64Array.from({ length: ctx.slots }, (_, i) => BigInt(i)));
  });

  it("rejects answers of the wrong length and ciphertexts at another level", () => {
    const packed = codec.compress(saved);
    expect(() => codec.expand(packed.subarray(1))).toThrow(ProtocolError);
    expect(() => codec.compress(saved.subarray(8))).toThrow(/not at the answer's level/);
  });
});
