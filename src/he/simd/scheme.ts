// RLWE encryption with t = 2^ell over the RNS chain of rns.ts: keys, seeded symmetric encryption, public-key
// re-randomisation, hybrid key switching (one special prime P), automorphisms, BumbleBee-style interleave packing,
// and answers that leave as the top bits of (c0, c1) and decrypt straight to Z_2^ell.
//
// Ciphertexts are (c0, c1) with c0 + c1·s = round(Q·m/t) + e (mod Q), held in NTT form over the first L primes;
// a `Poly` of L vectors is L consecutive residue vectors.
import type { Prg } from "../../core/prg.js";
import { answerBits, CBD_ETA, checkSecurity, checkSimdParams, DEFAULT_SIMD, type SimdParams } from "./params.js";
import { modInverse } from "../../core/modular.js";
import { nttPrimes, Rns, type Poly } from "./rns.js";

export interface Ct {
  c0: Poly;
  c1: Poly;
  L: number;
}

export interface SecretKey {
  s: Int8Array;
  /** NTT form over every prime of the chain (the special one last). */
  sNtt: Poly;
}

/** (b, a) with b = −a·s + e over the data primes, NTT form; a comes from a seed. */
export interface PublicKey {
  b: Poly;
  a: Poly;
}

/**
 * Switching from s(X^g) to s: for digit i (prime q_i) and every prime j of the chain, k0[i][j] = −a·s + e + [i = j]·P·s(X^g)
 * and k1[i][j] = a (seeded), NTT form.
 */
export interface GaloisKey {
  g: number;
  k0: Poly;
  k1: Poly;
}

/** The Galois elements interleave packing uses: X → X^(N/d + 1) for d = 1, 2, …, maxPack/2. */
export function packingElements(n: number, maxPack: number): number[] {
  const out: number[] = [];
  for (let d = 1; d < maxPack; d *= 2) out.push(n / d + 1);
  return out;
}

export class RlweContext {
  readonly rns: Rns;
  readonly n: number;
  readonly ell: number;
  /** Data primes of the top level; the special prime has index `top`. */
  readonly top: number;
  readonly primes: readonly number[];
  readonly logQP: number;
  readonly b0: number;
  readonly b1: number;
  /** P^−1 mod q_j for the mod-down of key switching. */
  private readonly specialInverse: bigint[];
  private readonly consts = new Map<string, number>();
  private readonly monomials = new Map<string, Poly>();

  constructor(readonly params: SimdParams) {
    checkSimdParams(params);
    this.n = params.polyDegree;
    this.ell = params.plainBits;
    this.top = params.dataPrimes;
    this.primes = nttPrimes(this.n, params.dataPrimes + 1);
    this.logQP = checkSecurity(this.n, this.primes);
    this.rns = new Rns(this.n, this.primes);
    ({ b0: this.b0, b1: this.b1 } = answerBits(params));
    const bigP = BigInt(this.primes[this.top]);
    this.specialInverse = this.primes.slice(0, this.top).map((q) => modInverse(bigP, BigInt(q)));
  }

  /** Pointer to vector j of a multi-vector polynomial. */
  vec(a: Poly, j: number): Poly {
    return a + 4 * this.n * j;
  }

  alloc(count: number): Poly {
    return this.rns.alloc(count);
  }

  free(...ptrs: number[]): void {
    for (const p of ptrs) this.rns.free(p);
  }

  freeCt(ct: Ct): void {
    this.free(ct.c0, ct.c1);
  }

  /** Q_L = q_0·…·q_(L−1). */
  modulus(L: number): bigint {
    return this.primes.slice(0, L).reduce((a, q) => a * BigInt(q), 1n);
  }

  // ---- sampling (all from a PRG stream, so seeded values can be re-derived by the peer) ----

  ternary(prg: Prg): Int8Array {
    const out = new Int8Array(this.n);
    const buf = new Uint8Array(this.n + 64);
    let at = buf.length;
    for (let i = 0; i < this.n; ) {
      if (at === buf.length) {
        prg.fill(buf);
        at = 0;
      }
      const b = buf[at++];
      if (b < 255) out[i++] = (b % 3) - 1; // 255 = 3·85: rejecting it leaves b mod 3 uniform
    }
    return out;
  }

  /** Centred binomial errors (η = 21): popcount of 21 bits minus popcount of the next 21. */
  cbd(prg: Prg): Int8Array {
    const out = new Int8Array(this.n);
    const words = new Uint32Array(2 * this.n);
    prg.fill(new Uint8Array(words.buffer));
    const m = (1 << CBD_ETA) - 1;
    for (let i = 0; i < this.n; i++) out[i] = popcount(words[2 * i] & m) - popcount(words[2 * i + 1] & m);
    return out;
  }

  /**
   * Uniform residues (NTT form, so no transform) for the listed primes, vector by vector into `out`: per prime, PRG
   * words in buffers of N + 256 (a fresh buffer per prime, so both parties consume the stream identically),
   * rejecting 30-bit values ≥ q.
   */
  uniform(prg: Prg, out: Poly, primeIdx: readonly number[]): void {
    const n = this.n;
    const words = n + 256;
    const buf = this.rns.w.alloc(4 * words);
    try {
      primeIdx.forEach((j, v) => {
        for (let have = 0; have < n; ) {
          prg.fill(this.rns.w.u8(buf, 4 * words));
          have = this.rns.k.sampleUniform(this.vec(out, v), have, n, buf, words, this.primes[j]);
        }
      });
    } finally {
      this.rns.w.free(buf);
    }
  }

  /** out (vector v per listed prime) = NTT of the small signed polynomial e. */
  smallNtt(out: Poly, e: ArrayLike<number>, primeIdx: readonly number[]): void {
    primeIdx.forEach((j, v) => {
      const o = this.vec(out, v);
      this.rns.setSigned(o, e, j);
      this.rns.ntt(o, j);
    });
  }

  /** Adds the small signed polynomial e to vectors 0..L−1 (coefficient form). */
  addSmall(x: Poly, e: ArrayLike<number>, L: number): void {
    const tmp = this.alloc(1);
    for (let j = 0; j < L; j++) {
      this.rns.setSigned(tmp, e, j);
      this.rns.add(this.vec(x, j), this.vec(x, j), tmp, j);
    }
    this.free(tmp);
  }

  nttAll(x: Poly, L: number): void {
    for (let j = 0; j < L; j++) this.rns.ntt(this.vec(x, j), j);
  }

  inttAll(x: Poly, L: number): void {
    for (let j = 0; j < L; j++) this.rns.intt(this.vec(x, j), j);
  }

  // ---- keys ----

  secretKey(prg: Prg): SecretKey {
    const s = this.ternary(prg);
    const sNtt = this.alloc(this.top + 1);
    this.smallNtt(sNtt, s, this.chain());
    return { s, sNtt };
  }

  /** Every prime index of the chain: the data primes, then the special prime. */
  chain(L = this.top): number[] {
    return [...Array.from({ length: L }, (_, j) => j), this.top];
  }

  dataPrimes(L: number): number[] {
    return Array.from({ length: L }, (_, j) => j);
  }

  /** b = −a·s + e over the top level's data primes, with a drawn from `seedPrg`. */
  publicKey(sk: SecretKey, prg: Prg, seedPrg: Prg): PublicKey {
    const L = this.top;
    const a = this.alloc(L);
    this.uniform(seedPrg, a, this.dataPrimes(L));
    const b = this.alloc(L);
    this.smallNtt(b, this.cbd(prg), this.dataPrimes(L));
    const tmp = this.alloc(1);
    for (let j = 0; j < L; j++) {
      this.rns.mul(tmp, this.vec(a, j), this.vec(sk.sNtt, j), j);
      this.rns.sub(this.vec(b, j), this.vec(b, j), tmp, j);
    }
    this.free(tmp);
    return { b, a };
  }

  /** The server's copy: b as received, a re-derived from the seed. */
  publicKeyFrom(b: Poly, seedPrg: Prg): PublicKey {
    const a = this.alloc(this.top);
    this.uniform(seedPrg, a, this.dataPrimes(this.top));
    return { b, a };
  }

  /** Index of k[i][j] in a Galois key's vectors (j over the chain: data primes, then the special prime at `top`). */
  private keyVec(k: Poly, i: number, j: number): Poly {
    return this.vec(k, i * (this.top + 1) + j);
  }

  galoisKey(sk: SecretKey, g: number, prg: Prg, seedPrg: Prg): GaloisKey {
    const L = this.top;
    const chain = this.chain();
    const k1 = this.galoisA(seedPrg);
    const k0 = this.alloc(L * (L + 1));
    const sg = this.alloc(L + 1);
    for (let j = 0; j <= L; j++) this.rns.automorphism(this.vec(sg, j), this.vec(sk.sNtt, j), g);
    const tmp = this.alloc(1);
    const bigP = BigInt(this.primes[this.top]);
    for (let i = 0; i < L; i++) {
      const e = this.cbd(prg);
      chain.forEach((j) => {
        const o = this.keyVec(k0, i, j);
        this.rns.setSigned(o, e, j);
        this.rns.ntt(o, j);
        this.rns.mul(tmp, this.keyVec(k1, i, j), this.vec(sk.sNtt, j), j);
        this.rns.sub(o, o, tmp, j);
        if (j === i) {
          this.rns.mulScalar(tmp, this.vec(sg, j), bigP, j);
          this.rns.add(o, o, tmp, j);
        }
      });
    }
    this.free(tmp, sg);
    return { g, k0, k1 };
  }

  /** The a part of a Galois key from its seed (both parties derive it). */
  galoisA(seedPrg: Prg): Poly {
    const L = this.top;
    const k1 = this.alloc(L * (L + 1));
    for (let i = 0; i < L; i++) this.uniform(seedPrg, this.vec(k1, i * (L + 1)), this.chain());
    return k1;
  }

  /** Vectors per Galois key (its k0 part, which travels). */
  get galoisVectors(): number {
    return this.top * (this.top + 1);
  }

  // ---- encryption ----

  /**
   * Symmetric encryption of m (n values < t, u64 pointer `m` in kernel memory) at level L: returns c0 in NTT form;
   * c1 = a is the caller's (drawn from `seedPrg` over the first L primes).
   */
  encryptSymmetric(sk: SecretKey, m: number, L: number, a: Poly, prg: Prg): Poly {
    const c0 = this.alloc(L);
    this.encodeScaled(c0, m, L, false);
    this.addSmall(c0, this.cbd(prg), L);
    this.nttAll(c0, L);
    const tmp = this.alloc(1);
    for (let j = 0; j < L; j++) {
      this.rns.mul(tmp, this.vec(a, j), this.vec(sk.sNtt, j), j);
      this.rns.sub(this.vec(c0, j), this.vec(c0, j), tmp, j);
    }
    this.free(tmp);
    return c0;
  }

  /** out (L vectors, coefficient form) = round(Q_L·m/t) mod q_j, or += with `accumulate`. */
  encodeScaled(out: Poly, m: number, L: number, accumulate: boolean): void {
    this.rns.k.encodeScaled(out, m, this.n, L, this.encodeConsts(L), this.ell, accumulate ? 1 : 0);
  }

  private encodeConsts(L: number): number {
    return this.cached(`enc${L}`, () => {
      const Q = this.modulus(L);
      const t = 1n << BigInt(this.ell);
      const words: bigint[] = [];
      for (let j = 0; j < L; j++) words.push(BigInt(this.primes[j]), (Q / t) % BigInt(this.primes[j]));
      words.push(Q % t);
      return words;
    });
  }

  private cached(key: string, make: () => bigint[]): number {
    let ptr = this.consts.get(key);
    if (ptr === undefined) {
      const words = make();
      ptr = this.rns.w.alloc(8 * words.length);
      new BigUint64Array(this.rns.w.memory.buffer, ptr, words.length).set(words);
      this.consts.set(key, ptr);
    }
    return ptr;
  }

  // ---- key switching and packing (server) ----

  /**
   * Hybrid key switching of d (L vectors, NTT form) from s(X^g) to s: returns (ks0, ks1) with
   * ks0 + ks1·s ≈ d·s(X^g) mod Q_L. Digits are the residues of d (one per data prime), raised to QP, multiplied by
   * the key and brought down by P, which divides the key noise by P.
   */
  keySwitch(d: Poly, L: number, key: GaloisKey): [Poly, Poly] {
    const rns = this.rns;
    const comps = this.chain(L);
    // every digit raised to every component: D[i][c] (for c = i the input vector itself)
    const digits = this.alloc(L * (L + 1));
    const tmp = this.alloc(1);
    const D: Poly[][] = [];
    for (let i = 0; i < L; i++) {
      rns.copy(tmp, this.vec(d, i));
      rns.intt(tmp, i);
      D.push(
        comps.map((j, c) => {
          if (j === i) return this.vec(d, i);
          const v = this.vec(digits, i * (L + 1) + c);
          rns.reduce2(v, tmp, j);
          rns.ntt(v, j);
          return v;
        }),
      );
    }
    const raised = this.alloc(2 * (L + 1));
    comps.forEach((j, c) => {
      const col = D.map((row) => row[c]);
      const k0 = col.map((_, i) => this.keyVec(key.k0, i, j));
      const k1 = col.map((_, i) => this.keyVec(key.k1, i, j));
      rns.macShared(this.vec(raised, c), this.vec(raised, L + 1 + c), col, k0, k1, j);
    });
    const out0 = this.modDown(raised, L);
    const out1 = this.modDown(this.vec(raised, L + 1), L);
    this.free(tmp, digits, raised);
    return [out0, out1];
  }

  /** (x − [x]_P)/P over the first L primes, for x given over L data primes and P (NTT form, P last). */
  private modDown(x: Poly, L: number): Poly {
    const rns = this.rns;
    const xp = this.alloc(1);
    rns.copy(xp, this.vec(x, L));
    rns.intt(xp, this.top);
    const out = this.alloc(L);
    const y = this.alloc(1);
    for (let j = 0; j < L; j++) {
      rns.liftCentered(y, xp, this.top, j);
      rns.ntt(y, j);
      const o = this.vec(out, j);
      rns.sub(o, this.vec(x, j), y, j);
      rns.mulScalar(o, o, this.specialInverse[j], j);
    }
    this.free(xp, y);
    return out;
  }

  /** X^d in NTT form over vector j's prime. */
  private monomial(d: number, j: number): Poly {
    const key = `${d}:${j}`;
    let ptr = this.monomials.get(key);
    if (ptr === undefined) {
      ptr = this.alloc(1);
      const v = this.rns.view(ptr);
      v.fill(0);
      v[d] = 1;
      this.rns.ntt(ptr, j);
      this.monomials.set(key, ptr);
    }
    return ptr;
  }

  /**
   * Interleaves up to `pack` answers (a power of two; absent ones null) whose useful coefficients sit at multiples
   * of `pack` into one ciphertext holding answer j's coefficient at position x + j. Consumes the inputs.
   * Merge (A, B, gap d): (A + X^d·B) + τ(A − X^d·B) with τ: X → X^(N/d + 1), which fixes multiples of 2d and negates
   * odd multiples of d, so positions 2dg get 2A and 2dg + d get 2B; inputs are first scaled by pack^−1 mod Q.
   */
  pack(cts: (Ct | null)[], pack: number, keys: ReadonlyMap<number, GaloisKey>): Ct {
    const L = cts.find((c) => c !== null)?.L;
    if (L === undefined) throw new RangeError("pack: no ciphertext to pack");
    if (cts.length !== pack) throw new RangeError(`pack: expected ${pack} slots, got ${cts.length}`);
    const rns = this.rns;
    if (pack > 1) {
      const inv = modInverse(BigInt(pack), this.modulus(L));
      for (const ct of cts) {
        if (!ct) continue;
        for (let j = 0; j < L; j++) {
          rns.mulScalar(this.vec(ct.c0, j), this.vec(ct.c0, j), inv, j);
          rns.mulScalar(this.vec(ct.c1, j), this.vec(ct.c1, j), inv, j);
        }
      }
    }
    let cur = cts;
    for (let d = pack / 2; cur.length > 1; d /= 2) {
      const half = cur.length / 2;
      const next: (Ct | null)[] = [];
      for (let j = 0; j < half; j++) next.push(this.merge(cur[j], cur[j + half], d, L, keys));
      cur = next;
    }
    return cur[0]!;
  }

  private merge(A: Ct | null, B: Ct | null, d: number, L: number, keys: ReadonlyMap<number, GaloisKey>): Ct | null {
    const rns = this.rns;
    if (!B) {
      if (A) for (const c of [A.c0, A.c1]) for (let j = 0; j < L; j++) rns.add(this.vec(c, j), this.vec(c, j), this.vec(c, j), j);
      return A;
    }
    const g = this.n / d + 1;
    const key = keys.get(g);
    if (!key) throw new RangeError(`pack: no Galois key for X → X^${g}`);
    // U = X^d·B, in place in B
    for (const c of [B.c0, B.c1]) for (let j = 0; j < L; j++) rns.mul(this.vec(c, j), this.vec(c, j), this.monomial(d, j), j);
    const diff: Ct = { c0: this.alloc(L), c1: this.alloc(L), L };
    const sum = A ?? { c0: this.alloc(L), c1: this.alloc(L), L };
    for (let j = 0; j < L; j++) {
      if (A) {
        rns.sub(this.vec(diff.c0, j), this.vec(A.c0, j), this.vec(B.c0, j), j);
        rns.sub(this.vec(diff.c1, j), this.vec(A.c1, j), this.vec(B.c1, j), j);
        rns.add(this.vec(sum.c0, j), this.vec(A.c0, j), this.vec(B.c0, j), j);
        rns.add(this.vec(sum.c1, j), this.vec(A.c1, j), this.vec(B.c1, j), j);
      } else {
        rns.neg(this.vec(diff.c0, j), this.vec(B.c0, j), j);
        rns.neg(this.vec(diff.c1, j), this.vec(B.c1, j), j);
        rns.copy(this.vec(sum.c0, j), this.vec(B.c0, j));
        rns.copy(this.vec(sum.c1, j), this.vec(B.c1, j));
      }
    }
    this.freeCt(B);
    // τ(diff): permute both parts, then switch τ(c1) back to s
    const t0 = this.alloc(L);
    const t1 = this.alloc(L);
    for (let j = 0; j < L; j++) {
      rns.automorphism(this.vec(t0, j), this.vec(diff.c0, j), g);
      rns.automorphism(this.vec(t1, j), this.vec(diff.c1, j), g);
    }
    this.freeCt(diff);
    const [k0, k1] = this.keySwitch(t1, L, key);
    for (let j = 0; j < L; j++) {
      rns.add(this.vec(sum.c0, j), this.vec(sum.c0, j), this.vec(t0, j), j);
      rns.add(this.vec(sum.c0, j), this.vec(sum.c0, j), this.vec(k0, j), j);
      rns.add(this.vec(sum.c1, j), this.vec(sum.c1, j), this.vec(k1, j), j);
    }
    this.free(t0, t1, k0, k1);
    return sum;
  }

  // ---- answers ----

  /**
   * Makes an answer safe to send and returns its top bits (u64 pointers c0' of b0 bits, c1' of b1 bits per
   * coefficient): adds a fresh public-key encryption of zero (c1 no longer depends on the server's work), the
   * masks round(Q·r/t) on every coefficient, small errors and uniform flooding noise in [−2^floodBits, 2^floodBits).
   * `mask` is a u64 pointer of N values < t. Consumes ct.
   */
  finishAnswer(ct: Ct, pk: PublicKey, mask: number, floodBits: number, prg: Prg): { c0: number; c1: number } {
    const { L } = ct;
    const rns = this.rns;
    const n = this.n;
    const u = this.alloc(1);
    const tmp = this.alloc(1);
    const us = this.ternary(prg);
    for (let j = 0; j < L; j++) {
      rns.setSigned(u, us, j);
      rns.ntt(u, j);
      rns.mul(tmp, this.vec(pk.b, j), u, j);
      rns.add(this.vec(ct.c0, j), this.vec(ct.c0, j), tmp, j);
      rns.mul(tmp, this.vec(pk.a, j), u, j);
      rns.add(this.vec(ct.c1, j), this.vec(ct.c1, j), tmp, j);
    }
    this.free(u, tmp);
    this.inttAll(ct.c0, L);
    this.inttAll(ct.c1, L);
    this.addSmall(ct.c0, this.cbd(prg), L);
    this.addSmall(ct.c1, this.cbd(prg), L);
    const words = Math.ceil((floodBits + 1) / 32);
    const noise = rns.w.alloc(4 * n * words);
    prg.fill(rns.w.u8(noise, 4 * n * words));
    rns.k.addWideUniform(ct.c0, noise, n, L, this.floodConsts(L, floodBits), words, floodBits);
    rns.w.free(noise);
    this.encodeScaled(ct.c0, mask, L, true);
    const c0 = rns.w.alloc(8 * n);
    const c1 = rns.w.alloc(8 * n);
    rns.k.rnsToPow2(c0, ct.c0, n, L, this.pow2Consts(L, this.b0), this.b0);
    rns.k.rnsToPow2(c1, ct.c1, n, L, this.pow2Consts(L, this.b1), this.b1);
    this.freeCt(ct);
    return { c0, c1 };
  }

  private floodConsts(L: number, f: number): number {
    return this.cached(`flood${L}:${f}`, () => this.primes.slice(0, L).flatMap((q) => [BigInt(q), (1n << BigInt(f)) % BigInt(q)]));
  }

  private pow2Consts(L: number, bits: number): number {
    return this.cached(`pow2${L}:${bits}`, () => {
      const Q = this.modulus(L);
      const out: bigint[] = [];
      for (let j = 0; j < L; j++) {
        const q = BigInt(this.primes[j]);
        const whole = (1n << BigInt(bits)) / q;
        const frac = ((1n << BigInt(bits)) % q << 32n) / q;
        out.push(q, modInverse((Q / q) % q, q), whole & ((1n << BigInt(bits)) - 1n), frac);
      }
      return out;
    });
  }

  /**
   * The client's decryption of an answer given as top bits (u64 pointers): out[i] = m_i mod 2^ell for every
   * coefficient (meaningful where c0' was sent). c1'·s is computed exactly over three primes (|c1'·s| < N·2^b1).
   */
  decodeAnswer(sk: SecretKey, c0: number, c1: number, out: number): void {
    const rns = this.rns;
    const n = this.n;
    const r = this.alloc(3);
    const halves = new Uint32Array(rns.w.memory.buffer, c1, 2 * n);
    for (let j = 0; j < 3; j++) {
      const q = this.primes[j];
      const two32 = 2 ** 32 % q;
      const dst = rns.view(this.vec(r, j));
      for (let i = 0; i < n; i++) dst[i] = (((halves[2 * i + 1] % q) * two32) % q + (halves[2 * i] % q)) % q;
      rns.ntt(this.vec(r, j), j);
      rns.mul(this.vec(r, j), this.vec(r, j), this.vec(sk.sNtt, j), j);
      rns.intt(this.vec(r, j), j);
    }
    rns.k.decodeAnswer(out, c0, r, n, this.decodeConsts(), this.b0, this.b1, this.ell);
    this.free(r);
  }

  private decodeConsts(): number {
    return this.cached("decode", () => {
      const [q0, q1, q2] = this.primes.slice(0, 3).map(BigInt);
      const m64 = (1n << 64n) - 1n;
      return [q0, q1, q2, modInverse(q0, q1), modInverse(q0 * q1, q2), (q0 * q1) & m64, (q0 * q1 * q2) & m64];
    });
  }
}

const contexts = new Map<string, RlweContext>();

/** The RLWE context of these parameters in this thread (its tables are built once). */
export function rlweContext(params: SimdParams = DEFAULT_SIMD): RlweContext {
  const key = JSON.stringify(params);
  let ctx = contexts.get(key);
  if (!ctx) contexts.set(key, (ctx = new RlweContext(params)));
  return ctx;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
