// A chain of 30-bit NTT primes with their tables, over a kernel instance of its own (assembly/rlwe.ts). Polynomials
// live in kernel memory as u32[N] per prime; callers hold byte pointers (`Poly`) and views made on demand, since a
// growing memory detaches old views. Residues are always reduced (< q) between calls.
import { modInverse, modPow } from "../../core/modular.js";
import { kernelModule, Wasm } from "../../core/wasm.js";

/** A byte pointer to N u32 residues in kernel memory. */
export type Poly = number;

interface RlweExports {
  nttForward(a: number, n: number, tw: number, tws: number, p: number): void;
  nttForwardPruned(a: number, n: number, deg: number, tw: number, tws: number, p: number): void;
  nttInverse(a: number, n: number, itw: number, itws: number, p: number, nInv: number, nInvS: number): void;
  polyAdd(c: number, a: number, b: number, n: number, p: number): void;
  polySub(c: number, a: number, b: number, n: number, p: number): void;
  polyNeg(c: number, a: number, n: number, p: number): void;
  polyMulScalar(c: number, a: number, s: number, ss: number, n: number, p: number): void;
  polyMul(c: number, a: number, b: number, n: number, p: number, c32: number, c30: number): void;
  macShared(out0: number, out1: number, ss: number, xs: number, ys: number, terms: number, n: number, p: number, c32: number, c30: number, acc: number): void;
  polyGather(c: number, a: number, perm: number, n: number): void;
  polyReduce2(c: number, a: number, n: number, p: number): void;
  polyLiftCentered(c: number, a: number, n: number, bigP: number, p: number): void;
  rnsToPow2(out: number, x: number, n: number, L: number, consts: number, bits: number): void;
  encodeScaled(out: number, m: number, n: number, L: number, consts: number, ell: number, accumulate: number): void;
  addWideUniform(out: number, w: number, n: number, L: number, consts: number, words: number, fBits: number): void;
  decodeAnswer(out: number, c0: number, r: number, n: number, consts: number, b0: number, b1: number, ell: number): void;
  residuesOf(out: number, x: number, n: number, p: number): void;
  sampleUniform(out: number, from: number, n: number, w: number, count: number, p: number): number;
  packBits(out: number, x: number, n: number, bits: number, wide: number): number;
  unpackBits(x: number, inp: number, n: number, bits: number, wide: number, bound: bigint): number;
}

function isPrime(n: bigint): boolean {
  if (n < 2n) return false;
  let d = n - 1n;
  let s = 0;
  for (; (d & 1n) === 0n; d >>= 1n) s++;
  for (const a of [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n]) {
    if (n === a) return true;
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let r = 1; r < s && composite; r++) {
      x = (x * x) % n;
      if (x === n - 1n) composite = false;
    }
    if (composite) return false;
  }
  return true;
}

/**
 * The `count` largest primes p ≡ 1 mod 2N below 2^30 and above 2^30 − 2^20 (the MAC fold needs 2^32 mod p < 2^22),
 * largest first.
 */
export function nttPrimes(n: number, count: number): number[] {
  const out: number[] = [];
  const step = 2 * n;
  for (let p = 2 ** 30 - step + 1; p > 2 ** 30 - 2 ** 20 && out.length < count; p -= step) if (isPrime(BigInt(p))) out.push(p);
  if (out.length < count) throw new RangeError(`only ${out.length} NTT primes ≡ 1 mod ${step} lie in (2^30 − 2^20, 2^30), ${count} needed`);
  return out;
}

function bitReverse(x: number, bits: number): number {
  let r = 0;
  for (let i = 0; i < bits; i++, x >>= 1) r = (r << 1) | (x & 1);
  return r;
}

/** floor(w·2^32/p): Shoup's precomputed quotient for multiplying by w mod p. */
export function shoupOf(w: number, p: number): number {
  return Number((BigInt(w) << 32n) / BigInt(p));
}

interface PrimeTables {
  p: number;
  tw: Poly;
  tws: Poly;
  itw: Poly;
  itws: Poly;
  nInv: number;
  nInvS: number;
  c32: number;
  c30: number;
  /** A primitive 2N-th root of unity. */
  psi: bigint;
}

export class Rns {
  readonly w: Wasm;
  readonly k: RlweExports;
  readonly logN: number;
  private readonly tables: PrimeTables[];
  private readonly perms = new Map<number, Poly>();
  /** Pointer lists for macShared (three arrays of ptrCap u32). */
  private ptrs = 0;
  private ptrCap = 0;
  /** macShared's accumulators (2 × 1024 u64). */
  private macAcc = 0;

  /** `primes`: every prime of the chain (data primes first, the special prime last). */
  constructor(
    readonly n: number,
    readonly primes: readonly number[],
  ) {
    if (!Number.isInteger(Math.log2(n)) || n < 16) throw new RangeError(`Rns: N must be a power of two ≥ 16, got ${n}`);
    this.logN = Math.log2(n);
    this.w = new Wasm(new WebAssembly.Memory({ initial: 16, maximum: 65536 }), kernelModule(), 0.25);
    this.k = this.w.k as unknown as RlweExports;
    this.tables = primes.map((p) => this.buildTables(p));
  }

  private buildTables(p: number): PrimeTables {
    const n = this.n;
    const P = BigInt(p);
    if ((p - 1) % (2 * n) !== 0 || p >= 2 ** 30) throw new RangeError(`Rns: ${p} is not a prime ≡ 1 mod 2N below 2^30`);
    let psi = 0n;
    for (let g = 2n; psi === 0n; g++) {
      const c = modPow(g, (P - 1n) / BigInt(2 * n), P);
      if (modPow(c, BigInt(n), P) === P - 1n) psi = c;
    }
    const psiInv = modInverse(psi, P);
    const tw = this.alloc();
    const tws = this.alloc();
    const itw = this.alloc();
    const itws = this.alloc();
    const pow = new Array<bigint>(n);
    const ipow = new Array<bigint>(n);
    pow[0] = ipow[0] = 1n;
    for (let i = 1; i < n; i++) {
      pow[i] = (pow[i - 1] * psi) % P;
      ipow[i] = (ipow[i - 1] * psiInv) % P;
    }
    const [a, as, b, bs] = [this.view(tw), this.view(tws), this.view(itw), this.view(itws)];
    for (let k = 0; k < n; k++) {
      const r = bitReverse(k, this.logN);
      a[k] = Number(pow[r]);
      as[k] = shoupOf(a[k], p);
      b[k] = Number(ipow[r]);
      bs[k] = shoupOf(b[k], p);
    }
    const nInv = Number(modInverse(BigInt(n), P));
    return { p, tw, tws, itw, itws, nInv, nInvS: shoupOf(nInv, p), c32: Number((1n << 32n) % P), c30: Number((1n << 30n) % P), psi };
  }

  /** A fresh polynomial (one residue vector), contents undefined. */
  alloc(count = 1): Poly {
    return this.w.alloc(4 * this.n * count);
  }

  free(a: Poly): void {
    this.w.free(a);
  }

  /** A u32 view of `count` consecutive residue vectors (re-create after any allocation). */
  view(a: Poly, count = 1): Uint32Array {
    return new Uint32Array(this.w.memory.buffer, a, this.n * count);
  }

  p(j: number): number {
    return this.tables[j].p;
  }

  ntt(a: Poly, j: number): void {
    const t = this.tables[j];
    this.k.nttForward(a, this.n, t.tw, t.tws, t.p);
  }

  /** Forward NTT of a polynomial with no coefficients at or above `deg` (a power of two). */
  nttPruned(a: Poly, j: number, deg: number): void {
    const t = this.tables[j];
    this.k.nttForwardPruned(a, this.n, deg, t.tw, t.tws, t.p);
  }

  intt(a: Poly, j: number): void {
    const t = this.tables[j];
    this.k.nttInverse(a, this.n, t.itw, t.itws, t.p, t.nInv, t.nInvS);
  }

  add(c: Poly, a: Poly, b: Poly, j: number): void {
    this.k.polyAdd(c, a, b, this.n, this.tables[j].p);
  }

  sub(c: Poly, a: Poly, b: Poly, j: number): void {
    this.k.polySub(c, a, b, this.n, this.tables[j].p);
  }

  neg(c: Poly, a: Poly, j: number): void {
    this.k.polyNeg(c, a, this.n, this.tables[j].p);
  }

  mul(c: Poly, a: Poly, b: Poly, j: number): void {
    const t = this.tables[j];
    this.k.polyMul(c, a, b, this.n, t.p, t.c32, t.c30);
  }

  /** c = s·a mod p_j for an integer s (any sign). */
  mulScalar(c: Poly, a: Poly, s: bigint, j: number): void {
    const p = this.tables[j].p;
    const v = Number(((s % BigInt(p)) + BigInt(p)) % BigInt(p));
    this.k.polyMulScalar(c, a, v, shoupOf(v, p), this.n, p);
  }

  /**
   * out0 = Σ_t s[t]·x[t] and out1 = Σ_t s[t]·y[t] mod p_j (inputs reduced), in one pass that keeps the sums in
   * registers.
   */
  macShared(out0: Poly, out1: Poly, s: readonly Poly[], x: readonly Poly[], y: readonly Poly[], j: number): void {
    const terms = s.length;
    if (x.length !== terms || y.length !== terms) throw new RangeError("macShared: the three lists must have the same length");
    if (terms > this.ptrCap) {
      if (this.ptrs) this.w.free(this.ptrs);
      this.ptrCap = Math.max(terms, 2 * this.ptrCap);
      this.ptrs = this.w.alloc(12 * this.ptrCap);
    }
    const cap = this.ptrCap;
    const v = new Uint32Array(this.w.memory.buffer, this.ptrs, 3 * cap);
    v.set(s, 0);
    v.set(x, cap);
    v.set(y, 2 * cap);
    const t = this.tables[j];
    this.macAcc ||= this.w.alloc(16 * 1024);
    this.k.macShared(out0, out1, this.ptrs, this.ptrs + 4 * cap, this.ptrs + 8 * cap, terms, this.n, t.p, t.c32, t.c30, this.macAcc);
  }

  /** c = a mod p_j for residues a of a prime below 2·p_j. */
  reduce2(c: Poly, a: Poly, j: number): void {
    this.k.polyReduce2(c, a, this.n, this.tables[j].p);
  }

  /** c = the centred residues a of prime `from`, reduced mod prime `to`. */
  liftCentered(c: Poly, a: Poly, from: number, to: number): void {
    this.k.polyLiftCentered(c, a, this.n, this.tables[from].p, this.tables[to].p);
  }

  /** c = a(X^g) for an NTT-form a (g odd); c must differ from a. */
  automorphism(c: Poly, a: Poly, g: number): void {
    this.k.polyGather(c, a, this.permutation(g), this.n);
  }

  copy(c: Poly, a: Poly): void {
    this.w.u8(c, 4 * this.n).set(this.w.u8(a, 4 * this.n));
  }

  /** Writes small signed integers (|v| < p) into c as residues mod p_j. */
  setSigned(c: Poly, values: ArrayLike<number>, j: number): void {
    const p = this.tables[j].p;
    const v = this.view(c);
    for (let i = 0; i < this.n; i++) {
      const x = values[i];
      v[i] = x < 0 ? x + p : x;
    }
  }

  /**
   * The NTT-form index permutation of X → X^g: output index i holds a(ψ^(2·brev(i)+1)), so τ_g(a) at index i is a
   * at the index whose exponent is (2·brev(i)+1)·g mod 2N. The same for every prime.
   */
  private permutation(g: number): Poly {
    let ptr = this.perms.get(g);
    if (ptr === undefined) {
      const n = this.n;
      if (g % 2 !== 1 || g <= 0 || g >= 2 * n) throw new RangeError(`automorphism: g must be odd in (0, 2N), got ${g}`);
      ptr = this.alloc();
      const perm = this.view(ptr);
      for (let i = 0; i < n; i++) {
        const e = (((2 * bitReverse(i, this.logN) + 1) * g) % (2 * n)) as number;
        perm[i] = bitReverse((e - 1) / 2, this.logN);
      }
      this.perms.set(g, ptr);
    }
    return ptr;
  }

  /** A primitive 2N-th root of unity mod p_j (tests). */
  psi(j: number): bigint {
    return this.tables[j].psi;
  }
}
