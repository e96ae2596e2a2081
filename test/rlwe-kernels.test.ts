// The RLWE kernels (assembly/rlwe.ts through src/he/simd/rns.ts) against BigInt references: NTT and its inverse,
// the pruned NTT, products, the shared-operand MAC with its folds, automorphisms, RNS conversions, the answer
// conversions (top bits, scaled encoding, wide flooding, decoding), residues of f64, rejection sampling, bit packing.
// Edge values: 0, p − 1, the lazy 4p range, Q − 1, all-ones words, ±(2^53 − 1), rounding ties and wrap-around.
// Constant tables are built from the layouts the kernels document, and RlweContext's own tables are checked against them.
import { describe, expect, it } from "vitest";
import { DEFAULT_SIMD } from "../src/he/simd/params.js";
import { modInverse, modPow } from "../src/core/modular.js";
import { nttPrimes, Rns } from "../src/he/simd/rns.js";
import { RlweContext, type SecretKey } from "../src/he/simd/scheme.js";

function rand(p: number, n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out.push(s % p);
  }
  return out;
}

/** Negacyclic schoolbook product mod p. */
function negacyclic(a: number[], b: number[], p: number): number[] {
  const n = a.length;
  const P = BigInt(p);
  const out = new Array<bigint>(n).fill(0n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const t = BigInt(a[i]) * BigInt(b[j]);
      if (i + j < n) out[i + j] += t;
      else out[i + j - n] -= t;
    }
  }
  return out.map((v) => Number(((v % P) + P) % P));
}

function evalAt(a: number[], x: bigint, p: number): number {
  const P = BigInt(p);
  let r = 0n;
  for (let i = a.length - 1; i >= 0; i--) r = (r * x + BigInt(a[i])) % P;
  return Number(r);
}

describe.each([64, 8192])("RLWE kernels at N = %i", (n) => {
  const primes = nttPrimes(n, 3);
  const rns = new Rns(n, primes);
  const put = (vals: number[]) => {
    const ptr = rns.alloc();
    rns.view(ptr).set(vals);
    return ptr;
  };
  const get = (ptr: number) => Array.from(rns.view(ptr));
  const logN = Math.log2(n);
  const brev = (x: number) => parseInt(x.toString(2).padStart(logN, "0").split("").reverse().join(""), 2);

  it("forward NTT evaluates at ψ^(2·brev(i)+1); inverse returns the input", () => {
    const p = primes[0];
    const a = rand(p, n, 7);
    a[0] = 0;
    a[1] = p - 1;
    const ptr = put(a);
    rns.ntt(ptr, 0);
    const f = get(ptr);
    for (const i of [0, 1, 2, n / 2, n - 1]) {
      expect(f[i]).toBe(evalAt(a, modPow(rns.psi(0), BigInt(2 * brev(i) + 1), BigInt(p)), p));
    }
    rns.intt(ptr, 0);
    expect(get(ptr)).toEqual(a);
  });

  it("forward NTT accepts the lazy range [0, 4p)", () => {
    const p = primes[1];
    const a = rand(p, n, 3);
    const lazy = a.map((v, i) => v + (i % 4) * p);
    lazy[5] = 4 * p - 1;
    a[5] = p - 1;
    const x = put(a);
    const y = put(lazy);
    rns.ntt(x, 1);
    rns.ntt(y, 1);
    expect(get(y)).toEqual(get(x));
  });

  it("NTT product equals the negacyclic product; pruned NTT equals the full one", () => {
    const p = primes[2];
    const a = rand(p, n, 11);
    const deg = Math.min(64, n / 4);
    const b = rand(p, n, 13).map((v, i) => (i < deg ? v : 0));
    const pa = put(a);
    const pb = put(b);
    const pb2 = put(b.map((v, i) => (i < deg ? v : 12345)));
    rns.ntt(pa, 2);
    rns.ntt(pb, 2);
    rns.nttPruned(pb2, 2, deg);
    expect(get(pb2)).toEqual(get(pb));
    rns.mul(pa, pa, pb, 2);
    rns.intt(pa, 2);
    if (n <= 64) expect(get(pa)).toEqual(negacyclic(a, b, p));
    else {
      // spot check a few coefficients of the negacyclic product
      const P = BigInt(p);
      for (const k of [0, 1, n - 1]) {
        let s = 0n;
        for (let i = 0; i < deg; i++) {
          const j = k - i;
          s += j >= 0 ? BigInt(b[i]) * BigInt(a[j]) : -BigInt(b[i]) * BigInt(a[j + n]);
        }
        expect(get(pa)[k]).toBe(Number(((s % P) + P) % P));
      }
    }
  });

  it("add, sub, neg, scalar product at the edges", () => {
    const p = primes[0];
    const P = BigInt(p);
    const a = rand(p, n, 5);
    const b = rand(p, n, 6);
    a[0] = 0; b[0] = 0;
    a[1] = p - 1; b[1] = p - 1;
    a[2] = 0; b[2] = p - 1;
    const [pa, pb, pc] = [put(a), put(b), rns.alloc()];
    rns.add(pc, pa, pb, 0);
    expect(get(pc)).toEqual(a.map((v, i) => (v + b[i]) % p));
    rns.sub(pc, pa, pb, 0);
    expect(get(pc)).toEqual(a.map((v, i) => (v - b[i] + p) % p));
    rns.neg(pc, pa, 0);
    expect(get(pc)).toEqual(a.map((v) => (p - v) % p));
    rns.mulScalar(pc, pa, -3n, 0);
    expect(get(pc)).toEqual(a.map((v) => Number((((BigInt(v) * -3n) % P) + P) % P)));
    rns.mul(pc, pa, pb, 0);
    expect(get(pc)).toEqual(a.map((v, i) => Number((BigInt(v) * BigInt(b[i])) % P)));
  });

  it("macShared over 20 terms (with folds) equals the BigInt sums", () => {
    const p = primes[1];
    const P = BigInt(p);
    const xs: number[][] = [];
    const ys: number[][] = [];
    for (let t = 0; t < 20; t++) {
      xs.push(t === 0 ? new Array<number>(n).fill(p - 1) : rand(p, n, 100 + t));
      ys.push(t === 0 ? new Array<number>(n).fill(p - 1) : rand(p, n, 200 + t));
    }
    const px = xs.map(put);
    const py = ys.map(put);
    const [o0, o1] = [rns.alloc(), rns.alloc()];
    rns.macShared(o0, o1, py, px, px.slice().reverse(), 1);
    const sum0 = new Array<bigint>(n).fill(0n);
    const sum1 = new Array<bigint>(n).fill(0n);
    for (let t = 0; t < 20; t++) {
      for (let i = 0; i < n; i++) {
        sum0[i] += BigInt(xs[t][i]) * BigInt(ys[t][i]);
        sum1[i] += BigInt(ys[t][i]) * BigInt(xs[19 - t][i]);
      }
    }
    expect(get(o0)).toEqual(sum0.map((s) => Number(s % P)));
    expect(get(o1)).toEqual(sum1.map((s) => Number(s % P)));
  });

  it("automorphism in NTT form equals X → X^g on coefficients", () => {
    const p = primes[0];
    const a = rand(p, n, 21);
    for (const g of [3, n + 1, 2 * n - 1]) {
      const pa = put(a);
      const pc = rns.alloc();
      rns.ntt(pa, 0);
      rns.automorphism(pc, pa, g);
      rns.intt(pc, 0);
      const ref = new Array<number>(n).fill(0);
      a.forEach((v, i) => {
        const e = (i * g) % (2 * n);
        if (e < n) ref[e] = (ref[e] + v) % p;
        else ref[e - n] = (ref[e - n] - v + p) % p;
      });
      expect(get(pc)).toEqual(ref);
    }
  });

  it("centred lift from one prime to another", () => {
    const [P, q] = [primes[0], primes[1]];
    const a = rand(P, n, 31);
    a[0] = 0;
    a[1] = (P - 1) / 2;
    a[2] = (P + 1) / 2;
    a[3] = P - 1;
    const pa = put(a);
    const pc = rns.alloc();
    rns.liftCentered(pc, pa, 0, 1);
    expect(get(pc)).toEqual(a.map((v) => ((v > (P - 1) / 2 ? v - P : v) % q + q) % q));
  });

  it("modInverse and modPow agree", () => {
    const P = BigInt(primes[0]);
    expect((modInverse(12345n, P) * 12345n) % P).toBe(1n);
  });
});

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
const product = (qs: readonly bigint[]) => qs.reduce((a, q) => a * q, 1n);

/** Random integers below 2^bits from 32-bit xorshift words. */
function randBig(bits: number, n: number, seed: number): bigint[] {
  const k = Math.ceil(bits / 32);
  const w = rand(2 ** 32, n * k, seed);
  const mask = (1n << BigInt(bits)) - 1n;
  return Array.from({ length: n }, (_, i) => w.slice(i * k, i * k + k).reduce((v, x) => (v << 32n) | BigInt(x), 0n) & mask);
}

// The kernels' constant tables, from the layouts documented in assembly/rlwe.ts.

/** rnsToPow2: per prime q, [(Q/q)^−1]_q, floor(2^bits/q) mod 2^bits, floor(frac(2^bits/q)·2^32). */
function pow2Table(qs: readonly bigint[], bits: number): bigint[] {
  const Q = product(qs);
  const M = 1n << BigInt(bits);
  return qs.flatMap((q) => [q, modInverse((Q / q) % q, q), (M / q) % M, ((M % q) << 32n) / q]);
}

/** encodeScaled: per prime (q, floor(Q/2^ell) mod q), then Q mod 2^ell. */
function encodeTable(qs: readonly bigint[], ell: number): bigint[] {
  const Q = product(qs);
  const t = 1n << BigInt(ell);
  return [...qs.flatMap((q) => [q, (Q / t) % q]), Q % t];
}

/** addWideUniform: per prime (q, 2^F mod q). */
function floodTable(qs: readonly bigint[], f: number): bigint[] {
  return qs.flatMap((q) => [q, (1n << BigInt(f)) % q]);
}

/** decodeAnswer: q0, q1, q2, q0^−1 mod q1, (q0·q1)^−1 mod q2, q0·q1 mod 2^64, q0·q1·q2 mod 2^64. */
function decodeTable([q0, q1, q2]: readonly bigint[]): bigint[] {
  const m64 = (1n << 64n) - 1n;
  return [q0, q1, q2, modInverse(q0, q1), modInverse(q0 * q1, q2), (q0 * q1) & m64, (q0 * q1 * q2) & m64];
}

/** round(v·2^ell/2^b1) mod 2^ell of v = c0'·2^(b1−b0) + X mod 2^b1 (halves round up). */
function decodeRef(c0: bigint, X: bigint, b0: number, b1: number, ell: number): bigint {
  const v = mod((c0 << BigInt(b1 - b0)) + X, 1n << BigInt(b1));
  return (((v << BigInt(ell + 1)) + (1n << BigInt(b1))) >> BigInt(b1 + 1)) % (1n << BigInt(ell));
}

describe.each([64, 8192])("answer, encoding and wire kernels at N = %i", (n) => {
  const primes = nttPrimes(n, 5);
  const qs = primes.map(BigInt);
  const rns = new Rns(n, primes);
  const buf = () => rns.w.memory.buffer;
  const u32 = (ptr: number, len: number) => new Uint32Array(buf(), ptr, len);
  const u64 = (ptr: number, len: number) => new BigUint64Array(buf(), ptr, len);
  const table = (words: bigint[]) => {
    const ptr = rns.w.alloc(8 * words.length);
    u64(ptr, words.length).set(words);
    return ptr;
  };
  /** L residue vectors of the integers xs (any sign), vector j mod prime j. */
  const residues = (xs: readonly bigint[], L: number) => {
    const ptr = rns.alloc(L);
    const v = rns.view(ptr, L);
    for (let j = 0; j < L; j++) for (let i = 0; i < n; i++) v[j * n + i] = Number(mod(xs[i], qs[j]));
    return ptr;
  };

  it.each([41, 54])("rnsToPow2 (bits = %i) is round(x·2^bits/Q) within L/4 + 1/2, modulo 2^bits", (bits) => {
    const M = 1n << BigInt(bits);
    for (const L of [3, 4, 5]) {
      const Q = product(qs.slice(0, L));
      const xs = randBig(30 * L + 32, n, 40 + L).map((v) => v % Q);
      // 0, Q − 1 (every residue q − 1, rounds to 2^bits ≡ 0), both sides of Q/2, and 1
      [0n, Q - 1n, (Q - 1n) / 2n, (Q + 1n) / 2n, 1n].forEach((v, i) => (xs[i] = v));
      const x = residues(xs, L);
      const out = rns.w.alloc(8 * n);
      rns.k.rnsToPow2(out, x, n, L, table(pow2Table(qs.slice(0, L), bits)), bits);
      const got = Array.from(u64(out, n));
      // |out − x·2^bits/Q| ≤ L/4 + 1/2 with the difference taken modulo 2^bits: in units of 1/Q, modulo 2^bits·Q
      const bad = got.filter((o, i) => {
        const e = mod(o * Q - xs[i] * M, M * Q);
        return 4n * (e > (M * Q) / 2n ? M * Q - e : e) > BigInt(L + 2) * Q;
      });
      expect(bad).toEqual([]);
      expect(got[0]).toBe(0n);
      expect(got.every((o) => o < M)).toBe(true);
    }
  });

  it.each([21, 37, 40])("encodeScaled (ell = %i) is round(Q·m/2^ell) mod q_j, written or accumulated", (ell) => {
    const t = 1n << BigInt(ell);
    for (const L of [3, 5]) {
      const Q = product(qs.slice(0, L));
      const ms = randBig(ell, n, ell + L);
      [0n, 1n, t - 1n, t / 2n, t / 2n - 1n, t / 2n + 1n].forEach((v, i) => (ms[i] = v));
      const mp = rns.w.alloc(8 * n);
      u64(mp, n).set(ms);
      const consts = table(encodeTable(qs.slice(0, L), ell));
      const enc = ms.map((m) => (2n * Q * m + t) / (2n * t));
      const out = rns.alloc(L);
      rns.view(out, L).fill(0xdeadbeef);
      rns.k.encodeScaled(out, mp, n, L, consts, ell, 0);
      const expected = (prior: (j: number, i: number) => bigint) =>
        Array.from({ length: L * n }, (_, k) => Number(mod(prior(Math.floor(k / n), k % n) + enc[k % n], qs[Math.floor(k / n)])));
      expect(Array.from(rns.view(out, L))).toEqual(expected(() => 0n));
      // accumulate onto residues that include q_j − 1
      const prior = Array.from({ length: L }, (_, j) => rand(primes[j], n, 90 + j).map((v, i) => (i % 3 === 0 ? primes[j] - 1 : v)));
      rns.view(out, L).set(prior.flat());
      rns.k.encodeScaled(out, mp, n, L, consts, ell, 1);
      expect(Array.from(rns.view(out, L))).toEqual(expected((j, i) => BigInt(prior[j][i])));
    }
  });

  it.each([63, 75, 91])("addWideUniform (F = %i) adds (v mod 2^(F+1)) − 2^F", (f) => {
    const words = Math.ceil((f + 1) / 32);
    const L = 5;
    const span = 1n << BigInt(f + 1);
    // raw words (bits above F + 1 set at random); rows 0–3: all ones, all zeros, v = 2^F (zero noise), v = 2^F − 1
    const raw = randBig(32 * words, n, f);
    raw[0] = (1n << BigInt(32 * words)) - 1n;
    raw[1] = 0n;
    raw[2] = (raw[2] & ~(span - 1n)) | (1n << BigInt(f));
    raw[3] = (raw[3] & ~(span - 1n)) | ((1n << BigInt(f)) - 1n);
    const w = rns.w.alloc(4 * n * words);
    const wv = u32(w, n * words);
    raw.forEach((v, i) => {
      for (let k = 0; k < words; k++) wv[i * words + k] = Number((v >> BigInt(32 * k)) & 0xffffffffn);
    });
    const prior = Array.from({ length: L }, (_, j) => rand(primes[j], n, 70 + j).map((v, i) => (i % 2 ? primes[j] - 1 : v)));
    const out = rns.alloc(L);
    rns.view(out, L).set(prior.flat());
    rns.k.addWideUniform(out, w, n, L, table(floodTable(qs.slice(0, L), f)), words, f);
    const noise = raw.map((v) => (v & (span - 1n)) - (1n << BigInt(f)));
    expect(noise.slice(0, 4)).toEqual([(1n << BigInt(f)) - 1n, -(1n << BigInt(f)), 0n, -1n]);
    expect(Array.from(rns.view(out, L))).toEqual(prior.flatMap((row, j) => row.map((v, i) => Number(mod(BigInt(v) + noise[i], qs[j])))));
  });

  it("decodeAnswer: Garner over three primes, centred, then the top ell bits of c0'·2^(b1−b0) + X", () => {
    const [b0, b1, ell] = [41, 54, 37];
    const sh = BigInt(b1 - ell);
    const lim = 1n << 67n;
    const Xs = randBig(68, n, 55).map((v) => (v & 1n ? -(v >> 1n) : v >> 1n));
    const c0s = randBig(b0, n, 56);
    // [X, c0']: zero, ±1, ±(2^67 − 1), the rounding tie 2^(sh−1) and just below it, −1 wrapping v to 2^b1 − 1 (rounds to 2^ell ≡ 0),
    // c0' at its maximum, and the farthest values the centring keeps: ±q0·q1·(q2 − 1)/2
    const half = (qs[0] * qs[1] * (qs[2] - 1n)) / 2n;
    const edges: [bigint, bigint][] = [
      [0n, 0n], [1n, 0n], [-1n, 0n], [lim - 1n, 0n], [1n - lim, 0n], [1n << (sh - 1n), 0n], [(1n << (sh - 1n)) - 1n, 0n],
      [-1n, (1n << BigInt(b0)) - 1n], [lim - 1n, (1n << BigInt(b0)) - 1n], [half, 5n], [-half, 5n],
    ];
    edges.forEach(([X, c], i) => ((Xs[i] = X), (c0s[i] = c)));
    const r = residues(Xs, 3);
    const c0 = rns.w.alloc(8 * n);
    u64(c0, n).set(c0s);
    const out = rns.w.alloc(8 * n);
    rns.k.decodeAnswer(out, c0, r, n, table(decodeTable(qs)), b0, b1, ell);
    const got = Array.from(u64(out, n));
    expect(got).toEqual(Xs.map((X, i) => decodeRef(c0s[i], X, b0, b1, ell)));
    expect([0, 1, 2, 5, 6].map((i) => got[i])).toEqual([0n, 0n, 0n, 1n, 0n]);
  });

  it("residuesOf: integer-valued f64 in ±2^53 mod p", () => {
    const top = 2 ** 53 - 1;
    for (const p of [primes[0], primes[4]]) {
      const k = Math.floor(top / p) * p; // the largest multiple of p below 2^53
      const edges = [0, 1, -1, top, -top, top - 1, -top + 1, p, -p, p - 1, -(p - 1), p + 1, -(p + 1), k, -k, k + 1, -k - 1, k - 1, -k + 1, 2 ** 52, -(2 ** 52)];
      // the band just above −2^53, where floor(x/p)·p exceeds 2^53 in magnitude
      for (let i = 2; i < 10; i++) edges.push(-top + i * 97, top - i * 97);
      const hi = rand(2 ** 21, n, 61);
      const lo = rand(2 ** 32, n, 62);
      const xs = hi.map((h, i) => (i % 2 ? -1 : 1) * (h * 2 ** 32 + lo[i]));
      edges.forEach((v, i) => (xs[i] = v));
      const inp = rns.w.alloc(8 * n);
      new Float64Array(buf(), inp, n).set(xs);
      const out = rns.alloc();
      rns.k.residuesOf(out, inp, n, p);
      const got = Array.from(rns.view(out));
      const P = BigInt(p);
      expect(xs.filter((v, i) => got[i] !== Number(mod(BigInt(v), P)))).toEqual([]);
    }
  });

  it("sampleUniform keeps the low 30 bits below p, continues from `from` and stops at n", () => {
    const p = primes[2];
    const m30 = 2 ** 30 - 1;
    const ws = rand(2 ** 32, n, 81);
    // accepted: 0, p − 1, p − 1 and 5 under high bits; rejected: p, 2^30 − 1, all ones
    [0, p - 1, p, m30, 0xffffffff, (0x80000000 | (p - 1)) >>> 0, 0x40000005].forEach((v, i) => (ws[i] = v));
    const accepted = ws.map((v) => (v & m30) >>> 0).filter((v) => v < p);
    expect(accepted.slice(0, 4)).toEqual([0, p - 1, p - 1, 5]);
    const w = rns.w.alloc(4 * 2 * n);
    u32(w, n).set(ws);
    const out = rns.alloc(2); // the second vector guards against writes past n
    rns.view(out, 2).fill(0xdeadbeef);
    const half = n / 2;
    const first = rns.k.sampleUniform(out, 0, n, w, half, p);
    const firstVals = ws.slice(0, half).map((v) => (v & m30) >>> 0).filter((v) => v < p);
    expect(first).toBe(firstVals.length);
    expect(Array.from(rns.view(out).subarray(0, first))).toEqual(firstVals);
    expect(rns.k.sampleUniform(out, first, n, w, 0, p)).toBe(first);
    // continuing from `first` with words that are all accepted (so more than n − first of them): stops at n
    const more = rand(p, 2 * n, 82);
    more[0] = p - 1;
    u32(w, 2 * n).set(more);
    expect(rns.k.sampleUniform(out, first, n, w, 2 * n, p)).toBe(n);
    const v = Array.from(rns.view(out, 2));
    expect(v.slice(0, first)).toEqual(firstVals);
    expect(v.slice(first, n)).toEqual(more.slice(0, n - first));
    expect(v.slice(n).every((x) => x === 0xdeadbeef)).toBe(true);
  });

  it.each([
    [30, 0],
    [32, 0],
    [41, 1],
    [54, 1],
    [64, 1],
  ])("packBits/unpackBits round trip at %i bits (wide = %i), with bound", (bits, wide) => {
    const B = BigInt(bits);
    const max = (1n << B) - 1n;
    const size = wide ? 8 : 4;
    for (const count of [1, 3, 63, 64]) {
      const vals = randBig(bits, count, bits * 100 + count);
      vals[0] = max;
      if (count > 2) vals[2] = 0n;
      const src = rns.w.alloc(size * count);
      if (wide) u64(src, count).set(vals);
      else u32(src, count).set(vals.map(Number));
      const words = Math.ceil((count * bits) / 32);
      const packed = rns.w.alloc(4 * words + 4);
      u32(packed, words + 1).fill(0xdeadbeef);
      expect(rns.k.packBits(packed, src, count, bits, wide)).toBe(4 * words);
      // the little-endian stream Σ v_i·2^(i·bits), zero padded, and nothing written past it
      const stream = vals.reduce((s, v, i) => s | (v << (B * BigInt(i))), 0n);
      const pv = Array.from(u32(packed, words + 1));
      expect(pv.slice(0, words)).toEqual(Array.from({ length: words }, (_, k) => Number((stream >> BigInt(32 * k)) & 0xffffffffn)));
      expect(pv[words]).toBe(0xdeadbeef);
      // unpacking reads only the stream (the word after it is all ones) and writes only `count` values
      u32(packed, words + 1)[words] = 0xffffffff;
      const dst = rns.w.alloc(size * (count + 1));
      const read = () => (wide ? Array.from(u64(dst, count + 1)) : Array.from(u32(dst, count + 1), BigInt));
      const sentinel = wide ? 0x0123456789abcdefn : 0x89abcdefn;
      const unpack = (bound: bigint) => {
        if (wide) u64(dst, count + 1).fill(sentinel);
        else u32(dst, count + 1).fill(Number(sentinel));
        return rns.k.unpackBits(dst, packed, count, bits, wide, bound);
      };
      expect(unpack(0n)).toBe(-1);
      expect(read()).toEqual([...vals, sentinel]);
      // bound: the first index whose value is ≥ bound, −1 when none
      const bounds = [1n, max, max / 2n + 1n, vals[count - 1], vals[count - 1] + 1n];
      if (bits < 64) bounds.push(1n << B);
      for (const bound of bounds.filter((b) => b > 0n && b < 1n << 64n)) {
        expect(unpack(bound)).toBe(vals.findIndex((v) => v >= bound));
        expect(read()).toEqual([...vals, sentinel]);
      }
    }
  });

  it("polyReduce2 maps [0, 2p) to [0, p)", () => {
    const p = primes[3];
    const a = rand(2 * p, n, 91);
    [0, p - 1, p, p + 1, 2 * p - 1, 2 * p - 2].forEach((v, i) => (a[i] = v));
    const pa = rns.alloc();
    rns.view(pa).set(a);
    const pc = rns.alloc();
    rns.reduce2(pc, pa, 3);
    expect(Array.from(rns.view(pc))).toEqual(a.map((v) => v % p));
    rns.reduce2(pa, pa, 3);
    expect(Array.from(rns.view(pa))).toEqual(a.map((v) => v % p));
  });
});

describe("RlweContext's tables and conversions (N = 8192, DEFAULT_SIMD)", () => {
  const ctx = new RlweContext(DEFAULT_SIMD);
  const { n, ell, b0, b1 } = ctx;
  const rns = ctx.rns;
  const qs = ctx.primes.map(BigInt);
  const u64 = (ptr: number, len: number) => new BigUint64Array(rns.w.memory.buffer, ptr, len);
  // the private table builders, so that their output can be compared with the documented layouts
  const tables = ctx as unknown as {
    encodeConsts(L: number): number;
    pow2Consts(L: number, bits: number): number;
    floodConsts(L: number, f: number): number;
    decodeConsts(): number;
  };

  it("builds the documented constant layouts", () => {
    for (const L of [3, 4, 5]) {
      const d = qs.slice(0, L);
      expect(Array.from(u64(tables.encodeConsts(L), 2 * L + 1))).toEqual(encodeTable(d, ell));
      for (const bits of [b0, b1]) expect(Array.from(u64(tables.pow2Consts(L, bits), 4 * L))).toEqual(pow2Table(d, bits));
      for (const f of [75, 91]) expect(Array.from(u64(tables.floodConsts(L, f), 2 * L))).toEqual(floodTable(d, f));
    }
    expect(Array.from(u64(tables.decodeConsts(), 7))).toEqual(decodeTable(qs));
  });

  it("encodeScaled writes and accumulates round(Q·m/2^ell)", () => {
    const t = 1n << BigInt(ell);
    const L = 4;
    const Q = ctx.modulus(L);
    const ms = randBig(ell, n, 5);
    [0n, 1n, t - 1n, t / 2n].forEach((v, i) => (ms[i] = v));
    const mp = rns.w.alloc(8 * n);
    u64(mp, n).set(ms);
    const out = ctx.alloc(L);
    ctx.encodeScaled(out, mp, L, false);
    ctx.encodeScaled(out, mp, L, true);
    const expected = qs.slice(0, L).flatMap((q) => ms.map((m) => Number(mod(2n * ((2n * Q * m + t) / (2n * t)), q))));
    expect(Array.from(rns.view(out, L))).toEqual(expected);
    ctx.free(out);
    rns.w.free(mp);
  });

  it("decodeAnswer recovers the top bits of c0' + c1'·s for a sparse secret", () => {
    // s = 1 − X + X^5 − X^(N−1): c1'·s has a few shifted copies, with the negacyclic wrap
    const taps: [number, bigint][] = [[0, 1n], [1, -1n], [5, 1n], [n - 1, -1n]];
    const s = new Int8Array(n);
    for (const [k, v] of taps) s[k] = Number(v);
    const sNtt = ctx.alloc(ctx.top + 1);
    ctx.smallNtt(sNtt, s, ctx.chain());
    const sk: SecretKey = { s, sNtt };
    const c0s = randBig(b0, n, 8);
    const c1s = randBig(b1, n, 9);
    c1s[0] = (1n << BigInt(b1)) - 1n;
    c1s[n - 1] = (1n << BigInt(b1)) - 1n;
    c0s[0] = (1n << BigInt(b0)) - 1n;
    const [c0, c1, out] = [rns.w.alloc(8 * n), rns.w.alloc(8 * n), rns.w.alloc(8 * n)];
    u64(c0, n).set(c0s);
    u64(c1, n).set(c1s);
    ctx.decodeAnswer(sk, c0, c1, out);
    const X = Array.from({ length: n }, (_, i) => taps.reduce((acc, [k, v]) => acc + (i >= k ? v * c1s[i - k] : -v * c1s[i - k + n]), 0n));
    expect(Array.from(u64(out, n))).toEqual(X.map((x, i) => decodeRef(c0s[i], x, b0, b1, ell)));
    ctx.free(sNtt);
  });
});
