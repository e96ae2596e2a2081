// Bit-matrix transpose (the core of IKNP OT extension). Matrices are row-major with LSB-first bits: bit c of row r
// is bit (c & 7) of byte r·rowBytes + (c >> 3), the layout of src/mpc/bits.ts.
// Each 16-row × 128-column block is loaded as 16 vectors and transposed as a 16×16 byte matrix by four rounds of
// byte interleaves; then every byte column yields its 8 output rows as 16-bit masks: i8x16.bitmask collects the top
// bit of each of the 16 bytes, and adding each byte to itself brings the next bit up (one paddb on x86, where V8
// emulates a byte shift with a word shift and a mask: 20% faster overall).

// @ts-ignore: decorator
@inline function lo(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}

// @ts-ignore: decorator
@inline function hi(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}

/**
 * Transposes the 16×16 bytes at p (row stride ss) and stores the 16 result vectors at out: vector j holds byte j
 * of each of the 16 rows.
 */
// @ts-ignore: decorator
@inline function transpose16(p: usize, ss: usize, out: usize): void {
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
  const d0 = lo(c0, c1), d1 = hi(c0, c1);
  const d2 = lo(c2, c3), d3 = hi(c2, c3);
  const d4 = lo(c4, c5), d5 = hi(c4, c5);
  const d6 = lo(c6, c7), d7 = hi(c6, c7);
  const d8 = lo(c8, c9), d9 = hi(c8, c9);
  const d10 = lo(c10, c11), d11 = hi(c10, c11);
  const d12 = lo(c12, c13), d13 = hi(c12, c13);
  const d14 = lo(c14, c15), d15 = hi(c14, c15);
  v128.store(out, d0, 0);
  v128.store(out, d1, 16);
  v128.store(out, d2, 32);
  v128.store(out, d3, 48);
  v128.store(out, d4, 64);
  v128.store(out, d5, 80);
  v128.store(out, d6, 96);
  v128.store(out, d7, 112);
  v128.store(out, d8, 128);
  v128.store(out, d9, 144);
  v128.store(out, d10, 160);
  v128.store(out, d11, 176);
  v128.store(out, d12, 192);
  v128.store(out, d13, 208);
  v128.store(out, d14, 224);
  v128.store(out, d15, 240);
}

/**
 * Writes the 8 bit-rows of one byte column of a 16-row block (y: 16 bits per row) or of two blocks (y and z: 32 bits
 * per row): the row at q + b·stride receives bit b of each byte.
 */
// @ts-ignore: decorator
@inline function emit1(y: v128, q: usize, stride: usize): void {
  store<u16>(q + 7 * stride, i8x16.bitmask(y));
  y = i8x16.add(y, y);
  store<u16>(q + 6 * stride, i8x16.bitmask(y));
  y = i8x16.add(y, y);
  store<u16>(q + 5 * stride, i8x16.bitmask(y));
  y = i8x16.add(y, y);
  store<u16>(q + 4 * stride, i8x16.bitmask(y));
  y = i8x16.add(y, y);
  store<u16>(q + 3 * stride, i8x16.bitmask(y));
  y = i8x16.add(y, y);
  store<u16>(q + 2 * stride, i8x16.bitmask(y));
  y = i8x16.add(y, y);
  store<u16>(q + 1 * stride, i8x16.bitmask(y));
  y = i8x16.add(y, y);
  store<u16>(q, i8x16.bitmask(y));
}

// @ts-ignore: decorator
@inline function emit2(y: v128, z: v128, q: usize, stride: usize): void {
  store<u32>(q + 7 * stride, i8x16.bitmask(y) | (i8x16.bitmask(z) << 16));
  y = i8x16.add(y, y);
  z = i8x16.add(z, z);
  store<u32>(q + 6 * stride, i8x16.bitmask(y) | (i8x16.bitmask(z) << 16));
  y = i8x16.add(y, y);
  z = i8x16.add(z, z);
  store<u32>(q + 5 * stride, i8x16.bitmask(y) | (i8x16.bitmask(z) << 16));
  y = i8x16.add(y, y);
  z = i8x16.add(z, z);
  store<u32>(q + 4 * stride, i8x16.bitmask(y) | (i8x16.bitmask(z) << 16));
  y = i8x16.add(y, y);
  z = i8x16.add(z, z);
  store<u32>(q + 3 * stride, i8x16.bitmask(y) | (i8x16.bitmask(z) << 16));
  y = i8x16.add(y, y);
  z = i8x16.add(z, z);
  store<u32>(q + 2 * stride, i8x16.bitmask(y) | (i8x16.bitmask(z) << 16));
  y = i8x16.add(y, y);
  z = i8x16.add(z, z);
  store<u32>(q + 1 * stride, i8x16.bitmask(y) | (i8x16.bitmask(z) << 16));
  y = i8x16.add(y, y);
  z = i8x16.add(z, z);
  store<u32>(q, i8x16.bitmask(y) | (i8x16.bitmask(z) << 16));
}

/**
 * Transposes 16 rows × 128 columns at p (row stride ss) into 128 rows × 2 bytes at q (row stride `stride`), or,
 * when `pair` is set, 32 rows (two 16-row blocks) into 128 rows × 4 bytes: one 32-bit store instead of two 16-bit
 * ones (≈15% faster overall). spill receives the transposed vectors (512 bytes).
 */
// @ts-ignore: decorator
@inline function block(p: usize, ss: usize, q: usize, stride: usize, spill: usize, pair: bool): void {
  transpose16(p, ss, spill);
  if (pair) {
    transpose16(p + 16 * ss, ss, spill + 256);
    for (let j: usize = 0; j < 16; j++) {
      emit2(v128.load(spill + (j << 4)), v128.load(spill + 256 + (j << 4)), q + (j << 3) * stride, stride);
    }
  } else {
    for (let j: usize = 0; j < 16; j++) emit1(v128.load(spill + (j << 4)), q + (j << 3) * stride, stride);
  }
}

/** Rows and columns of one tile: 512 × 512 bits, so a tile's output (32 KiB at most) stays in L1. */
const TILE: i32 = 512;
/** Bytes at the end of the scratch area for two blocks of transposed vectors. */
const SPILL: i32 = 512;

/** Bytes of the scratch area `bitTranspose` needs. */
export function bitTransposeScratchBytes(): i32 {
  return ((TILE * TILE) >> 3) + SPILL;
}

/**
 * dst (cols × rows bits) = transpose of src (rows × cols bits), with rows a multiple of 16 and cols a multiple of
 * 128; dst must not overlap src. Works tile by tile so that every source line is used while in L1. When a tile's
 * output rows are whole dst rows (rows ≤ 512, the 128 × n case) they are written in place; otherwise (n × 128)
 * they are assembled in tmp (bitTransposeScratchBytes() bytes) and copied out, because 2-byte stores to hundreds of
 * rows whose stride is a multiple of 4 KiB all land in one cache set.
 */
export function bitTranspose(dst: usize, src: usize, rows: i32, cols: i32, tmp: usize): void {
  const srcStride = <usize>cols >> 3;
  const dstStride = <usize>rows >> 3;
  const spill = tmp + ((<usize>TILE * <usize>TILE) >> 3);
  for (let c0 = 0; c0 < cols; c0 += TILE) {
    const tc = min(TILE, cols - c0);
    for (let r0 = 0; r0 < rows; r0 += TILE) {
      const tr = min(TILE, rows - r0);
      const direct = tr == rows;
      const out = direct ? dst + <usize>c0 * dstStride : tmp;
      const outStride = direct ? dstStride : <usize>tr >> 3;
      const base = src + <usize>r0 * srcStride + (<usize>c0 >> 3);
      for (let rb: usize = 0; rb < <usize>tr; rb += 32) {
        const pair = rb + 32 <= <usize>tr;
        for (let cb: usize = 0; cb < (<usize>tc >> 3); cb += 16) {
          block(base + rb * srcStride + cb, srcStride, out + (cb << 3) * outStride + (rb >> 3), outStride, spill, pair);
        }
      }
      if (!direct) {
        const to = dst + <usize>c0 * dstStride + (<usize>r0 >> 3);
        for (let c: usize = 0; c < <usize>tc; c++) memory.copy(to + c * dstStride, tmp + c * outStride, outStride);
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
 * The 1-of-N sender's ciphertexts of one batch, as the wire packs them: value i·N + x (l bits, 1 ≤ l ≤ 64, at bit
 * (i·N + x)·l) of the stream at e is that of the stream at m ⊕ the low l bits of the 16-byte pad of (i, x), for
 * i < count, x < N; the pads at h lie x-major (h[x·count + i]) when xMajor is 1, else instance-major (h[i·N + x]).
 * Both streams are ⌈count·N·l/32⌉ u32 words; the bits past the last value are cleared. e may equal m.
 */
export function otnPads(e: usize, m: usize, h: usize, count: i32, N: i32, l: i32, xMajor: i32): void {
  const hStride: usize = xMajor ? <usize>count << 4 : 16;
  const iStride: usize = xMajor ? 16 : <usize>N << 4;
  const lo = <u64>min(l, 32);
  const hi = <u64>(l - <i32>lo);
  const loMask: u64 = (<u64>1 << lo) - 1;
  const hiMask: u64 = (<u64>1 << hi) - 1;
  bsStart(e, m);
  for (let i: usize = 0; i < <usize>count; i++) {
    let q = h + i * iStride;
    for (let x = 0; x < N; x++, q += hStride) bsPushLane(load<u64>(q), lo, hi, loMask, hiMask);
  }
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

/**
 * dst = src ⊕ tweak, `runs` runs of `count` blocks: block k of every run gets the OT hash's tweak of OT first + k,
 * the little-endian words [index mod 2^32, ⌊index / 2^32⌋, instance, stage] (src/ot/crhash.ts), made here rather
 * than read from a buffer. dst may be src.
 */
export function xorTweaks(dst: usize, src: usize, runs: i32, count: i32, firstLo: u32, firstHi: u32, instance: u32, stage: u32): void {
  const one = i64x2(1, 0);
  const start = i64x2.replace_lane(i64x2.splat(<i64>(<u64>firstLo | (<u64>firstHi << 32))), 1, <i64>(<u64>instance | (<u64>stage << 32)));
  let o: usize = 0;
  for (let r = 0; r < runs; r++) {
    let t = start;
    for (let k = 0; k < count; k++, o += 16) {
      v128.store(dst + o, v128.xor(v128.load(src + o), t));
      t = i64x2.add(t, one);
    }
  }
}
