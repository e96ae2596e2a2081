// The RLWE scheme of the simd backend: encryption and decryption to Z_2^ell, products by integer polynomials,
// key switching and interleave packing, answers with masks and flooding; against BigInt negacyclic products.
import { beforeAll, describe, expect, it } from "vitest";
import { Prg } from "../src/core/prg.js";
import { DEFAULT_SIMD, MAX_LOG_QP_128 } from "../src/he/simd/params.js";
import { packingElements, RlweContext, type GaloisKey, type PublicKey, type SecretKey } from "../src/he/simd/scheme.js";

const seed = (s: number) => Prg.fromSeed(new Uint8Array(16).fill(s));

describe("RLWE scheme (N = 8192, t = 2^37)", () => {
  const ctx = new RlweContext(DEFAULT_SIMD);
  const n = ctx.n;
  const t = 1n << 37n;
  let sk: SecretKey;
  let pk: PublicKey;
  let keys: Map<number, GaloisKey>;
  let prg: Prg;

  beforeAll(async () => {
    prg = await seed(1);
    sk = ctx.secretKey(prg);
    pk = ctx.publicKey(sk, prg, prg.withSeed(new Uint8Array(16).fill(9)));
    keys = new Map(packingElements(n, 4).map((g) => [g, ctx.galoisKey(sk, g, prg, prg.fork())]));
  });

  /** A fresh encryption of m (bigint coefficients < t) at level L. */
  function encrypt(m: bigint[], L: number) {
    const mp = ctx.rns.w.alloc(8 * n);
    new BigUint64Array(ctx.rns.w.memory.buffer, mp, n).set(m);
    const a = ctx.alloc(L);
    ctx.uniform(prg, a, ctx.dataPrimes(L));
    const c0 = ctx.encryptSymmetric(sk, mp, L, a, prg);
    ctx.rns.w.free(mp);
    return { c0, c1: a, L };
  }

  function decrypt(ans: { c0: number; c1: number }): bigint[] {
    const out = ctx.rns.w.alloc(8 * n);
    ctx.decodeAnswer(sk, ans.c0, ans.c1, out);
    const r = Array.from(new BigUint64Array(ctx.rns.w.memory.buffer, out, n));
    ctx.rns.w.free(out, );
    return r;
  }

  function zeros(): number {
    const z = ctx.rns.w.alloc(8 * n);
    new BigUint64Array(ctx.rns.w.memory.buffer, z, n).fill(0n);
    return z;
  }

  /** ct ·= w (small signed integer polynomial). */
  function mulPlain(ct: { c0: number; c1: number; L: number }, w: number[]) {
    const wp = ctx.alloc(ct.L);
    ctx.smallNtt(wp, w, ctx.dataPrimes(ct.L));
    for (let j = 0; j < ct.L; j++) {
      ctx.rns.mul(ctx.vec(ct.c0, j), ctx.vec(ct.c0, j), ctx.vec(wp, j), j);
      ctx.rns.mul(ctx.vec(ct.c1, j), ctx.vec(ct.c1, j), ctx.vec(wp, j), j);
    }
    ctx.free(wp);
  }

  function negacyclic(m: bigint[], w: number[]): bigint[] {
    const out = new Array<bigint>(n).fill(0n);
    w.forEach((wv, j) => {
      if (wv === 0) return;
      const W = BigInt(wv);
      for (let i = 0; i < n; i++) {
        const k = i + j;
        if (k < n) out[k] += m[i] * W;
        else out[k - n] -= m[i] * W;
      }
    });
    return out.map((v) => ((v % t) + t) % t);
  }

  const randomM = () => Array.from({ length: n }, (_, i) => (BigInt(i) * 0x9e3779b97f4a7c15n + 12345n) % t);

  it("log2(QP) is within the 128-bit table", () => {
    expect(ctx.logQP).toBeLessThanOrEqual(MAX_LOG_QP_128[8192]);
    expect(ctx.logQP).toBeGreaterThan(170);
  });

  it("encrypt, multiply by a sparse integer polynomial, answer, decrypt", () => {
    for (const L of [4, 5]) {
      const m = randomM();
      m[0] = 0n;
      m[1] = t - 1n;
      const ct = encrypt(m, L);
      const w = new Array<number>(n).fill(0);
      w[0] = 32767;
      w[3] = -32768;
      w[100] = 5;
      mulPlain(ct, w);
      const ans = ctx.finishAnswer(ct, pk, zeros(), 60, prg);
      expect(decrypt(ans)).toEqual(negacyclic(m, w));
    }
  });

  it("packing 4 answers: answer j's multiples of 4 land at +j", () => {
    const L = 4;
    const ms = [0, 1, 2, 3].map((s) => randomM().map((v) => (v * BigInt(s + 3)) % t));
    const cts = ms.map((m) => encrypt(m, L));
    const packed = ctx.pack([cts[0], cts[1], null, cts[3]], 4, keys);
    const dec = decrypt(ctx.finishAnswer(packed, pk, zeros(), 60, prg));
    for (let x = 0; x < n; x += 4) {
      expect(dec[x]).toBe(ms[0][x]);
      expect(dec[x + 1]).toBe(ms[1][x]);
      expect(dec[x + 3]).toBe(ms[3][x]);
    }
  });
});
