// RLWE kernels over one 30-bit NTT prime p (p < 2^30, p ≡ 1 mod 2N): polynomials are u32[N] with N = 2^logn.
// Pointers are byte offsets handed out by TypeScript (src/he/simd/rns.ts builds the tables). SIMD throughout: 30-bit
// products are formed in 64-bit lanes (extmul) and reduced by folding with 2^32 mod p and 2^30 mod p, which needs
// p > 2^30 − 2^20; the per-answer conversions (encoding, flooding, top bits, decoding) are scalar u64.
//
// Negacyclic NTT: Cooley–Tukey forward with Harvey's lazy butterflies (values in [0, 4p)) and Shoup twiddles
// tw[k] = ψ^brev(k), tws[k] = floor(tw[k]·2^32/p); output index i holds a(ψ^(2·brev(i)+1)). The inverse is
// Gentleman–Sande with itw[k] = ψ^−brev(k), then multiplication by N^−1. Requires p < 2^30 so that 4p < 2^32.

/** hi32(ws·y) per lane: the Shoup quotient estimate. */
// @ts-ignore: decorator
@inline function mulhi(ws: v128, y: v128): v128 {
  return i32x4.shuffle(i64x2.extmul_low_i32x4_u(ws, y), i64x2.extmul_high_i32x4_u(ws, y), 1, 3, 5, 7);
}

/** w·y mod p in [0, 2p) for y < 2^32 (Shoup). */
// @ts-ignore: decorator
@inline function shoup(w: v128, ws: v128, y: v128, pv: v128): v128 {
  return i32x4.sub(i32x4.mul(w, y), i32x4.mul(mulhi(ws, y), pv));
}

/** x − m if x ≥ m, per lane (x < 2m + 2^31 not needed: x < 2^32, m ≤ 2^31). */
// @ts-ignore: decorator
@inline function csub(x: v128, m: v128): v128 {
  return i32x4.min_u(x, i32x4.sub(x, m));
}

/**
 * Four u64 lanes (two i64x2, each below 2^63) to residues mod p in one i32x4: three folds by c32 = 2^32 mod p < 2^22
 * bring them below 2^33.6, then x = h·2^30 + l folds by c30 = 2^30 mod p < 2^20 below 2p, and one conditional
 * subtraction finishes.
 */
// @ts-ignore: decorator
@inline function reduce4x64(v0: v128, v1: v128, c32: v128, c30: v128, pv: v128): v128 {
  for (let k = 0; k < 3; k++) {
    const hi = i32x4.shuffle(v0, v1, 1, 3, 5, 7);
    const lo = i32x4.shuffle(v0, v1, 0, 2, 4, 6);
    v0 = i64x2.add(i64x2.extmul_low_i32x4_u(hi, c32), i64x2.extend_low_i32x4_u(lo));
    v1 = i64x2.add(i64x2.extmul_high_i32x4_u(hi, c32), i64x2.extend_high_i32x4_u(lo));
  }
  const h = i32x4.shuffle(i64x2.shr_u(v0, 30), i64x2.shr_u(v1, 30), 0, 2, 4, 6);
  const l = v128.and(i32x4.shuffle(v0, v1, 0, 2, 4, 6), i32x4.splat(0x3fffffff));
  return csub(i32x4.add(i32x4.mul(h, c30), l), pv);
}

/** Fold i64x2 lanes by c32 (keeps the residue; below 2^53.1 from below 2^63). */
// @ts-ignore: decorator
@inline function fold2(v0: v128, v1: v128, c32: v128, first: bool): v128 {
  const hi = i32x4.shuffle(v0, v1, 1, 3, 5, 7);
  const lo = i32x4.shuffle(v0, v1, 0, 2, 4, 6);
  return first
    ? i64x2.add(i64x2.extmul_low_i32x4_u(hi, c32), i64x2.extend_low_i32x4_u(lo))
    : i64x2.add(i64x2.extmul_high_i32x4_u(hi, c32), i64x2.extend_high_i32x4_u(lo));
}

/** Two twiddles, each for two lanes: [w0 w0 w1 w1] (stages where one butterfly group spans two lanes). */
// @ts-ignore: decorator
@inline function twiddlePairs(p: usize): v128 {
  const v = v128.load64_zero(p);
  return i32x4.shuffle(v, v, 0, 0, 1, 1);
}

/** Forward stages from m = m0 (t = N/(2·m0)) down to t = 1; input < 4p, output < 4p. */
function forwardStages(a: usize, n: i32, m0: i32, tw: usize, tws: usize, p: u32): void {
  const pv = i32x4.splat(p);
  const p2 = i32x4.splat(p << 1);
  let t = n / (m0 << 1);
  for (let m = m0; m < n; m <<= 1) {
    if (t >= 4) {
      const tb = <usize>t << 2;
      for (let i = 0; i < m; i++) {
        const w = i32x4.splat(load<u32>(tw + (<usize>(m + i) << 2)));
        const ws = i32x4.splat(load<u32>(tws + (<usize>(m + i) << 2)));
        let x = a + (<usize>(2 * i * t) << 2);
        const end = x + tb;
        for (; x < end; x += 16) {
          const X = csub(v128.load(x), p2);
          const T = shoup(w, ws, v128.load(x + tb), pv);
          v128.store(x, i32x4.add(X, T));
          v128.store(x + tb, i32x4.add(i32x4.sub(X, T), p2));
        }
      }
    } else if (t == 2) {
      // groups [x0 x1 y0 y1], one twiddle per group: two groups per step
      for (let i = 0; i < m; i += 2) {
        const w = twiddlePairs(tw + (<usize>(m + i) << 2));
        const ws = twiddlePairs(tws + (<usize>(m + i) << 2));
        const x = a + (<usize>(4 * i) << 2);
        const v0 = v128.load(x);
        const v1 = v128.load(x + 16);
        const X = csub(i32x4.shuffle(v0, v1, 0, 1, 4, 5), p2);
        const T = shoup(w, ws, i32x4.shuffle(v0, v1, 2, 3, 6, 7), pv);
        const Xo = i32x4.add(X, T);
        const Yo = i32x4.add(i32x4.sub(X, T), p2);
        v128.store(x, i32x4.shuffle(Xo, Yo, 0, 1, 4, 5));
        v128.store(x + 16, i32x4.shuffle(Xo, Yo, 2, 3, 6, 7));
      }
    } else {
      // t == 1: pairs [x y], four twiddles per step
      for (let i = 0; i < m; i += 4) {
        const w = v128.load(tw + (<usize>(m + i) << 2));
        const ws = v128.load(tws + (<usize>(m + i) << 2));
        const x = a + (<usize>(2 * i) << 2);
        const v0 = v128.load(x);
        const v1 = v128.load(x + 16);
        const X = csub(i32x4.shuffle(v0, v1, 0, 2, 4, 6), p2);
        const T = shoup(w, ws, i32x4.shuffle(v0, v1, 1, 3, 5, 7), pv);
        const Xo = i32x4.add(X, T);
        const Yo = i32x4.add(i32x4.sub(X, T), p2);
        v128.store(x, i32x4.shuffle(Xo, Yo, 0, 4, 1, 5));
        v128.store(x + 16, i32x4.shuffle(Xo, Yo, 2, 6, 3, 7));
      }
    }
    t >>= 1;
  }
}

/** [0, 4p) → [0, p) in place. */
function reduce4(a: usize, n: i32, p: u32): void {
  const pv = i32x4.splat(p);
  const p2 = i32x4.splat(p << 1);
  const end = a + (<usize>n << 2);
  for (let x = a; x < end; x += 16) v128.store(x, csub(csub(v128.load(x), p2), pv));
}

/** In-place forward negacyclic NTT; input < 4p, output in [0, p). n ≥ 8. */
export function nttForward(a: usize, n: i32, tw: usize, tws: usize, p: u32): void {
  forwardStages(a, n, 1, tw, tws, p);
  reduce4(a, n, p);
}

/**
 * Forward NTT of a polynomial whose coefficients at and above `deg` (a power of two ≤ n) are zero: the first
 * stages only copy, so the first deg coefficients are replicated n/deg times and the remaining stages run.
 */
export function nttForwardPruned(a: usize, n: i32, deg: i32, tw: usize, tws: usize, p: u32): void {
  if (deg >= n) {
    nttForward(a, n, tw, tws, p);
    return;
  }
  const bytes = <usize>deg << 2;
  for (let b = 1; b < n / deg; b++) memory.copy(a + <usize>b * bytes, a, bytes);
  if (deg > 1) forwardStages(a, n, n / deg, tw, tws, p);
  reduce4(a, n, p);
}

/** In-place inverse NTT (scaled by N^−1); input < 2p, output in [0, p). n ≥ 8. */
export function nttInverse(a: usize, n: i32, itw: usize, itws: usize, p: u32, nInv: u32, nInvS: u32): void {
  const pv = i32x4.splat(p);
  const p2 = i32x4.splat(p << 1);
  let t = 1;
  for (let m = n >> 1; m >= 1; m >>= 1) {
    if (t == 1) {
      for (let i = 0; i < m; i += 4) {
        const w = v128.load(itw + (<usize>(m + i) << 2));
        const ws = v128.load(itws + (<usize>(m + i) << 2));
        const x = a + (<usize>(2 * i) << 2);
        const v0 = v128.load(x);
        const v1 = v128.load(x + 16);
        const U = i32x4.shuffle(v0, v1, 0, 2, 4, 6);
        const V = i32x4.shuffle(v0, v1, 1, 3, 5, 7);
        const Xo = csub(i32x4.add(U, V), p2);
        const Yo = shoup(w, ws, i32x4.add(i32x4.sub(U, V), p2), pv);
        v128.store(x, i32x4.shuffle(Xo, Yo, 0, 4, 1, 5));
        v128.store(x + 16, i32x4.shuffle(Xo, Yo, 2, 6, 3, 7));
      }
    } else if (t == 2) {
      for (let i = 0; i < m; i += 2) {
        const w = twiddlePairs(itw + (<usize>(m + i) << 2));
        const ws = twiddlePairs(itws + (<usize>(m + i) << 2));
        const x = a + (<usize>(4 * i) << 2);
        const v0 = v128.load(x);
        const v1 = v128.load(x + 16);
        const U = i32x4.shuffle(v0, v1, 0, 1, 4, 5);
        const V = i32x4.shuffle(v0, v1, 2, 3, 6, 7);
        const Xo = csub(i32x4.add(U, V), p2);
        const Yo = shoup(w, ws, i32x4.add(i32x4.sub(U, V), p2), pv);
        v128.store(x, i32x4.shuffle(Xo, Yo, 0, 1, 4, 5));
        v128.store(x + 16, i32x4.shuffle(Xo, Yo, 2, 3, 6, 7));
      }
    } else {
      const tb = <usize>t << 2;
      for (let i = 0; i < m; i++) {
        const w = i32x4.splat(load<u32>(itw + (<usize>(m + i) << 2)));
        const ws = i32x4.splat(load<u32>(itws + (<usize>(m + i) << 2)));
        let x = a + (<usize>(2 * i * t) << 2);
        const end = x + tb;
        for (; x < end; x += 16) {
          const U = v128.load(x);
          const V = v128.load(x + tb);
          v128.store(x, csub(i32x4.add(U, V), p2));
          v128.store(x + tb, shoup(w, ws, i32x4.add(i32x4.sub(U, V), p2), pv));
        }
      }
    }
    t <<= 1;
  }
  const w = i32x4.splat(nInv);
  const ws = i32x4.splat(nInvS);
  const end = a + (<usize>n << 2);
  for (let x = a; x < end; x += 16) v128.store(x, csub(shoup(w, ws, v128.load(x), pv), pv));
}

/** c = a + b mod p (inputs < p). */
export function polyAdd(c: usize, a: usize, b: usize, n: i32, p: u32): void {
  const pv = i32x4.splat(p);
  const end = <usize>n << 2;
  for (let o: usize = 0; o < end; o += 16) v128.store(c + o, csub(i32x4.add(v128.load(a + o), v128.load(b + o)), pv));
}

/** c = a − b mod p (inputs < p). */
export function polySub(c: usize, a: usize, b: usize, n: i32, p: u32): void {
  const pv = i32x4.splat(p);
  const end = <usize>n << 2;
  for (let o: usize = 0; o < end; o += 16) v128.store(c + o, csub(i32x4.add(i32x4.sub(v128.load(a + o), v128.load(b + o)), pv), pv));
}

/** c = −a mod p (input < p). */
export function polyNeg(c: usize, a: usize, n: i32, p: u32): void {
  const pv = i32x4.splat(p);
  const end = <usize>n << 2;
  for (let o: usize = 0; o < end; o += 16) v128.store(c + o, csub(i32x4.sub(pv, v128.load(a + o)), pv));
}

/** c = s·a mod p for a fixed s < p with ss = floor(s·2^32/p) (input < 2^32). */
export function polyMulScalar(c: usize, a: usize, s: u32, ss: u32, n: i32, p: u32): void {
  const pv = i32x4.splat(p);
  const w = i32x4.splat(s);
  const ws = i32x4.splat(ss);
  const end = <usize>n << 2;
  for (let o: usize = 0; o < end; o += 16) v128.store(c + o, csub(shoup(w, ws, v128.load(a + o), pv), pv));
}

/** c = a·b mod p (inputs < p). c32 = 2^32 mod p, c30 = 2^30 mod p. */
export function polyMul(c: usize, a: usize, b: usize, n: i32, p: u32, c32: u32, c30: u32): void {
  const pv = i32x4.splat(p);
  const cv = i32x4.splat(c32);
  const dv = i32x4.splat(c30);
  const end = <usize>n << 2;
  for (let o: usize = 0; o < end; o += 16) {
    const x = v128.load(a + o);
    const y = v128.load(b + o);
    v128.store(c + o, reduce4x64(i64x2.extmul_low_i32x4_u(x, y), i64x2.extmul_high_i32x4_u(x, y), cv, dv, pv));
  }
}

/** Coefficients per tile of macShared: its two u64 accumulators (16 KiB) stay in L1. */
const MAC_TILE: i32 = 1024;

/**
 * out0 = Σ_t s[t]·x[t] and out1 = Σ_t s[t]·y[t] mod p over `terms` vectors (< 2^30) given as u32 pointer arrays
 * (s shared: a weight block against an upload's c0 and c1, or a key-switching digit against the key's two parts).
 * Tile by tile, each input is read in one sequential run (prefetchers cannot follow 3·terms streams at once) into
 * u64 accumulators at `acc` (2·MAC_TILE lanes), folded every 7 terms. n must be a multiple of 4.
 */
export function macShared(out0: usize, out1: usize, ss: usize, xs: usize, ys: usize, terms: i32, n: i32, p: u32, c32: u32, c30: u32, acc: usize): void {
  const pv = i32x4.splat(p);
  const cv = i32x4.splat(c32);
  const dv = i32x4.splat(c30);
  const zero = i64x2.splat(0);
  const acc1 = acc + (<usize>MAC_TILE << 3);
  for (let t0 = 0; t0 < n; t0 += MAC_TILE) {
    const len = <usize>min(MAC_TILE, n - t0) << 2;
    const base = <usize>t0 << 2;
    for (let o: usize = 0; o < len << 1; o += 16) {
      v128.store(acc + o, zero);
      v128.store(acc1 + o, zero);
    }
    for (let t = 0; t < terms; t++) {
      const tt = <usize>t << 2;
      const sp = <usize>load<u32>(ss + tt) + base;
      const xp = <usize>load<u32>(xs + tt) + base;
      const yp = <usize>load<u32>(ys + tt) + base;
      for (let o: usize = 0; o < len; o += 16) {
        const sv = v128.load(sp + o);
        const xv = v128.load(xp + o);
        const yv = v128.load(yp + o);
        const d0 = acc + (o << 1);
        const d1 = acc1 + (o << 1);
        v128.store(d0, i64x2.add(v128.load(d0), i64x2.extmul_low_i32x4_u(sv, xv)));
        v128.store(d0 + 16, i64x2.add(v128.load(d0 + 16), i64x2.extmul_high_i32x4_u(sv, xv)));
        v128.store(d1, i64x2.add(v128.load(d1), i64x2.extmul_low_i32x4_u(sv, yv)));
        v128.store(d1 + 16, i64x2.add(v128.load(d1 + 16), i64x2.extmul_high_i32x4_u(sv, yv)));
      }
      if (t % 7 == 6) {
        for (let o: usize = 0; o < len << 1; o += 32) {
          for (let h: usize = 0; h < 2; h++) {
            const d = (h ? acc1 : acc) + o;
            const v0 = v128.load(d);
            const v1 = v128.load(d + 16);
            v128.store(d, fold2(v0, v1, cv, true));
            v128.store(d + 16, fold2(v0, v1, cv, false));
          }
        }
      }
    }
    for (let o: usize = 0; o < len; o += 16) {
      v128.store(out0 + base + o, reduce4x64(v128.load(acc + (o << 1)), v128.load(acc + (o << 1) + 16), cv, dv, pv));
      v128.store(out1 + base + o, reduce4x64(v128.load(acc1 + (o << 1)), v128.load(acc1 + (o << 1) + 16), cv, dv, pv));
    }
  }
}

/** c[i] = a[perm[i]] (an automorphism in NTT form); c must not alias a. */
export function polyGather(c: usize, a: usize, perm: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    store<u32>(c + (<usize>i << 2), load<u32>(a + (<usize>load<u32>(perm + (<usize>i << 2)) << 2)));
  }
}

/** c = a mod p for a < 2p (a digit of another prime lifted to this one). */
export function polyReduce2(c: usize, a: usize, n: i32, p: u32): void {
  const pv = i32x4.splat(p);
  const end = <usize>n << 2;
  for (let o: usize = 0; o < end; o += 16) v128.store(c + o, csub(v128.load(a + o), pv));
}

/** c = [a]_P centred in (−P/2, P/2], mod p (mod-down by the special prime P; a < P < 2p). */
export function polyLiftCentered(c: usize, a: usize, n: i32, bigP: u32, p: u32): void {
  const pv = i32x4.splat(p);
  const half = i32x4.splat(bigP >> 1);
  const pModp = i32x4.splat(bigP % p);
  const end = <usize>n << 2;
  for (let o: usize = 0; o < end; o += 16) {
    const x = v128.load(a + o);
    const sub = v128.and(i32x4.gt_u(x, half), pModp);
    v128.store(c + o, csub(i32x4.add(i32x4.sub(csub(x, pv), sub), pv), pv));
  }
}

/**
 * The top bits of a coefficient of R_Q: out[i] = round(x·2^bits/Q) mod 2^bits for x given by its L residues
 * (x + j·n·4 for prime j). consts holds per prime 4 u64: q_j, [(Q/q_j)^−1]_q_j, floor(2^bits/q_j) mod 2^bits and
 * floor(frac(2^bits/q_j)·2^32). Exact up to L/4 + 1/2 (a function of x alone).
 */
export function rnsToPow2(out: usize, x: usize, n: i32, L: i32, consts: usize, bits: i32): void {
  const mask: u64 = bits >= 64 ? ~(<u64>0) : (<u64>1 << <u64>bits) - 1;
  const stride = <usize>n << 2;
  for (let i = 0; i < n; i++) {
    let whole: u64 = 0;
    let frac: u64 = 0;
    for (let j = 0; j < L; j++) {
      const c = consts + (<usize>j << 5);
      const q = load<u64>(c);
      const y = (<u64>load<u32>(x + <usize>j * stride + (<usize>i << 2)) * load<u64>(c, 8)) % q;
      whole += y * load<u64>(c, 16);
      frac += (y * load<u64>(c, 24)) >> 2;
    }
    store<u64>(out + (<usize>i << 3), (whole + ((frac + (<u64>1 << 29)) >> 30)) & mask);
  }
}

/**
 * out_j += round(Q·m/2^ell) mod q_j for m < 2^ell (BFV's scaled plaintext, with rounding so that the product by
 * an integer polynomial W errs by at most ‖W‖₁/2). consts: per prime 2 u64 (q_j, floor(Q/2^ell) mod q_j), then
 * Q mod 2^ell. 21 ≤ ell ≤ 40.
 */
export function encodeScaled(out: usize, m: usize, n: i32, L: i32, consts: usize, ell: i32, accumulate: i32): void {
  const r = load<u64>(consts + (<usize>L << 4));
  const stride = <usize>n << 2;
  const sh = <u64>(ell - 20);
  const half = <u64>1 << <u64>(ell - 1);
  for (let i = 0; i < n; i++) {
    const v = load<u64>(m + (<usize>i << 3));
    const hiPart = r * (v >> 20);
    const lo = r * (v & 0xfffff) + half;
    const rnd = (hiPart + (lo >> 20)) >> sh;
    for (let j = 0; j < L; j++) {
      const q = load<u64>(consts + (<usize>j << 4));
      const delta = load<u64>(consts + (<usize>j << 4), 8);
      const o = out + <usize>j * stride + (<usize>i << 2);
      let s = ((v % q) * delta + rnd % q) % q;
      if (accumulate) s = (s + <u64>load<u32>(o)) % q;
      store<u32>(o, <u32>s);
    }
  }
}

/**
 * out_j += (v − 2^F) mod q_j where v is the little-endian integer of `words` u32 words per coefficient at w,
 * masked to F + 1 bits: uniform noise in [−2^F, 2^F). consts: per prime 2 u64 (q_j, 2^F mod q_j).
 */
export function addWideUniform(out: usize, w: usize, n: i32, L: i32, consts: usize, words: i32, fBits: i32): void {
  const stride = <usize>n << 2;
  const topBits = fBits + 1 - 32 * (words - 1);
  const topMask: u64 = topBits >= 32 ? 0xffffffff : (<u64>1 << <u64>topBits) - 1;
  for (let i = 0; i < n; i++) {
    const base = w + (<usize>(i * words) << 2);
    for (let j = 0; j < L; j++) {
      const q = load<u64>(consts + (<usize>j << 4));
      let r: u64 = (<u64>load<u32>(base + (<usize>(words - 1) << 2)) & topMask) % q;
      for (let k = words - 2; k >= 0; k--) r = ((r << 32) + <u64>load<u32>(base + (<usize>k << 2))) % q;
      const o = out + <usize>j * stride + (<usize>i << 2);
      r = (r + q - load<u64>(consts + (<usize>j << 4), 8) + <u64>load<u32>(o)) % q;
      store<u32>(o, <u32>r);
    }
  }
}

/**
 * The client's decoding of an answer: x = c1'·s given by residues mod three primes (r, r + 4n, r + 8n), centred
 * and taken mod 2^64 (Garner), v = c0'·2^(b1−b0) + x mod 2^b1, message = round(v·2^ell/2^b1) mod 2^ell.
 * consts (u64): q0, q1, q2, q0^−1 mod q1, (q0·q1)^−1 mod q2, q0·q1 mod 2^64, q0·q1·q2 mod 2^64.
 */
export function decodeAnswer(out: usize, c0: usize, r: usize, n: i32, consts: usize, b0: i32, b1: i32, ell: i32): void {
  const q0 = load<u64>(consts);
  const q1 = load<u64>(consts, 8);
  const q2 = load<u64>(consts, 16);
  const inv01 = load<u64>(consts, 24);
  const inv012 = load<u64>(consts, 32);
  const q01 = load<u64>(consts, 40);
  const q012 = load<u64>(consts, 48);
  const stride = <usize>n << 2;
  const mask1: u64 = (<u64>1 << <u64>b1) - 1;
  const sh = <u64>(b1 - ell);
  const tmask: u64 = (<u64>1 << <u64>ell) - 1;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const x0 = <u64>load<u32>(r + o);
    const x1 = <u64>load<u32>(r + stride + o);
    const x2 = <u64>load<u32>(r + 2 * stride + o);
    const v1 = ((x1 + q1 - x0 % q1) % q1) * inv01 % q1;
    const partial = (x0 % q2 + (v1 % q2) * (q0 % q2)) % q2;
    const v2 = ((x2 + q2 - partial) % q2) * inv012 % q2;
    let x = x0 + v1 * q0 + v2 * q01;
    if (v2 > (q2 >> 1)) x -= q012;
    const v = ((load<u64>(c0 + (<usize>i << 3)) << <u64>(b1 - b0)) + x) & mask1;
    store<u64>(out + (<usize>i << 3), ((v + (<u64>1 << (sh - 1))) >> sh) & tmask);
  }
}

/** out[i] = x[i] mod p for integer-valued f64 x (|x| < 2^53): weights and shares as plaintext coefficients. */
export function residuesOf(out: usize, x: usize, n: i32, p: u32): void {
  const pi = <i64>p;
  for (let i = 0; i < n; i++) {
    // exact in i64: in f64, floor(x/p)·p exceeds 2^53 for x just above −2^53 and rounds (off by one)
    let r = <i64>load<f64>(x + (<usize>i << 3)) % pi;
    if (r < 0) r += pi;
    store<u32>(out + (<usize>i << 2), <u32>r);
  }
}

/**
 * Rejection sampling of uniform residues mod p from 30-bit words (the low 30 bits of each u32 at w): fills out from
 * index `from` and returns how many it has after reading `count` words (stops at n).
 */
export function sampleUniform(out: usize, from: i32, n: i32, w: usize, count: i32, p: u32): i32 {
  let i = from;
  for (let k = 0; k < count && i < n; k++) {
    const x = load<u32>(w + (<usize>k << 2)) & 0x3fffffff;
    if (x < p) {
      store<u32>(out + (<usize>i << 2), x);
      i++;
    }
  }
  return i;
}

/**
 * Packs n values (u32 at x, or u64 with `wide`) of `bits` bits each into a little-endian bit stream at out, padded
 * to whole u32 words; returns the bytes written. Values must be below 2^bits. Wide values go as two pieces of at
 * most 32 bits, so the pending bits never exceed 63.
 */
export function packBits(out: usize, x: usize, n: i32, bits: i32, wide: i32): i32 {
  let acc: u64 = 0;
  let have: i32 = 0;
  let o = out;
  const lowBits = bits > 32 ? 32 : bits;
  for (let i = 0; i < n; i++) {
    const v: u64 = wide ? load<u64>(x + (<usize>i << 3)) : <u64>load<u32>(x + (<usize>i << 2));
    acc |= (v & 0xffffffff) << <u64>have;
    have += lowBits;
    if (have >= 32) {
      store<u32>(o, <u32>acc);
      o += 4;
      acc >>= 32;
      have -= 32;
    }
    if (bits > 32) {
      acc |= (v >> 32) << <u64>have;
      have += bits - 32;
      if (have >= 32) {
        store<u32>(o, <u32>acc);
        o += 4;
        acc >>= 32;
        have -= 32;
      }
    }
  }
  if (have > 0) {
    store<u32>(o, <u32>acc);
    o += 4;
  }
  return <i32>(o - out);
}

/**
 * Unpacks n values of `bits` bits (the inverse of packBits) into u32 (or u64 with `wide`) at x. With `bound` > 0,
 * returns the index of the first value ≥ bound (else −1).
 */
export function unpackBits(x: usize, inp: usize, n: i32, bits: i32, wide: i32, bound: u64): i32 {
  let acc: u64 = 0;
  let have: i32 = 0;
  let o = inp;
  const lowBits = bits > 32 ? 32 : bits;
  const lowMask: u64 = (<u64>1 << <u64>lowBits) - 1;
  const highMask: u64 = bits > 32 ? (<u64>1 << <u64>(bits - 32)) - 1 : 0;
  let bad: i32 = -1;
  for (let i = 0; i < n; i++) {
    if (have < lowBits) {
      acc |= <u64>load<u32>(o) << <u64>have;
      o += 4;
      have += 32;
    }
    let v = acc & lowMask;
    acc >>= <u64>lowBits;
    have -= lowBits;
    if (bits > 32) {
      if (have < bits - 32) {
        acc |= <u64>load<u32>(o) << <u64>have;
        o += 4;
        have += 32;
      }
      v |= (acc & highMask) << 32;
      acc >>= <u64>(bits - 32);
      have -= bits - 32;
    }
    if (bound > 0 && v >= bound && bad < 0) bad = i;
    if (wide) store<u64>(x + (<usize>i << 3), v);
    else store<u32>(x + (<usize>i << 2), <u32>v);
  }
  return bad;
}
