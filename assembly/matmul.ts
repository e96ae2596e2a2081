// Matrix product mod 2^bits over u64 lanes, row-major: C (m×n) = A (m×k) · B (k×n).
// V8 emulates i64x2.mul, so products are built from 32-bit limbs: with a = aL + aH·2^32 and b = bL + bH·2^32,
// a·b mod 2^64 = aL·bL + ((aL·bH + aH·bL) mod 2^32)·2^32. The full aL·bL comes from i64x2.extmul_i32x4_u and the
// cross term from native i32x4.mul, accumulated mod 2^32 and shifted in once per output.
// B is first packed into blocks of 4 columns, each holding per row of B 4 low limbs then 4 high limbs (32 bytes),
// so a 4×4 tile of C streams its block of B contiguously. Columns are walked in panels that stay in L2 while every
// group of 4 rows of A passes over them. A column range [j0, j1) lets workers split one product between them.
import { ringReduce } from "./ring";

/** Columns per L2 panel: 64 columns of packed B take 64·k·8 bytes (384 KiB at k = 768). */
const PANEL: i32 = 64;

/** Bytes of packed B needed for a k×n matrix (columns padded to a multiple of 4). */
export function matmulPackedBytes(k: i32, n: i32): i32 {
  return ((n + 3) >> 2) * k * 32;
}

/** Packs columns [j0, j1) of B (k×n, j0 a multiple of 4) into the 4-column blocks at bp; padding columns are zero. */
function pack(bp: usize, b: usize, k: i32, n: i32, j0: i32, j1: i32): void {
  const rowBytes = <usize>n << 3;
  for (let j = j0; j < j1; j += 4) {
    let dst = bp + (<usize>(j >> 2) * <usize>k << 5);
    const cols = min(4, n - j);
    let src = b + (<usize>j << 3);
    for (let kk = 0; kk < k; kk++) {
      if (cols == 4) {
        const v0 = v128.load(src);
        const v1 = v128.load(src, 16);
        // low limbs are the even u32 lanes, high limbs the odd ones
        v128.store(dst, i32x4.shuffle(v0, v1, 0, 2, 4, 6));
        v128.store(dst, i32x4.shuffle(v0, v1, 1, 3, 5, 7), 16);
      } else {
        for (let c = 0; c < 4; c++) {
          const v: u64 = c < cols ? load<u64>(src + (<usize>c << 3)) : 0;
          store<u32>(dst + (<usize>c << 2), <u32>v);
          store<u32>(dst + (<usize>c << 2), <u32>(v >> 32), 16);
        }
      }
      dst += 32;
      src += rowBytes;
    }
  }
}

/** Writes one row of a tile: full products (lo: columns 0–1, hi: columns 2–3) plus the cross sums shifted up 32. */
// @ts-ignore: decorator
@inline function storeRow(dst: usize, lo: v128, hi: v128, x: v128, cols: i32): void {
  const r0 = i64x2.add(lo, i64x2.shl(i64x2.extend_low_i32x4_u(x), 32));
  const r1 = i64x2.add(hi, i64x2.shl(i64x2.extend_high_i32x4_u(x), 32));
  if (cols == 4) {
    v128.store(dst, r0);
    v128.store(dst, r1, 16);
  } else {
    store<u64>(dst, i64x2.extract_lane(r0, 0));
    if (cols > 1) store<u64>(dst, i64x2.extract_lane(r0, 1), 8);
    if (cols > 2) store<u64>(dst, i64x2.extract_lane(r1, 0), 16);
  }
}

/** C[i..i+4, j..j+cols) from rows i..i+3 of A and the packed block at pb. */
function tile4(c: usize, a: usize, pb: usize, k: i32, n: i32, cols: i32): void {
  const z = i64x2.splat(0);
  let f0l = z, f0h = z, x0 = z;
  let f1l = z, f1h = z, x1 = z;
  let f2l = z, f2h = z, x2 = z;
  let f3l = z, f3h = z, x3 = z;
  const rs = <usize>k << 3;
  let a0 = a, a1 = a + rs, a2 = a + 2 * rs, a3 = a + 3 * rs;
  const end = pb + (<usize>k << 5);
  for (let p = pb; p < end; p += 32) {
    const bl = v128.load(p);
    const bh = v128.load(p, 16);
    let al = v128.load32_splat(a0);
    let ah = v128.load32_splat(a0, 4);
    f0l = i64x2.add(f0l, i64x2.extmul_low_i32x4_u(al, bl));
    f0h = i64x2.add(f0h, i64x2.extmul_high_i32x4_u(al, bl));
    x0 = i32x4.add(x0, i32x4.add(i32x4.mul(al, bh), i32x4.mul(ah, bl)));
    al = v128.load32_splat(a1);
    ah = v128.load32_splat(a1, 4);
    f1l = i64x2.add(f1l, i64x2.extmul_low_i32x4_u(al, bl));
    f1h = i64x2.add(f1h, i64x2.extmul_high_i32x4_u(al, bl));
    x1 = i32x4.add(x1, i32x4.add(i32x4.mul(al, bh), i32x4.mul(ah, bl)));
    al = v128.load32_splat(a2);
    ah = v128.load32_splat(a2, 4);
    f2l = i64x2.add(f2l, i64x2.extmul_low_i32x4_u(al, bl));
    f2h = i64x2.add(f2h, i64x2.extmul_high_i32x4_u(al, bl));
    x2 = i32x4.add(x2, i32x4.add(i32x4.mul(al, bh), i32x4.mul(ah, bl)));
    al = v128.load32_splat(a3);
    ah = v128.load32_splat(a3, 4);
    f3l = i64x2.add(f3l, i64x2.extmul_low_i32x4_u(al, bl));
    f3h = i64x2.add(f3h, i64x2.extmul_high_i32x4_u(al, bl));
    x3 = i32x4.add(x3, i32x4.add(i32x4.mul(al, bh), i32x4.mul(ah, bl)));
    a0 += 8;
    a1 += 8;
    a2 += 8;
    a3 += 8;
  }
  const cs = <usize>n << 3;
  storeRow(c, f0l, f0h, x0, cols);
  storeRow(c + cs, f1l, f1h, x1, cols);
  storeRow(c + 2 * cs, f2l, f2h, x2, cols);
  storeRow(c + 3 * cs, f3l, f3h, x3, cols);
}

/** C[i, j..j+cols) from row i of A and the packed block at pb (the rows left over after groups of 4). */
function tile1(c: usize, a: usize, pb: usize, k: i32, cols: i32): void {
  const z = i64x2.splat(0);
  let fl = z, fh = z, x = z;
  let a0 = a;
  const end = pb + (<usize>k << 5);
  for (let p = pb; p < end; p += 32) {
    const bl = v128.load(p);
    const bh = v128.load(p, 16);
    const al = v128.load32_splat(a0);
    const ah = v128.load32_splat(a0, 4);
    fl = i64x2.add(fl, i64x2.extmul_low_i32x4_u(al, bl));
    fh = i64x2.add(fh, i64x2.extmul_high_i32x4_u(al, bl));
    x = i32x4.add(x, i32x4.add(i32x4.mul(al, bh), i32x4.mul(ah, bl)));
    a0 += 8;
  }
  storeRow(c, fl, fh, x, cols);
}

/**
 * Columns [j0, j1) of C = A·B mod 2^bits (j0 a multiple of 4, j1 ≤ n). bp is scratch of matmulPackedBytes(k, n)
 * bytes; this call only writes the blocks of its own columns, so disjoint column ranges may run concurrently.
 * C must not overlap A, B or bp.
 */
export function matmul(c: usize, a: usize, b: usize, bp: usize, m: i32, k: i32, n: i32, j0: i32, j1: i32, bits: i32): void {
  pack(bp, b, k, n, j0, j1);
  const rowA = <usize>k << 3;
  const rowC = <usize>n << 3;
  const m4 = m & ~3;
  for (let p0 = j0; p0 < j1; p0 += PANEL) {
    const p1 = min(p0 + PANEL, j1);
    for (let i = 0; i < m; i += i < m4 ? 4 : 1) {
      const ai = a + <usize>i * rowA;
      const ci = c + <usize>i * rowC;
      for (let j = p0; j < p1; j += 4) {
        const pb = bp + (<usize>(j >> 2) * <usize>k << 5);
        const cols = min(4, p1 - j);
        if (i < m4) tile4(ci + (<usize>j << 3), ai, pb, k, n, cols);
        else tile1(ci + (<usize>j << 3), ai, pb, k, cols);
      }
    }
  }
  if (bits < 64) for (let i = 0; i < m; i++) ringReduce(c + <usize>i * rowC + (<usize>j0 << 3), c + <usize>i * rowC + (<usize>j0 << 3), j1 - j0, bits);
}
