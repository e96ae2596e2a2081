// Bit-matrix transpose (the core of IKNP OT extension). Matrices are row-major with LSB-first bits: bit c of row r
// is bit (c & 7) of byte r·rowBytes + (c >> 3), the layout of src/mpc/bits.ts, so a 16-byte vector is 128 columns
// with column c at bit c of the little-endian 128-bit integer.
// A 128 × 128 transpose exchanges the 7 bits of the row index with the 7 bits of the column index. Exchanging the low
// 3 (row r mod 8 ↔ bit c mod 8) is a bit swap among 8 consecutive rows done with shifts and masks (9 operations per
// vector); exchanging the high 4 (row r / 8 ↔ byte c / 8) is a 16 × 16 byte transpose of rows r, r + 8, … r + 120
// (4 byte interleaves per vector), whose result vectors are whole output rows, written with 16-byte stores. About
// half the operations of a byte transpose followed by 8 i8x16.bitmask per vector and 2-byte stores.

// @ts-ignore: decorator
@inline function lo(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}

// @ts-ignore: decorator
@inline function hi(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}

/**
 * Transposes the 16×16 bytes at p (row stride ss) into 16 vectors at out (stride os): vector j holds byte j of each
 * of the 16 rows.
 */
// @ts-ignore: decorator
@inline function transpose16(p: usize, ss: usize, out: usize, os: usize): void {
  const v0 = v128.load(p);
  const v1 = v128.load(p + ss);
  const v2 = v128.load(p + 2 * ss);
  const v3 = v128.load(p + 3 * ss);
  const v4 = v128.load(p + 4 * ss);
  const v5 = v128.load(p + 5 * ss);
  const v6 = v128.load(p + 6 * ss);
  const v7 = v128.load(p + 7 * ss);
  const v8 = v128.load(p + 8 * ss);
  const v9 = v128.load(p + 9 * ss);
  const v10 = v128.load(p + 10 * ss);
  const v11 = v128.load(p + 11 * ss);
  const v12 = v128.load(p + 12 * ss);
  const v13 = v128.load(p + 13 * ss);
  const v14 = v128.load(p + 14 * ss);
  const v15 = v128.load(p + 15 * ss);
  const a0 = lo(v0, v8), a8 = hi(v0, v8);
  const a1 = lo(v1, v9), a9 = hi(v1, v9);
  const a2 = lo(v2, v10), a10 = hi(v2, v10);
  const a3 = lo(v3, v11), a11 = hi(v3, v11);
  const a4 = lo(v4, v12), a12 = hi(v4, v12);
  const a5 = lo(v5, v13), a13 = hi(v5, v13);
  const a6 = lo(v6, v14), a14 = hi(v6, v14);
  const a7 = lo(v7, v15), a15 = hi(v7, v15);
  const b0 = lo(a0, a4), b4 = hi(a0, a4);
  const b1 = lo(a1, a5), b5 = hi(a1, a5);
  const b2 = lo(a2, a6), b6 = hi(a2, a6);
  const b3 = lo(a3, a7), b7 = hi(a3, a7);
  const b8 = lo(a8, a12), b12 = hi(a8, a12);
  const b9 = lo(a9, a13), b13 = hi(a9, a13);
  const b10 = lo(a10, a14), b14 = hi(a10, a14);
  const b11 = lo(a11, a15), b15 = hi(a11, a15);
  const c0 = lo(b0, b2), c2 = hi(b0, b2);
  const c1 = lo(b1, b3), c3 = hi(b1, b3);
  const c4 = lo(b4, b6), c6 = hi(b4, b6);
  const c5 = lo(b5, b7), c7 = hi(b5, b7);
  const c8 = lo(b8, b10), c10 = hi(b8, b10);
  const c9 = lo(b9, b11), c11 = hi(b9, b11);
  const c12 = lo(b12, b14), c14 = hi(b12, b14);
  const c13 = lo(b13, b15), c15 = hi(b13, b15);
  v128.store(out, lo(c0, c1));
  v128.store(out + os, hi(c0, c1));
  v128.store(out + 2 * os, lo(c2, c3));
  v128.store(out + 3 * os, hi(c2, c3));
  v128.store(out + 4 * os, lo(c4, c5));
  v128.store(out + 5 * os, hi(c4, c5));
  v128.store(out + 6 * os, lo(c6, c7));
  v128.store(out + 7 * os, hi(c6, c7));
  v128.store(out + 8 * os, lo(c8, c9));
  v128.store(out + 9 * os, hi(c8, c9));
  v128.store(out + 10 * os, lo(c10, c11));
  v128.store(out + 11 * os, hi(c10, c11));
  v128.store(out + 12 * os, lo(c12, c13));
  v128.store(out + 13 * os, hi(c12, c13));
  v128.store(out + 14 * os, lo(c14, c15));
  v128.store(out + 15 * os, hi(c14, c15));
}

/**
 * The 8 rows at p (stride ss), bit b of byte j of row r exchanged with bit r of byte j of row b, stored as 8 vectors
 * at q (stride qs).
 */
// @ts-ignore: decorator
@inline function swap8(p: usize, ss: usize, q: usize, qs: usize): void {
  let x0 = v128.load(p);
  let x1 = v128.load(p + ss);
  let x2 = v128.load(p + 2 * ss);
  let x3 = v128.load(p + 3 * ss);
  let x4 = v128.load(p + 4 * ss);
  let x5 = v128.load(p + 5 * ss);
  let x6 = v128.load(p + 6 * ss);
  let x7 = v128.load(p + 7 * ss);
  // for s = 4, 2, 1: the columns of row i with bit s set trade places with those of row i + s with it clear
  const m4 = i8x16.splat(0x0f);
  let t = v128.and(v128.xor(i64x2.shr_u(x0, 4), x4), m4);
  x4 = v128.xor(x4, t);
  x0 = v128.xor(x0, i64x2.shl(t, 4));
  t = v128.and(v128.xor(i64x2.shr_u(x1, 4), x5), m4);
  x5 = v128.xor(x5, t);
  x1 = v128.xor(x1, i64x2.shl(t, 4));
  t = v128.and(v128.xor(i64x2.shr_u(x2, 4), x6), m4);
  x6 = v128.xor(x6, t);
  x2 = v128.xor(x2, i64x2.shl(t, 4));
  t = v128.and(v128.xor(i64x2.shr_u(x3, 4), x7), m4);
  x7 = v128.xor(x7, t);
  x3 = v128.xor(x3, i64x2.shl(t, 4));
  const m2 = i8x16.splat(0x33);
  t = v128.and(v128.xor(i64x2.shr_u(x0, 2), x2), m2);
  x2 = v128.xor(x2, t);
  x0 = v128.xor(x0, i64x2.shl(t, 2));
  t = v128.and(v128.xor(i64x2.shr_u(x1, 2), x3), m2);
  x3 = v128.xor(x3, t);
  x1 = v128.xor(x1, i64x2.shl(t, 2));
  t = v128.and(v128.xor(i64x2.shr_u(x4, 2), x6), m2);
  x6 = v128.xor(x6, t);
  x4 = v128.xor(x4, i64x2.shl(t, 2));
  t = v128.and(v128.xor(i64x2.shr_u(x5, 2), x7), m2);
  x7 = v128.xor(x7, t);
  x5 = v128.xor(x5, i64x2.shl(t, 2));
  const m1 = i8x16.splat(0x55);
  t = v128.and(v128.xor(i64x2.shr_u(x0, 1), x1), m1);
  v128.store(q, v128.xor(x0, i64x2.shl(t, 1)));
  v128.store(q + qs, v128.xor(x1, t));
  t = v128.and(v128.xor(i64x2.shr_u(x2, 1), x3), m1);
  v128.store(q + 2 * qs, v128.xor(x2, i64x2.shl(t, 1)));
  v128.store(q + 3 * qs, v128.xor(x3, t));
  t = v128.and(v128.xor(i64x2.shr_u(x4, 1), x5), m1);
  v128.store(q + 4 * qs, v128.xor(x4, i64x2.shl(t, 1)));
  v128.store(q + 5 * qs, v128.xor(x5, t));
  t = v128.and(v128.xor(i64x2.shr_u(x6, 1), x7), m1);
  v128.store(q + 6 * qs, v128.xor(x6, i64x2.shl(t, 1)));
  v128.store(q + 7 * qs, v128.xor(x7, t));
}

/**
 * Transposes `valid` source rows at src (stride ss; valid a multiple of 16, at most 128, the missing rows read as
 * zeros) × 128·chunks columns into 128·chunks 16-byte rows at out (stride os). Rows are bit-swapped 8 at a time
 * across all chunks, so each source line is used whole once loaded: source rows are often a multiple of 4 KiB apart,
 * and 128 of them share one L1 set (at 2^20 columns one L2 set too), so a line left for later would be evicted.
 * The swapped rows go to out, where the byte transposes then work in place: rows 8g + b, g < 16, of a 128-column
 * chunk hold byte g of its output rows 8k + b, k < 16.
 */
// @ts-ignore: decorator
@inline function block128(out: usize, os: usize, src: usize, ss: usize, chunks: usize, valid: usize): void {
  for (let g: usize = 0; g < 128; g += 8) {
    for (let ch: usize = 0; ch < chunks; ch++) {
      const q = out + ((ch << 7) + g) * os;
      if (g < valid) {
        swap8(src + g * ss + (ch << 4), ss, q, os);
      } else {
        for (let i: usize = 0; i < 8; i++) v128.store(q + i * os, i64x2.splat(0));
      }
    }
  }
  for (let ch: usize = 0; ch < chunks; ch++) {
    for (let b: usize = 0; b < 8; b++) {
      const p = out + ((ch << 7) + b) * os;
      transpose16(p, os << 3, p, os << 3);
    }
  }
}

/** Columns per call of block128 when the output rows are 16 bytes: 64 KiB of output, 512 bytes of each source row. */
const WIDE: i32 = 4096;
/** Rows and columns of one tile of a taller matrix: 512 × 512 bits, its output (32 KiB) assembled in tmp. */
const TILE: i32 = 512;

/** Bytes of the scratch area `bitTranspose` needs. */
export function bitTransposeScratchBytes(): i32 {
  return (TILE * TILE) >> 3;
}

/**
 * dst (cols × rows bits) = transpose of src (rows × cols bits), with rows a multiple of 16 and cols a multiple of
 * 128; dst must not overlap src. With 128 rows (the 128 × n case) the output rows are 16 bytes and dst itself is
 * the working area, 4096 columns at a time; otherwise each 512 × 512 tile is assembled in tmp
 * (bitTransposeScratchBytes() bytes) and copied out row by row, since the output rows of a tile share cache sets.
 */
export function bitTranspose(dst: usize, src: usize, rows: i32, cols: i32, tmp: usize): void {
  const srcStride = <usize>cols >> 3;
  const dstStride = <usize>rows >> 3;
  if (rows == 128) {
    for (let c0 = 0; c0 < cols; c0 += WIDE) {
      block128(dst + <usize>c0 * 16, 16, src + (<usize>c0 >> 3), srcStride, <usize>min(WIDE, cols - c0) >> 7, 128);
    }
    return;
  }
  const os = <usize>TILE >> 3;
  for (let c0 = 0; c0 < cols; c0 += TILE) {
    const tc = <usize>min(TILE, cols - c0);
    for (let r0 = 0; r0 < rows; r0 += TILE) {
      const tr = <usize>min(TILE, rows - r0);
      for (let rb: usize = 0; rb < tr; rb += 128) {
        const from = src + (<usize>r0 + rb) * srcStride + (<usize>c0 >> 3);
        block128(tmp + (rb >> 3), os, from, srcStride, tc >> 7, min<usize>(128, tr - rb));
      }
      const bytes = tr >> 3;
      const full = bytes & ~(<usize>15);
      const to = dst + <usize>c0 * dstStride + (<usize>r0 >> 3);
      for (let c: usize = 0; c < tc; c++) {
        const d = to + c * dstStride;
        const t = tmp + c * os;
        for (let o: usize = 0; o < full; o += 16) v128.store(d + o, v128.load(t + o));
        if (full < bytes) memory.copy(d + full, t + full, bytes - full);
      }
    }
  }
}

/** dst = a ⊕ b over n bytes; dst may equal a or b. */
export function xorBytes(dst: usize, a: usize, b: usize, n: i32): void {
  const end = <usize>n;
  const vend = end & ~(<usize>15);
  let o: usize = 0;
  for (; o < vend; o += 16) v128.store(dst + o, v128.xor(v128.load(a + o), v128.load(b + o)));
  for (; o < end; o++) store<u8>(dst + o, load<u8>(a + o) ^ load<u8>(b + o));
}

// A little-endian bit-stream writer shared by packBitLanes and otnPads. Each value goes in as two halves of at most
// 32 bits, so the accumulator (under 32 bits pending plus one half) never overflows. Word k of the output is xored
// with word k of the stream at `bsXor` when that is set (0: plain packing).
let bsAcc: u64 = 0;
let bsFill: u64 = 0;
let bsOut: usize = 0;
let bsXor: usize = 0;

@inline function bsStart(out: usize, xor: usize): void {
  bsAcc = 0;
  bsFill = 0;
  bsOut = out;
  bsXor = xor;
}

@inline function bsWord(v: u32): void {
  store<u32>(bsOut, bsXor ? load<u32>(bsXor) ^ v : v);
  bsOut += 4;
  if (bsXor) bsXor += 4;
}

@inline function bsPush(v: u64, bits: u64, mask: u64): void {
  bsAcc |= (v & mask) << bsFill;
  bsFill += bits;
  if (bsFill >= 32) {
    bsWord(<u32>bsAcc);
    bsAcc >>= 32;
    bsFill -= 32;
  }
}

/** The low l bits of v (1 ≤ l ≤ 64), as halves of lo and hi bits. */
@inline function bsPushLane(v: u64, lo: u64, hi: u64, loMask: u64, hiMask: u64): void {
  bsPush(v, lo, loMask);
  if (hi > 0) bsPush(v >> 32, hi, hiMask);
}

/** The last, partial word, with the bits past the last value cleared (those of the xored stream too). */
@inline function bsEnd(): void {
  if (bsFill == 0) return;
  const v = <u32>bsAcc;
  store<u32>(bsOut, (bsXor ? load<u32>(bsXor) ^ v : v) & <u32>((<u64>1 << bsFill) - 1));
}

/**
 * The 1-of-N sender's ciphertexts of one batch, as the wire packs them: value k (l bits, 1 ≤ l ≤ 64, at bit k·l) of
 * the stream at e is that of the stream at m ⊕ the low l bits of the 16-byte pad k at h, for k < n (k = i·N + x:
 * instance i's message x). Both streams are ⌈n·l/32⌉ u32 words; the bits past the last value are cleared. e may
 * equal m. When l divides 32, whole words are built lane by lane without the stream writer.
 */
export function otnPads(e: usize, m: usize, h: usize, n: i32, l: i32): void {
  let k: usize = 0;
  let o: usize = 0;
  if (32 % l == 0) {
    const perWord = <usize>(32 / l);
    const mask: u32 = l == 32 ? <u32>-1 : (<u32>1 << <u32>l) - 1;
    const full = (<usize>n / perWord) * perWord;
    for (; k < full; o += 4) {
      let word: u32 = 0;
      for (let j: u32 = 0; j < <u32>perWord; j++, k++) word |= (load<u32>(h + (k << 4)) & mask) << (j * <u32>l);
      store<u32>(e + o, load<u32>(m + o) ^ word);
    }
  }
  const lo = <u64>min(l, 32);
  const hi = <u64>(l - <i32>lo);
  const loMask: u64 = (<u64>1 << lo) - 1;
  const hiMask: u64 = (<u64>1 << hi) - 1;
  bsStart(e + o, m + o);
  for (; k < <usize>n; k++) bsPushLane(load<u64>(h + (k << 4)), lo, hi, loMask, hiMask);
  bsEnd();
}

/**
 * The low l bits (1 ≤ l ≤ 64) of each of n u64 lanes at src, as one little-endian bit stream of ⌈n·l/32⌉ u32 words
 * at dst: lane i occupies bits [i·l, (i + 1)·l).
 */
export function packBitLanes(dst: usize, src: usize, n: i32, l: i32): void {
  const lo = <u64>min(l, 32);
  const hi = <u64>(l - <i32>lo);
  const loMask: u64 = (<u64>1 << lo) - 1;
  const hiMask: u64 = (<u64>1 << hi) - 1;
  bsStart(dst, 0);
  const end = src + (<usize>n << 3);
  for (let p = src; p < end; p += 8) bsPushLane(load<u64>(p), lo, hi, loMask, hiMask);
  bsEnd();
}

/**
 * `count` 16-byte keys stretched into runs of `perKey` blocks: block j of key i is the key with its first 32-bit word
 * xor j (the inputs of a fixed-key hash G(k) = (H(k ⊕ 0), H(k ⊕ 1), …): src/prune's pad rows, Ferret's 1-of-N slots).
 */
export function keyedBlocks(dst: usize, keys: usize, count: i32, perKey: i32): void {
  for (let i = 0; i < count; i++) {
    const k = keys + (<usize>i << 4);
    const key = v128.load(k);
    const first = load<u32>(k);
    const base = dst + ((<usize>i * <usize>perKey) << 4);
    for (let j = 0; j < perKey; j++) {
      const o = base + (<usize>j << 4);
      v128.store(o, key);
      store<u32>(o, first ^ <u32>j);
    }
  }
}

/** The OT hash's tweak of OT `first` at `stage`, as one v128 (the words below). */
@inline function tweakOf(firstLo: u32, firstHi: u32, instance: u32, stage: u32): v128 {
  return i64x2.replace_lane(i64x2.splat(<i64>(<u64>firstLo | (<u64>firstHi << 32))), 1, <i64>(<u64>instance | (<u64>stage << 32)));
}

/**
 * dst = src ⊕ tweak, `runs` runs of `count` blocks: block k of every run gets the OT hash's tweak of OT first + k,
 * the little-endian words [index mod 2^32, ⌊index / 2^32⌋, instance, stage] (src/ot/crhash.ts), made here rather
 * than read from a buffer. dst may be src.
 */
export function xorTweaks(dst: usize, src: usize, runs: i32, count: i32, firstLo: u32, firstHi: u32, instance: u32, stage: u32): void {
  const one = i64x2(1, 0);
  const start = tweakOf(firstLo, firstHi, instance, stage);
  let o: usize = 0;
  for (let r = 0; r < runs; r++) {
    let t = start;
    for (let k = 0; k < count; k++, o += 16) {
      v128.store(dst + o, v128.xor(v128.load(src + o), t));
      t = i64x2.add(t, one);
    }
  }
}

/**
 * The first hash inputs of the 1-of-N sender's pads, instance-major: v[i·N + x] = qa[i] ⊕ codes[32x, 32x + 16) ⊕ the
 * tweak of OT first + i at stage 0, for i < count, x < N (the first halves of H(i, a ‖ b), src/ot/crhash.ts).
 */
export function codedFirst(v: usize, qa: usize, codes: usize, count: i32, N: i32, firstLo: u32, firstHi: u32, instance: u32): void {
  const one = i64x2(1, 0);
  let t = tweakOf(firstLo, firstHi, instance, 0);
  let o = v;
  for (let i: usize = 0; i < <usize>count; i++) {
    const a = v128.xor(v128.load(qa + (i << 4)), t);
    for (let x: usize = 0; x < <usize>N; x++, o += 16) v128.store(o, v128.xor(a, v128.load(codes + (x << 5))));
    t = i64x2.add(t, one);
  }
}

/**
 * The second hash inputs, in place of the first: v[k] = e[k] ⊕ v[k] ⊕ qb[i] ⊕ codes[32x + 16, 32x + 32) ⊕ the
 * tweak of OT first + i at stage 1 (k = i·N + x), where e = π(v): the chained H((i, 0), a) ⊕ b, tweaked. v may not
 * be e.
 */
export function codedSecond(v: usize, e: usize, qb: usize, codes: usize, count: i32, N: i32, firstLo: u32, firstHi: u32, instance: u32): void {
  const one = i64x2(1, 0);
  let t = tweakOf(firstLo, firstHi, instance, 1);
  let o: usize = 0;
  for (let i: usize = 0; i < <usize>count; i++) {
    const b = v128.xor(v128.load(qb + (i << 4)), t);
    for (let x: usize = 0; x < <usize>N; x++, o += 16) {
      const h = v128.xor(v128.load(e + o), v128.load(v + o));
      v128.store(v + o, v128.xor(h, v128.xor(b, v128.load(codes + (x << 5) + 16))));
    }
    t = i64x2.add(t, one);
  }
}

/**
 * The bit planes of n bytes, packed LSB-first: bit j·n + i of `out` is bit j of byte i of `src`, for j < k; the
 * bits past k·n in the last byte are cleared.
 */
export function bitPlanes(out: usize, src: usize, n: i32, k: i32): void {
  let acc: u32 = 0;
  let at: u32 = 0;
  let o = out;
  for (let j: u32 = 0; j < <u32>k; j++) {
    for (let i: usize = 0; i < <usize>n; i++, at++) {
      acc |= ((<u32>load<u8>(src + i) >> j) & 1) << (at & 7);
      if ((at & 7) == 7) {
        store<u8>(o++, <u8>acc);
        acc = 0;
      }
    }
  }
  if (at & 7) store<u8>(o, <u8>acc);
}

/**
 * rows[i] ⊕= Δ for each i < count whose bit first + i of `bits` (LSB-first) is set: a Ferret COT sender's
 * correction of q by the receiver's d. Δ is the little-endian words d0 … d3.
 */
export function xorDeltaWhere(rows: usize, bits: usize, first: i32, count: i32, d0: u32, d1: u32, d2: u32, d3: u32): void {
  const delta = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(d0), 1, d1), 2, d2), 3, d3);
  for (let i = 0; i < count; i++) {
    const b = first + i;
    const on = (<i32>load<u8>(bits + (<usize>b >>> 3)) >>> (b & 7)) & 1;
    const p = rows + (<usize>i << 4);
    v128.store(p, v128.xor(v128.load(p), v128.and(delta, i32x4.splat(-on))));
  }
}
