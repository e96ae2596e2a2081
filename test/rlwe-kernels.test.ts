// The RLWE kernels (assembly/rlwe.ts through src/he/simd/rns.ts) against BigInt references: NTT and its inverse,
// the pruned NTT, products, the shared-operand MAC with its folds, automorphisms, RNS conversions. Edge values: 0, p − 1, the lazy 4p range.
import { describe, expect, it } from "vitest";
import { modInv, modPow, nttPrimes, Rns } from "../src/he/simd/rns.js";

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

  it("modInv and modPow agree", () => {
    const P = BigInt(primes[0]);
    expect((modInv(12345n, P) * 12345n) % P).toBe(1n);
  });
});
