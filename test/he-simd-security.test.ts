// What the simd backend promises (SECURITY.md), checked: the decrypted noise of a product against the worst-case bound
// the flooding is sized from; the server's answers (evaluate.ts), whose decryption outside the result positions and
// whose c1 do not depend on the weights, with the leaky variants (no mask, no re-randomisation) as positive controls;
// malformed messages and parameter mismatches rejected by field; the 128-bit security table.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prg, SEED_BYTES } from "../src/core/prg.js";
import { Ring } from "../src/core/ring.js";
import type { HePlan } from "../src/he/backend.js";
import { SimdBackend } from "../src/he/simd/backend.js";
import { chooseLayout, forEachResult, makeLayout, noiseBound, type ProductLayout } from "../src/he/simd/blocks.js";
import { CBD_ETA, checkSecurity, DEFAULT_SIMD, MAX_LOG_QP_128, simdHandshakeParams } from "../src/he/simd/params.js";
import { modInverse } from "../src/core/modular.js";
import { nttPrimes } from "../src/he/simd/rns.js";
import { packingElements, RlweContext, type Ct, type GaloisKey, type PublicKey, type SecretKey } from "../src/he/simd/scheme.js";
import { productTasks, runTask, type GroupAnswer } from "../src/he/simd/evaluate.js";
import { HEADER_BYTES } from "../src/he/simd/wire.js";
import { Party } from "../src/mpc/party.js";
import { ProtocolError } from "../src/net/errors.js";
import { memoryPair } from "../src/net/memory.js";
import { expectMismatchOnBoth } from "./he-util.js";
import { randomRing } from "./mpc-util.js";
import { recording, type Frame } from "./recording.js";

const P = DEFAULT_SIMD;
const T = 2 ** 37;
const t = 1n << 37n;
const seeded = (s: number) => Prg.fromSeed(new Uint8Array(16).fill(s));
const log2 = (x: number) => (x > 0 ? Math.log2(x) : -Infinity);
const mod = (x: number, m: number) => ((x % m) + m) % m;

/** Chi-square statistic of a histogram against equal cell probabilities, and its p = 10^-4 critical value. */
function uniformity(counts: ArrayLike<number>): { chi: number; critical: number } {
  const total = Array.from(counts).reduce((s, v) => s + v, 0);
  const e = total / counts.length;
  let chi = 0;
  for (let i = 0; i < counts.length; i++) chi += (counts[i] - e) ** 2 / e;
  return { chi, critical: critical(counts.length - 1) };
}

/** Chi-square homogeneity of two histograms over the same cells. */
function homogeneity(x: ArrayLike<number>, y: ArrayLike<number>): { chi: number; critical: number } {
  const nx = Array.from(x).reduce((s, v) => s + v, 0);
  const ny = Array.from(y).reduce((s, v) => s + v, 0);
  let chi = 0;
  let cells = 0;
  for (let i = 0; i < x.length; i++) {
    const both = x[i] + y[i];
    if (both === 0) continue;
    cells++;
    const [ex, ey] = [(both * nx) / (nx + ny), (both * ny) / (nx + ny)];
    chi += (x[i] - ex) ** 2 / ex + (y[i] - ey) ** 2 / ey;
  }
  return { chi, critical: critical(Math.max(1, cells - 1)) };
}

/** Wilson–Hilferty: the chi-square quantile at p = 10^-4 (z = 3.72). */
function critical(df: number): number {
  return df * (1 - 2 / (9 * df) + 3.72 * Math.sqrt(2 / (9 * df))) ** 3;
}

/** Histogram of the `bits`-bit field at `shift` of the values. */
function histogram(values: Iterable<bigint>, shift: number, bits: number): number[] {
  const h = new Array<number>(2 ** bits).fill(0);
  const m = (1n << BigInt(bits)) - 1n;
  for (const v of values) h[Number((v >> BigInt(shift)) & m)]++;
  return h;
}

describe("simd HE security (N = 8192, t = 2^37)", () => {
  // a context of its own (the backend keeps one per thread): same parameters, so the same primes and answer sizes
  const ctx = new RlweContext(P);
  const n = ctx.n;
  const rns = ctx.rns;
  let sk: SecretKey;
  let pk: PublicKey;
  /** Encryptions of zero under it add nothing: finishAnswer without its re-randomisation. */
  let zeroPk: PublicKey;
  let keys: Map<number, GaloisKey>;

  beforeAll(async () => {
    const prg = await seeded(3);
    sk = ctx.secretKey(prg);
    pk = ctx.publicKey(sk, prg, prg.fork());
    zeroPk = { b: ctx.alloc(ctx.top), a: ctx.alloc(ctx.top) };
    rns.view(zeroPk.b, ctx.top).fill(0);
    rns.view(zeroPk.a, ctx.top).fill(0);
    keys = new Map(packingElements(n, P.maxPack).map((g) => [g, ctx.galoisKey(sk, g, prg, prg.fork())]));
  }, 60_000);

  afterAll(() => {
    ctx.free(sk.sNtt, pk.a, pk.b, zeroPk.a, zeroPk.b);
    for (const k of keys.values()) ctx.free(k.k0, k.k1);
  });

  // ---- scheme-level pieces of the two parties ----

  /** n uniform values < 2^37 (exact doubles). */
  function uniform37(g: Prg, count = n): Float64Array {
    const w = new Uint32Array(2 * count);
    g.fill(new Uint8Array(w.buffer));
    return Float64Array.from({ length: count }, (_, i) => (w[2 * i + 1] & 31) * 2 ** 32 + w[2 * i]);
  }

  /** A u64 vector in kernel memory holding the values (integers in [0, 2^37)). */
  function u64(values: ArrayLike<number>): number {
    const ptr = rns.w.alloc(8 * n);
    const v = new BigUint64Array(rns.w.memory.buffer, ptr, n);
    for (let i = 0; i < n; i++) v[i] = BigInt(values[i]);
    return ptr;
  }

  function readU64(ptr: number): BigUint64Array {
    return new BigUint64Array(rns.w.memory.buffer, ptr, n).slice();
  }

  /** The client's upload: a seeded symmetric encryption of m at level L. */
  function encrypt(m: ArrayLike<number>, L: number, g: Prg): Ct {
    const mp = u64(m);
    const a = ctx.alloc(L);
    ctx.uniform(g, a, ctx.dataPrimes(L));
    const c0 = ctx.encryptSymmetric(sk, mp, L, a, g);
    rns.w.free(mp);
    return { c0, c1: a, L };
  }

  /**
   * The server's accumulation of one answer, Σ_c upload_c · W_c: weight blocks through the pruned NTT as backend.ts
   * does, products and sums prime by prime (exact mod q, as the server's multiply-accumulate).
   */
  function blockProduct(uploads: Ct[], w: Float64Array[], L: number, wDeg: number): Ct {
    const out: Ct = { c0: ctx.alloc(L), c1: ctx.alloc(L), L };
    rns.view(out.c0, L).fill(0);
    rns.view(out.c1, L).fill(0);
    const wv = ctx.alloc(1);
    const tmp = ctx.alloc(1);
    for (let j = 0; j < L; j++) {
      const q = ctx.primes[j];
      uploads.forEach((up, c) => {
        const v = rns.view(wv);
        for (let i = 0; i < wDeg; i++) v[i] = mod(w[c][i], q);
        rns.nttPruned(wv, j, wDeg);
        for (const [o, x] of [[out.c0, up.c0], [out.c1, up.c1]]) {
          rns.mul(tmp, ctx.vec(x, j), wv, j);
          rns.add(ctx.vec(o, j), ctx.vec(o, j), tmp, j);
        }
      });
    }
    ctx.free(wv, tmp);
    return out;
  }

  function copyCt(ct: Ct): Ct {
    const out: Ct = { c0: ctx.alloc(ct.L), c1: ctx.alloc(ct.L), L: ct.L };
    rns.view(out.c0, ct.L).set(rns.view(ct.c0, ct.L));
    rns.view(out.c1, ct.L).set(rns.view(ct.c1, ct.L));
    return out;
  }

  /** The first step of finishAnswer, on its own: adds (b·u + e0, a·u + e1), the public-key encryption of zero. */
  function rerandomise(ct: Ct, g: Prg): void {
    const { L } = ct;
    const u = ctx.alloc(L);
    const e = ctx.alloc(L);
    const tmp = ctx.alloc(1);
    ctx.smallNtt(u, ctx.ternary(g), ctx.dataPrimes(L));
    for (const [part, key] of [[ct.c0, pk.b], [ct.c1, pk.a]] as const) {
      ctx.smallNtt(e, ctx.cbd(g), ctx.dataPrimes(L));
      for (let j = 0; j < L; j++) {
        rns.mul(tmp, ctx.vec(key, j), ctx.vec(u, j), j);
        rns.add(ctx.vec(part, j), ctx.vec(part, j), tmp, j);
        rns.add(ctx.vec(part, j), ctx.vec(part, j), ctx.vec(e, j), j);
      }
    }
    ctx.free(u, e, tmp);
  }

  /** The exact phase c0 + c1·s mod Q_L of every coefficient, centred (CRT over the L primes). Consumes ct. */
  function phase(ct: Ct): bigint[] {
    const { L } = ct;
    const Q = ctx.modulus(L);
    const basis = ctx.primes.slice(0, L).map((q) => {
      const Qj = Q / BigInt(q);
      return (Qj * modInverse(Qj % BigInt(q), BigInt(q))) % Q;
    });
    const res: Uint32Array[] = [];
    for (let j = 0; j < L; j++) {
      const x = ctx.vec(ct.c1, j);
      rns.mul(x, x, ctx.vec(sk.sNtt, j), j);
      rns.add(x, x, ctx.vec(ct.c0, j), j);
      rns.intt(x, j);
      res.push(rns.view(x).slice());
    }
    ctx.freeCt(ct);
    const half = Q / 2n;
    return Array.from({ length: n }, (_, i) => {
      let v = 0n;
      for (let j = 0; j < L; j++) v += BigInt(res[j][i]) * basis[j];
      v %= Q;
      return v > half ? v - Q : v;
    });
  }

  /** Max and RMS of the decrypted noise where the plaintext is known (`expected(i)` < t, or undefined to skip). */
  function noiseOf(ct: Ct, expected: (i: number) => number | undefined): { max: number; rms: number } {
    const Q = ctx.modulus(ct.L);
    const v = phase(ct);
    let max = 0;
    let sq = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const y = expected(i);
      if (y === undefined) continue;
      let e = (v[i] - (2n * Q * BigInt(y) + t) / (2n * t)) % Q; // phase − round(Q·y/t)
      if (e > Q / 2n) e -= Q;
      if (e < -Q / 2n) e += Q;
      const a = Math.abs(Number(e));
      max = Math.max(max, a);
      sq += a * a;
      count++;
    }
    return { max, rms: Math.sqrt(sq / count) };
  }

  /**
   * Coefficients x = 0, pack, 2·pack, … of Σ_c m_c·w_c mod 2^37 in Z[X]/(X^N + 1), in doubles: m = ml + 2^19·mh and
   * w = wl + 2^18·wh keep every partial sum below 2^53 (the 2^37·mh·wh part vanishes mod 2^37).
   */
  function reference(ms: Float64Array[], w: Float64Array[], pack: number): Float64Array {
    const cnt = n / pack;
    const [sll, slh, shl] = [new Float64Array(cnt), new Float64Array(cnt), new Float64Array(cnt)];
    ms.forEach((m, c) => {
      const ml = m.map((v) => v % 2 ** 19);
      const mh = m.map((v) => Math.floor(v / 2 ** 19));
      w[c].forEach((wv, e) => {
        if (wv === 0) return;
        const wl = mod(wv, 2 ** 18);
        const wh = (wv - wl) / 2 ** 18;
        const first = Math.ceil(e / pack); // below it x − e wraps: X^N = −1
        for (let xi = 0; xi < first; xi++) {
          const i = xi * pack - e + n;
          sll[xi] -= ml[i] * wl;
          slh[xi] -= ml[i] * wh;
          shl[xi] -= mh[i] * wl;
        }
        for (let xi = first; xi < cnt; xi++) {
          const i = xi * pack - e;
          sll[xi] += ml[i] * wl;
          slh[xi] += ml[i] * wh;
          shl[xi] += mh[i] * wl;
        }
      });
    });
    return sll.map((v, xi) => mod(mod(v, T) + mod(slh[xi], 2 ** 19) * 2 ** 18 + mod(shl[xi], 2 ** 18) * 2 ** 19, T));
  }

  /** Weight blocks of column block o: W_b = Σ W[j,l]·X^(l·nw + j), one per inner block. */
  function weightBlocks(l: ProductLayout, W: Float64Array, o: number): Float64Array[] {
    return Array.from({ length: l.cb }, (_, c) => {
      const out = new Float64Array(l.wDeg);
      for (let x = 0; x < l.kw && o * l.kw + x < l.m; x++) {
        for (let j = 0; j < l.nw && c * l.nw + j < l.k; j++) out[x * l.nw + j] = W[(c * l.nw + j) * l.m + o * l.kw + x];
      }
      return out;
    });
  }

  /** The client's block c of row block 0: Σ A[i,j]·X^(i·nw·kw − j), with X^−j = −X^(N−j). */
  function inputBlock(l: ProductLayout, A: Float64Array, c: number): Float64Array {
    const m = new Float64Array(n);
    for (let i = 0; i < Math.min(l.mw, l.n); i++) {
      for (let j = 0; j < l.nw && c * l.nw + j < l.k; j++) {
        const v = A[i * l.k + c * l.nw + j];
        const e = i * l.nw * l.kw - j;
        if (e >= 0) m[e] = v;
        else m[n + e] = mod(-v, T);
      }
    }
    return m;
  }

  /**
   * The server's own answer (evaluate.ts, as its pool runs it) for group 0 of row block 0: c0's and c1's top bits on
   * every coefficient and the mask it drew. `key` is the public key, or zeroPk to skip the re-randomisation.
   */
  async function serverAnswer(l: ProductLayout, uploads: Ct[], W: Float64Array, key: PublicKey, seed: number): Promise<GroupAnswer> {
    const size = l.L * n;
    const flat = new Uint32Array(2 * size * uploads.length);
    uploads.forEach((u, i) => {
      flat.set(rns.view(u.c0, l.L), 2 * i * size);
      flat.set(rns.view(u.c1, l.L), (2 * i + 1) * size);
    });
    const { macs, packs } = productTasks(l, W, flat, n, () => new Uint8Array(16).fill(seed), false);
    const server = { pk: key, keys };
    for (const t of macs) await runTask(ctx, server, t);
    return (await runTask(ctx, server, packs[0]))!;
  }

  /** Every coefficient of an answer, decrypted (as if c0 had been sent in full). */
  function decryptAll(ans: { c0: BigUint64Array; c1: BigUint64Array }): BigUint64Array {
    const [c0, c1, out] = [rns.w.alloc(8 * n), rns.w.alloc(8 * n), rns.w.alloc(8 * n)];
    new BigUint64Array(rns.w.memory.buffer, c0, n).set(ans.c0);
    new BigUint64Array(rns.w.memory.buffer, c1, n).set(ans.c1);
    ctx.decodeAnswer(sk, c0, c1, out);
    const dec = readU64(out);
    for (const ptr of [c0, c1, out]) rns.w.free(ptr);
    return dec;
  }

  // ---- 1. noise against the bound ----

  describe("decrypted noise against noiseBound", () => {
    const primes = nttPrimes(P.polyDegree, P.dataPrimes + 1);
    const cases: [string, ProductLayout][] = [
      ["QKV 128×768·768×2304, 16-bit W, given block", makeLayout(P, primes, 128, 768, 2304, 16, { mw: 128, nw: 16, kw: 4 })!],
      ["QKV 128×768·768×2304, 16-bit W, chooseLayout's block", chooseLayout(P, primes, 128, 768, 2304, 16)],
      ["FFN2 128×3072·3072×768, 16-bit W, chooseLayout's block", chooseLayout(P, primes, 128, 3072, 768, 16)],
      ["share×share 128×64·64×128, 37-bit W, given block", makeLayout(P, primes, 128, 64, 128, 37, { mw: 128, nw: 16, kw: 4 })!],
      ["share×share 128×64·64×128, 37-bit W, chooseLayout's block", chooseLayout(P, primes, 128, 64, 128, 37)],
      ["share×share 128×128·128×64, 37-bit W, chooseLayout's block", chooseLayout(P, primes, 128, 128, 64, 37)],
    ];

    it.each(cases)("%s", async (label, l) => {
      expect(l.ob).toBeGreaterThanOrEqual(l.pack); // a full pack: every coefficient carries a known plaintext
      const g = await seeded(7);
      const pack = l.pack;
      // the uploads: uniform m on every coefficient; the weights: the largest magnitudes of wBits signed bits
      const ms = Array.from({ length: l.cb }, () => uniform37(g));
      const uploads = ms.map((m) => encrypt(m, l.L, g));
      const signs = new Uint8Array(pack * l.cb * l.wDeg);
      g.fill(signs);
      const wMax = 2 ** (l.wBits - 1);
      const w = Array.from({ length: pack }, (_, s) =>
        Array.from({ length: l.cb }, (_, c) => {
          const b = new Float64Array(l.wDeg);
          for (let x = 0; x < l.kw; x++) for (let j = 0; j < l.nw; j++) b[x * l.nw + j] = signs[(s * l.cb + c) * l.wDeg + x * l.nw + j] & 1 ? -wMax : wMax - 1;
          return b;
        }),
      );
      const refs = w.map((ws) => reference(ms, ws, pack));
      const cts = w.map((ws) => blockProduct(uploads, ws, l.L, l.wDeg));
      for (const up of uploads) ctx.freeCt(up);

      const product = noiseOf(copyCt(cts[0]), (i) => (i % pack === 0 ? refs[0][i / pack] : undefined));
      const packed = ctx.pack(cts, pack, keys);
      const at = (i: number) => refs[i % pack][Math.floor(i / pack)];
      const afterPack = noiseOf(copyCt(packed), at);
      const rr = copyCt(packed);
      rerandomise(rr, g);
      const final = noiseOf(rr, at);

      const bound = noiseBound(P, l, l.cb, l.wBits, l.L, pack);
      const productBound = (CBD_ETA + 0.5) * l.nw * l.kw * l.cb * wMax + 0.5;
      // the layout sizes its flooding from the bound at the top level (more key-switch digits, so larger)
      const layoutBound = noiseBound(P, l, l.cb, l.wBits, P.dataPrimes, pack);
      const f = (x: number) => log2(x).toFixed(1);
      console.log(
        `${label} (${l.mw}×${l.nw}×${l.kw}): L = ${l.L}, cb = ${l.cb}, pack = ${pack}, ${l.nw * l.kw * l.cb} terms | max |noise| 2^${f(product.max)} (rms 2^${f(product.rms)}) ` +
          `after the products [product bound 2^${f(productBound)}], 2^${f(afterPack.max)} after packing, 2^${f(final.max)} (rms 2^${f(final.rms)}) ` +
          `after re-randomisation | noiseBound 2^${f(bound)} (top level 2^${f(layoutBound)}), margin ${(log2(bound) - log2(final.max)).toFixed(1)} bits | ` +
          `flooding 2^${l.floodBits}, ${(l.floodBits - log2(layoutBound)).toFixed(1)} bits above the bound`,
      );
      expect(product.max).toBeLessThan(productBound);
      expect(final.max).toBeLessThan(bound);
      expect(bound).toBeLessThanOrEqual(layoutBound);
      expect(l.floodBits - log2(layoutBound)).toBeGreaterThanOrEqual(P.sigma);

      // with the layout's flooding at the level chooseLevel picked, every coefficient still decrypts exactly
      const mask = uniform37(g);
      const mp = u64(mask);
      const fin = ctx.finishAnswer(packed, pk, mp, l.floodBits, g);
      const dec = decryptAll({ c0: readU64(fin.c0), c1: readU64(fin.c1) });
      for (const ptr of [mp, fin.c0, fin.c1]) rns.w.free(ptr);
      let wrong = 0;
      for (let i = 0; i < n; i++) if (dec[i] !== BigInt(mod(at(i) + mask[i], T))) wrong++;
      expect(wrong).toBe(0);
    }, 30_000);

    // In the products above the weights' term dominates; here the other two terms of the bound on their own, from
    // noise-free encryptions of zero (c0 = −a·s) at the top level, where key switching has the most digits.
    it("the packing and re-randomisation terms on their own", async () => {
      const g = await seeded(8);
      const L = P.dataPrimes;
      const pack = P.maxPack;
      const exactZero = (): Ct => {
        const ct: Ct = { c0: ctx.alloc(L), c1: ctx.alloc(L), L };
        ctx.uniform(g, ct.c1, ctx.dataPrimes(L));
        for (let j = 0; j < L; j++) {
          rns.mul(ctx.vec(ct.c0, j), ctx.vec(ct.c1, j), ctx.vec(sk.sNtt, j), j);
          rns.neg(ctx.vec(ct.c0, j), ctx.vec(ct.c0, j), j);
        }
        return ct;
      };
      const block = { mw: 1, nw: pack, kw: 1 };
      const packed = ctx.pack(Array.from({ length: pack }, exactZero), pack, keys);
      const rr = copyCt(packed);
      rerandomise(rr, g);
      const onlyPack = noiseOf(packed, () => 0);
      const both = noiseOf(rr, () => 0);
      const fresh = exactZero();
      rerandomise(fresh, g);
      const onlyRerandomise = noiseOf(fresh, () => 0);
      const packBound = noiseBound(P, block, 0, 1, L, pack);
      const rerandomiseBound = noiseBound(P, block, 0, 1, L, 0);
      const f = (x: number) => log2(x).toFixed(1);
      console.log(
        `noise-free zeros at L = ${L}: packing ${pack} max 2^${f(onlyPack.max)} (rms 2^${f(onlyPack.rms)}), with re-randomisation 2^${f(both.max)} ` +
          `[bound without the product term 2^${f(packBound)}]; re-randomisation alone 2^${f(onlyRerandomise.max)} [bound 2^${f(rerandomiseBound)}]`,
      );
      expect(onlyPack.max).toBeGreaterThan(0);
      expect(both.max).toBeLessThan(packBound);
      expect(onlyRerandomise.max).toBeGreaterThan(0);
      expect(onlyRerandomise.max).toBeLessThan(rerandomiseBound);
    }, 30_000);
  });

  // ---- 2. the client's view of an answer ----

  describe("an answer does not depend on W beyond the result", () => {
    // 16 output columns make 4 answers, packed 4 to a ciphertext with 16 inner terms per block: the packed
    // positions x + s with x a multiple of 4 but not of 16 hold answer s's cross terms Σ A[i,j]·W[j′,l] (j ≠ j′),
    // not results: 6144 of the 8192 coefficients
    const primes = nttPrimes(P.polyDegree, P.dataPrimes + 1);
    const l = makeLayout(P, primes, 128, 32, 16, 16, { mw: 128, nw: 16, kw: 4 })!;
    const results = new Map<number, [number, number]>(); // position → [row, column]
    forEachResult(l, 0, (i, col, pos) => results.set(pos, [i, col]));
    const outside = Array.from({ length: n }, (_, i) => i).filter((i) => !results.has(i));
    // small activations (the control needs structure to detect) with inner column 5 zero, so that rows 5 of W and W′
    // may differ with the same product A·W = A·W′
    let A: Float64Array;
    let W: Float64Array;
    let W2: Float64Array;
    let Y: bigint[];
    let uploads: Ct[];
    let blocks: Float64Array[];

    beforeAll(async () => {
      const g = await seeded(11);
      const bytes = g.bytes(l.n * l.k);
      A = Float64Array.from(bytes, (b, i) => (i % l.k === 5 ? 0 : b & 15));
      const w16 = () => Float64Array.from(uniform37(g, l.k * l.m), (v) => (v % 2 ** 16) - 2 ** 15);
      W = w16();
      W2 = W.slice();
      const other = w16();
      for (let x = 0; x < l.m; x++) W2[5 * l.m + x] = other[5 * l.m + x];
      Y = Array.from({ length: l.n * l.m }, (_, idx) => {
        const [i, x] = [Math.floor(idx / l.m), idx % l.m];
        let s = 0;
        for (let j = 0; j < l.k; j++) s += A[i * l.k + j] * W[j * l.m + x];
        return BigInt(mod(s, T));
      });
      blocks = Array.from({ length: l.cb }, (_, c) => inputBlock(l, A, c));
      uploads = blocks.map((m) => encrypt(m, l.L, g));
    }, 30_000);

    afterAll(() => {
      for (const up of uploads ?? []) ctx.freeCt(up);
    });

    it("the layout leaves three quarters of the coefficients outside the result", () => {
      expect([l.rb, l.cb, l.ob, l.pack, l.groups]).toEqual([1, 2, 4, 4, 1]);
      expect(results.size).toBe(2048);
      expect(outside.length).toBe(6144);
      for (let x = 0; x < l.m; x++) expect(W2[5 * l.m + x] === W[5 * l.m + x]).toBe(false);
    });

    it("masked: results are exact, everything else is uniform mod 2^37 and the same for W and W′", async () => {
      const hist: number[][] = [];
      const stats: string[] = [];
      for (const [w, seed] of [[W, 12], [W2, 13]] as const) {
        const ans = await serverAnswer(l, uploads, w, pk, seed);
        const dec = decryptAll(ans);
        for (const [pos, [i, col]] of results) expect(dec[pos]).toBe((Y[i * l.m + col] + ans.mask[pos]) & (t - 1n));
        const rest = outside.map((i) => dec[i]);
        for (const [shift, bits] of [[33, 4], [0, 4]]) {
          const h = histogram(rest, shift, bits);
          const u = uniformity(h);
          expect(u.chi, `bits ${shift}..${shift + bits - 1}`).toBeLessThan(u.critical);
          hist.push(h);
          stats.push(u.chi.toFixed(1));
        }
      }
      for (const k of [0, 1]) {
        const hg = homogeneity(hist[k], hist[k + 2]);
        expect(hg.chi).toBeLessThan(hg.critical);
        stats.push(hg.chi.toFixed(1));
      }
      console.log(`masked answers, ${outside.length} coefficients outside the result: chi-square (df 15, critical ${critical(15).toFixed(1)}) top/low 4 bits W ${stats[0]}/${stats[1]}, W′ ${stats[2]}/${stats[3]}; W against W′ ${stats[4]}/${stats[5]}`);
    }, 30_000);

    it("control, no mask: the coefficients outside the result are A·W's, not uniform, and tell W from W′", async () => {
      // what a server that did not mask would reveal: the decryption minus the mask it drew
      const chis: string[] = [];
      const decs: BigUint64Array[] = [];
      for (const [w, seed] of [[W, 14], [W2, 15]] as const) {
        const ans = await serverAnswer(l, uploads, w, pk, seed);
        const dec = decryptAll(ans).map((v, i) => (v - ans.mask[i]) & (t - 1n));
        // in the clear: answer s's coefficient x sits at x + s
        const refs = Array.from({ length: l.pack }, (_, s) => reference(blocks, weightBlocks(l, w, s), l.pack));
        for (let i = 0; i < n; i++) expect(dec[i]).toBe(BigInt(refs[i % l.pack][Math.floor(i / l.pack)]));
        for (const [pos, [i, col]] of results) expect(dec[pos]).toBe(Y[i * l.m + col]);
        const u = uniformity(histogram(outside.map((i) => dec[i]), 33, 4));
        expect(u.chi).toBeGreaterThan(100 * u.critical);
        chis.push(u.chi.toFixed(0));
        decs.push(dec);
      }
      const differ = outside.filter((i) => decs[0][i] !== decs[1][i]).length;
      expect(differ).toBeGreaterThan(outside.length / 2);
      console.log(`unmasked control: chi-square of the top 4 bits W ${chis[0]}, W′ ${chis[1]}; ${differ} of ${outside.length} coefficients differ between W and W′`);
    }, 30_000);

    it("c1 is re-randomised: uniform, and different on every run; without the public key it is a function of a and W", async () => {
      const b1 = ctx.b1;
      const c1Of = async (w: Float64Array, key: PublicKey, seed: number) => (await serverAnswer(l, uploads, w, key, seed)).c1;
      // the conversion to top bits errs by up to L/4 + 1/2 units depending on the residues: compare within that
      const tol = BigInt(Math.ceil(2 * (l.L / 4 + 0.5)));
      const top = 1n << BigInt(b1);
      const same = (x: BigUint64Array, y: BigUint64Array) =>
        x.reduce((s, v, i) => {
          const d = (v - y[i] + top) % top;
          return s + (d <= tol || top - d <= tol ? 1 : 0);
        }, 0);

      const [r1, r2] = [await c1Of(W, pk, 21), await c1Of(W, pk, 22)];
      expect(same(r1, r2)).toBeLessThan(4);
      for (const c1 of [r1, r2]) {
        const u = uniformity(histogram(c1, b1 - 4, 4));
        expect(u.chi).toBeLessThan(u.critical);
      }
      const r3 = await c1Of(W2, pk, 23);
      const hg = homogeneity(histogram(r1, b1 - 4, 4), histogram(r3, b1 - 4, 4));
      expect(hg.chi).toBeLessThan(hg.critical);

      // control: the server's code with a public key of zeros, so its encryption of zero adds nothing. The other
      // randomness (errors, flooding, mask) changes, c1 does not: it is Σ a·W plus key-switch terms, so it
      // identifies W (and with a, leaks it)
      const [k1, k2, k3] = [await c1Of(W, zeroPk, 31), await c1Of(W, zeroPk, 32), await c1Of(W2, zeroPk, 33)];
      expect(same(k1, k2)).toBe(n);
      expect(same(k1, k3)).toBeLessThan(n / 2);
      console.log(
        `c1 (${n} coefficients equal within ±${tol}): re-randomised, same W ${same(r1, r2)}, chi-square ${uniformity(histogram(r1, b1 - 4, 4)).chi.toFixed(1)}; ` +
          `without re-randomisation, same W ${same(k1, k2)}, W against W′ ${same(k1, k3)}`,
      );
    }, 30_000);
  });

  // ---- 3, 4. the protocol: malformed messages, parameter mismatches ----

  describe("protocol messages", () => {
    const ring = new Ring(37, 12);
    const plan: HePlan = { n: 8, k: 24, m: 10, aBits: 37, wBits: 16 };
    let server: Party;
    let client: Party;
    let he: [SimdBackend, SimdBackend];
    /** Real messages of one session, as the peer received them: keys, one upload, two answers to it. */
    let keyMsg: Uint8Array;
    let upload: Uint8Array;
    let answer1: Uint8Array;
    const serverLog: Frame[] = [];
    const clientLog: Frame[] = [];
    const received = (log: Frame[], tag: string) => log.filter((f) => f.dir === "received" && f.tag === tag).map((f) => f.payload!);

    const a = () => randomRing(plan.n * plan.k, ring);
    const w = () => BigInt64Array.from({ length: plan.k * plan.m }, (_, i) => BigInt((i * 7919) % 65536) - 32768n);

    beforeAll(async () => {
      const [cs, cc] = memoryPair();
      [server, client] = await Promise.all([Party.create("server", recording(cs, serverLog)), Party.create("client", recording(cc, clientLog))]);
      he = await Promise.all([SimdBackend.setup(server), SimdBackend.setup(client)]);
      const W = w();
      await Promise.all([he[0].products(server, ring, [{ plan, w: W }]), he[1].products(client, ring, [{ plan, a: a() }])]);
      [keyMsg] = received(serverLog, "he.keys");
      [upload] = received(serverLog, "he.product.in");
      [answer1] = received(clientLog, "he.product.out");
    }, 120_000);

    afterAll(async () => {
      for (const b of he ?? []) await b.close();
    });

    /** A copy of `msg` with `edit` applied. */
    const edited = (msg: Uint8Array, edit: (b: Uint8Array, v: DataView) => void) => {
      const b = msg.slice();
      edit(b, new DataView(b.buffer));
      return b;
    };
    const appended = (msg: Uint8Array) => {
      const b = new Uint8Array(msg.length + 4);
      b.set(msg);
      return b;
    };
    /** Sets the 32 bits at byte `at`: a 30-bit residue that starts there becomes 2^30 − 1, above every prime. */
    const allOnes = (at: number) => (b: Uint8Array) => b.fill(0xff, at, at + 4);
    const count = (msg: Uint8Array) => new DataView(msg.buffer, msg.byteOffset).getUint32(8, true);

    const expectField = async (run: Promise<unknown>, pattern: RegExp, label: string) => {
      const err = await run.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, label).toBeInstanceOf(ProtocolError);
      expect((err as Error).message, label).toMatch(pattern);
    };

    /** The header's damage, named by the field, for any message. */
    const headerCases = (msg: Uint8Array, field: string): [string, Uint8Array, RegExp][] => {
      const f = field.replace(/\./g, "\\.");
      return [
        ["truncated", msg.subarray(0, msg.length - 4), new RegExp(`^${f}: body of \\d+ bytes, expected \\d+ \\(truncated\\)`)],
        ["cut inside the header", msg.subarray(0, 7), new RegExp(`^${f}: 7 bytes, shorter than the 12-byte header`)],
        ["empty", new Uint8Array(0), new RegExp(`^${f}: 0 bytes, shorter than the 12-byte header`)],
        ["trailing bytes", appended(msg), new RegExp(`^${f}: body of \\d+ bytes, expected \\d+ \\(trailing bytes\\)`)],
        ["bad magic", edited(msg, (b) => (b[0] ^= 1)), new RegExp(`^${f}\\.magic`)],
        ["wrong version", edited(msg, (b) => (b[4] = 2)), new RegExp(`^${f}\\.version: got 2`)],
        ["wrong kind", edited(msg, (b) => (b[5] = b[5] === 1 ? 2 : 1)), new RegExp(`^${f}\\.kind`)],
        ["reserved bytes set", edited(msg, (b) => (b[6] = 1)), new RegExp(`^${f}\\.reserved`)],
        ["wrong count", edited(msg, (_, v) => v.setUint32(8, count(msg) + 1, true)), new RegExp(`^${f}\\.count: expected ${count(msg)}, got ${count(msg) + 1}`)],
      ];
    };

    it("the client rejects a malformed he.product.out by field", async () => {
      for (const [label, msg, pattern] of headerCases(answer1, "he.product.out")) {
        const run = he[1].products(client, ring, [{ plan, a: a() }]);
        await server.ch.recv("he.product.in");
        server.ch.send("he.product.out", msg);
        await expectField(run, pattern, label);
      }
    }, 60_000);

    it("the server rejects a malformed he.product.in by field", async () => {
      const first = HEADER_BYTES + SEED_BYTES; // the first residue of the first upload
      const cases: [string, Uint8Array, RegExp][] = [
        ...headerCases(upload, "he.product.in"),
        ["residue ≥ its prime", edited(upload, allOnes(first)), /^he\.product\.in\b.*\[0\].*not below \d+/],
      ];
      for (const [label, msg, pattern] of cases) {
        const run = he[0].products(server, ring, [{ plan, w: w() }]);
        client.ch.send("he.product.in", msg);
        await expectField(run, pattern, label);
      }
    }, 60_000);

    it("the server rejects a malformed he.keys by field", async () => {
      const params = new TextEncoder().encode(JSON.stringify(simdHandshakeParams(ctx.params, ctx.primes)));
      const vecBytes = (n * 30) / 8;
      const galois = HEADER_BYTES + ctx.top * vecBytes + SEED_BYTES; // the first Galois key's first residue
      const g0 = packingElements(n, P.maxPack)[0];
      const cases: [string, Uint8Array, RegExp][] = [
        ...headerCases(keyMsg, "he.keys"),
        ["public key residue ≥ its prime", edited(keyMsg, allOnes(HEADER_BYTES)), /^he\.keys\.pk\[0\].*not below \d+/],
        ["Galois key residue ≥ its prime", edited(keyMsg, allOnes(galois)), new RegExp(`^he\\.keys\\.galois\\[${g0}\\]\\[0\\].*not below \\d+`)],
      ];
      for (const [label, msg, pattern] of cases) {
        const run = SimdBackend.setup(server);
        client.ch.send("he.params", params);
        await client.ch.recv("he.params");
        client.ch.send("he.keys", msg);
        await expectField(run, pattern, label);
      }
      // a parameter list that is not a record
      const run = SimdBackend.setup(server);
      client.ch.send("he.params", new TextEncoder().encode("[1, 2]"));
      await client.ch.recv("he.params");
      await expectField(run, /^he\.params: the peer's parameter list is malformed/, "he.params");
    }, 60_000);

    it("the real answer message: uniform-looking bytes, and a second answer to the same upload and W shares none of it", async () => {
      // the captured upload again, to the real server with the same weights as in the first run
      const run = he[0].products(server, ring, [{ plan, w: w() }]);
      client.ch.send("he.product.in", upload);
      const [shares, answer2] = await Promise.all([run, client.ch.recv("he.product.out")]);
      expect(shares).toHaveLength(1);
      expect(answer2.length).toBe(answer1.length);
      // c1's top bits fill almost all of the body: re-randomised, they are uniform bytes that differ between runs;
      // without the re-randomisation they would repeat (the scheme-level control above)
      const body1 = answer1.subarray(HEADER_BYTES);
      const body2 = answer2.subarray(HEADER_BYTES);
      const h = new Array<number>(256).fill(0);
      for (const b of body1) h[b]++;
      const u = uniformity(h);
      const equal = body1.reduce((s, v, i) => s + (v === body2[i] ? 1 : 0), 0);
      console.log(`answer message, ${body1.length} bytes: byte chi-square ${u.chi.toFixed(0)} (df 255, critical ${u.critical.toFixed(0)}); ${equal} bytes equal in a second answer (1/256 expected: ${(body1.length / 256).toFixed(0)})`);
      expect(u.chi).toBeLessThan(u.critical);
      expect(equal).toBeLessThan(body1.length / 128);
    }, 60_000);

    it.each([
      ["he.sigma", { ...P, sigma: 41 }],
      ["he.maxPack", { ...P, maxPack: 16 }],
      ["he.primes", { ...P, dataPrimes: 4 }],
    ])("different SimdParams fail on both sides naming %s", async (field, other) => {
      const [s, c] = await Promise.allSettled([SimdBackend.setup(server, [], P), SimdBackend.setup(client, [], other)]);
      expectMismatchOnBoth([s, c], field);
    }, 60_000);

    it("the pair still works after all of the above", async () => {
      const A = randomRing(plan.n * plan.k, ring);
      const W = w();
      const [ys, yc] = await Promise.all([he[0].products(server, ring, [{ plan, w: W }]), he[1].products(client, ring, [{ plan, a: A }])]);
      for (let i = 0; i < plan.n; i++) {
        for (let x = 0; x < plan.m; x++) {
          let s = 0n;
          for (let j = 0; j < plan.k; j++) s += A[i * plan.k + j] * W[j * plan.m + x];
          expect((ys[0][i * plan.m + x] + yc[0][i * plan.m + x]) & ring.mask).toBe(BigInt.asUintN(64, s) & ring.mask);
        }
      }
    }, 60_000);
  });

  describe("the 128-bit security table", () => {
    it("log2(QP) of the default chain is about 180 ≤ MAX_LOG_QP_128[8192] = 218", () => {
      expect(MAX_LOG_QP_128[8192]).toBe(218);
      expect(ctx.logQP).toBeGreaterThan(179);
      expect(ctx.logQP).toBeLessThanOrEqual(180);
      expect(checkSecurity(8192, ctx.primes)).toBeCloseTo(ctx.logQP, 9);
    });

    it("rejects a chain over the table: 8 primes of 30 bits at N = 8192, and a context asking for them", () => {
      const primes = nttPrimes(8192, 8);
      expect(checkSecurity(8192, primes.slice(0, 7))).toBeLessThanOrEqual(218); // 7 × 30 = 210 bits: allowed
      expect(() => checkSecurity(8192, primes)).toThrow(/log2\(QP\) = 240\.0 exceeds 218 bits, the 128-bit security limit at N = 8192/);
      expect(() => checkSecurity(4096, primes.slice(0, 4))).toThrow(/exceeds 109 bits/);
      expect(() => new RlweContext({ ...P, dataPrimes: 7 })).toThrow(/exceeds 218 bits/);
    });
  });
});
