// Constant-time AES-128 encryption, bitsliced over 8 blocks on v128 (after Käsper and Schwabe, CHES 2009): no
// memory access and no branch depends on the key or the data, so cache timing learns nothing about either.
//
// 8 blocks of 16 bytes are transposed into 8 bit-planes: byte j of plane p holds bit p of byte j of each block
// (block k in bit k). ShiftRows and the row rotations of MixColumns then move whole bytes within a plane (one
// i8x16.shuffle each), multiplication by x mixes planes, and the S-box is Boyar and Peralta's 113-gate circuit
// ("A depth-16 circuit for the AES S-box", 2012) over the planes. The key schedule runs on bit-planes too, with
// every byte of a key plane 0x00 or 0xFF (the same key for all 8 blocks).
//
// The context (aesBsContextBytes()) holds the 11 bitsliced round keys (the first aesBsKeyBytes(), which callers may
// save and restore) and then 8 planes of work space that the rounds update in place: a function cannot return 8
// vectors, so the state passes from round to round through memory. TypeScript allocates the context; the module has
// no static data.

const ROUND_BYTES: usize = 128;
const KEY_BYTES: usize = 11 * ROUND_BYTES;
const WORK: usize = KEY_BYTES;
const CTX_BYTES: i32 = <i32>(KEY_BYTES + ROUND_BYTES);

/** Bytes of one context block. */
export function aesBsContextBytes(): i32 {
  return CTX_BYTES;
}

/** Bytes of round keys at the start of a context. */
export function aesBsKeyBytes(): i32 {
  return <i32>KEY_BYTES;
}

// One step of an 8×8 bit transpose exchanges the bits of a at mask << n with the bits of b at mask: swapLo gives
// the new b, swapHi the new a.
// @ts-ignore: decorator
@inline function swapLo(a: v128, b: v128, n: i32, mask: v128): v128 {
  return v128.xor(b, v128.and(v128.xor(i64x2.shr_u(a, n), b), mask));
}

// @ts-ignore: decorator
@inline function swapHi(a: v128, b: v128, n: i32, mask: v128): v128 {
  return v128.xor(a, i64x2.shl(v128.and(v128.xor(i64x2.shr_u(a, n), b), mask), n));
}

/**
 * Stores at out the 8×8 bit transpose of b0..b7 within each byte position: bit k of byte j of output r is bit r of
 * byte j of input k. The transpose is its own inverse, so it both slices blocks into planes and joins them back.
 */
// @ts-ignore: decorator
@inline function transpose(out: usize, b0: v128, b1: v128, b2: v128, b3: v128, b4: v128, b5: v128, b6: v128, b7: v128): void {
  const m1 = i8x16.splat(0x55);
  const m2 = i8x16.splat(0x33);
  const m4 = i8x16.splat(0x0f);
  let t: v128;
  t = swapLo(b0, b1, 1, m1); b0 = swapHi(b0, b1, 1, m1); b1 = t;
  t = swapLo(b2, b3, 1, m1); b2 = swapHi(b2, b3, 1, m1); b3 = t;
  t = swapLo(b4, b5, 1, m1); b4 = swapHi(b4, b5, 1, m1); b5 = t;
  t = swapLo(b6, b7, 1, m1); b6 = swapHi(b6, b7, 1, m1); b7 = t;
  t = swapLo(b0, b2, 2, m2); b0 = swapHi(b0, b2, 2, m2); b2 = t;
  t = swapLo(b1, b3, 2, m2); b1 = swapHi(b1, b3, 2, m2); b3 = t;
  t = swapLo(b4, b6, 2, m2); b4 = swapHi(b4, b6, 2, m2); b6 = t;
  t = swapLo(b5, b7, 2, m2); b5 = swapHi(b5, b7, 2, m2); b7 = t;
  t = swapLo(b0, b4, 4, m4); b0 = swapHi(b0, b4, 4, m4); b4 = t;
  t = swapLo(b1, b5, 4, m4); b1 = swapHi(b1, b5, 4, m4); b5 = t;
  t = swapLo(b2, b6, 4, m4); b2 = swapHi(b2, b6, 4, m4); b6 = t;
  t = swapLo(b3, b7, 4, m4); b3 = swapHi(b3, b7, 4, m4); b7 = t;
  v128.store(out, b0, 0);
  v128.store(out, b1, 16);
  v128.store(out, b2, 32);
  v128.store(out, b3, 48);
  v128.store(out, b4, 64);
  v128.store(out, b5, 80);
  v128.store(out, b6, 96);
  v128.store(out, b7, 112);
}

// What follows the S-box in sbox(): nothing (the key schedule), a middle round's linear layer, or the last round's.
const SUB: i32 = 0;
const MIX: i32 = 1;
const LAST: i32 = 2;

/**
 * The S-box on the 8 planes at st (Boyar–Peralta's circuit, U0 and S0 the most significant bit), then the linear
 * layer `next` with round key rk; the result replaces the planes at st. The S-box outputs pass to the linear layer
 * in locals, since a function cannot return 8 vectors.
 */
// @ts-ignore: decorator
@inline function sbox(st: usize, rk: usize, next: i32): void {
  const U0 = v128.load(st, 112), U1 = v128.load(st, 96), U2 = v128.load(st, 80), U3 = v128.load(st, 64);
  const U4 = v128.load(st, 48), U5 = v128.load(st, 32), U6 = v128.load(st, 16), U7 = v128.load(st, 0);
  // Top linear layer.
  const T1 = v128.xor(U0, U3), T2 = v128.xor(U0, U5), T3 = v128.xor(U0, U6), T4 = v128.xor(U3, U5);
  const T5 = v128.xor(U4, U6), T6 = v128.xor(T1, T5), T7 = v128.xor(U1, U2), T8 = v128.xor(U7, T6);
  const T9 = v128.xor(U7, T7), T10 = v128.xor(T6, T7), T11 = v128.xor(U1, U5), T12 = v128.xor(U2, U5);
  const T13 = v128.xor(T3, T4), T14 = v128.xor(T6, T11), T15 = v128.xor(T5, T11), T16 = v128.xor(T5, T12);
  const T17 = v128.xor(T9, T16), T18 = v128.xor(U3, U7), T19 = v128.xor(T7, T18), T20 = v128.xor(T1, T19);
  const T21 = v128.xor(U6, U7), T22 = v128.xor(T7, T21), T23 = v128.xor(T2, T22), T24 = v128.xor(T2, T10);
  const T25 = v128.xor(T20, T17), T26 = v128.xor(T3, T16), T27 = v128.xor(T1, T12);
  // Nonlinear middle: the inversion in GF(2^4)^2.
  const M1 = v128.and(T13, T6), M2 = v128.and(T23, T8), M3 = v128.xor(T14, M1), M4 = v128.and(T19, U7);
  const M5 = v128.xor(M4, M1), M6 = v128.and(T3, T16), M7 = v128.and(T22, T9), M8 = v128.xor(T26, M6);
  const M9 = v128.and(T20, T17), M10 = v128.xor(M9, M6), M11 = v128.and(T1, T15), M12 = v128.and(T4, T27);
  const M13 = v128.xor(M12, M11), M14 = v128.and(T2, T10), M15 = v128.xor(M14, M11), M16 = v128.xor(M3, M2);
  const M17 = v128.xor(M5, T24), M18 = v128.xor(M8, M7), M19 = v128.xor(M10, M15), M20 = v128.xor(M16, M13);
  const M21 = v128.xor(M17, M15), M22 = v128.xor(M18, M13), M23 = v128.xor(M19, T25), M24 = v128.xor(M22, M23);
  const M25 = v128.and(M22, M20), M26 = v128.xor(M21, M25), M27 = v128.xor(M20, M21), M28 = v128.xor(M23, M25);
  const M29 = v128.and(M28, M27), M30 = v128.and(M26, M24), M31 = v128.and(M20, M23), M32 = v128.and(M27, M31);
  const M33 = v128.xor(M27, M25), M34 = v128.and(M21, M22), M35 = v128.and(M24, M34), M36 = v128.xor(M24, M25);
  const M37 = v128.xor(M21, M29), M38 = v128.xor(M32, M33), M39 = v128.xor(M23, M30), M40 = v128.xor(M35, M36);
  const M41 = v128.xor(M38, M40), M42 = v128.xor(M37, M39), M43 = v128.xor(M37, M38), M44 = v128.xor(M39, M40);
  const M45 = v128.xor(M42, M41);
  const M46 = v128.and(M44, T6), M47 = v128.and(M40, T8), M48 = v128.and(M39, U7), M49 = v128.and(M43, T16);
  const M50 = v128.and(M38, T9), M51 = v128.and(M37, T17), M52 = v128.and(M42, T15), M53 = v128.and(M45, T27);
  const M54 = v128.and(M41, T10), M55 = v128.and(M44, T13), M56 = v128.and(M40, T23), M57 = v128.and(M39, T19);
  const M58 = v128.and(M43, T3), M59 = v128.and(M38, T22), M60 = v128.and(M37, T20), M61 = v128.and(M42, T1);
  const M62 = v128.and(M45, T4), M63 = v128.and(M41, T2);
  // Bottom linear layer, with the affine constant 0x63 as the four complemented outputs.
  const L0 = v128.xor(M61, M62), L1 = v128.xor(M50, M56), L2 = v128.xor(M46, M48), L3 = v128.xor(M47, M55);
  const L4 = v128.xor(M54, M58), L5 = v128.xor(M49, M61), L6 = v128.xor(M62, L5), L7 = v128.xor(M46, L3);
  const L8 = v128.xor(M51, M59), L9 = v128.xor(M52, M53), L10 = v128.xor(M53, L4), L11 = v128.xor(M60, L2);
  const L12 = v128.xor(M48, M51), L13 = v128.xor(M50, L0), L14 = v128.xor(M52, M61), L15 = v128.xor(M55, L1);
  const L16 = v128.xor(M56, L0), L17 = v128.xor(M57, L1), L18 = v128.xor(M58, L8), L19 = v128.xor(M63, L4);
  const L20 = v128.xor(L0, L1), L21 = v128.xor(L1, L7), L22 = v128.xor(L3, L12), L23 = v128.xor(L18, L2);
  const L24 = v128.xor(L15, L9), L25 = v128.xor(L6, L10), L26 = v128.xor(L7, L9), L27 = v128.xor(L8, L10);
  const L28 = v128.xor(L11, L14), L29 = v128.xor(L11, L17);
  const s7 = v128.xor(L6, L24), s6 = v128.not(v128.xor(L16, L26)), s5 = v128.not(v128.xor(L19, L28));
  const s4 = v128.xor(L6, L21), s3 = v128.xor(L20, L22), s2 = v128.xor(L25, L29);
  const s1 = v128.not(v128.xor(L13, L27)), s0 = v128.not(v128.xor(L6, L23));
  if (next == MIX) {
    mixColumns(st, rk, s0, s1, s2, s3, s4, s5, s6, s7);
  } else if (next == LAST) {
    lastRound(st, rk, s0, s1, s2, s3, s4, s5, s6, s7);
  } else {
    v128.store(st, s0, 0);
    v128.store(st, s1, 16);
    v128.store(st, s2, 32);
    v128.store(st, s3, 48);
    v128.store(st, s4, 64);
    v128.store(st, s5, 80);
    v128.store(st, s6, 96);
    v128.store(st, s7, 112);
  }
}

// ShiftRows within a plane (state byte 4c + r is row r of column c).
// @ts-ignore: decorator
@inline function shiftRows(x: v128): v128 {
  return i8x16.shuffle(x, x, 0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11);
}

// ShiftRows, then each column rotated up by one row.
// @ts-ignore: decorator
@inline function shiftRowsRot1(x: v128): v128 {
  return i8x16.shuffle(x, x, 5, 10, 15, 0, 9, 14, 3, 4, 13, 2, 7, 8, 1, 6, 11, 12);
}

// @ts-ignore: decorator
@inline function rot2(x: v128): v128 {
  return i8x16.shuffle(x, x, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
}

/**
 * ShiftRows, MixColumns and AddRoundKey on the planes x0..x7, stored at st. Per column, with a_r the ShiftRows output,
 * t_r = a_r ⊕ a_{r+1}: out_r = 2a_r ⊕ 3a_{r+1} ⊕ a_{r+2} ⊕ a_{r+3} = 2·t_r ⊕ a_{r+1} ⊕ t_{r+2}. Doubling moves plane
 * p to p + 1 and feeds plane 7 back into planes 0, 1, 3 and 4 (x^8 = x^4 + x^3 + x + 1).
 */
// @ts-ignore: decorator
@inline function mixColumns(st: usize, rk: usize, x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128, x6: v128, x7: v128): void {
  const a0 = shiftRowsRot1(x0), a1 = shiftRowsRot1(x1), a2 = shiftRowsRot1(x2), a3 = shiftRowsRot1(x3);
  const a4 = shiftRowsRot1(x4), a5 = shiftRowsRot1(x5), a6 = shiftRowsRot1(x6), a7 = shiftRowsRot1(x7);
  const t0 = v128.xor(shiftRows(x0), a0), t1 = v128.xor(shiftRows(x1), a1), t2 = v128.xor(shiftRows(x2), a2);
  const t3 = v128.xor(shiftRows(x3), a3), t4 = v128.xor(shiftRows(x4), a4), t5 = v128.xor(shiftRows(x5), a5);
  const t6 = v128.xor(shiftRows(x6), a6), t7 = v128.xor(shiftRows(x7), a7);
  v128.store(st, v128.xor(v128.xor(t7, a0), v128.xor(rot2(t0), v128.load(rk, 0))), 0);
  v128.store(st, v128.xor(v128.xor(v128.xor(t0, t7), a1), v128.xor(rot2(t1), v128.load(rk, 16))), 16);
  v128.store(st, v128.xor(v128.xor(t1, a2), v128.xor(rot2(t2), v128.load(rk, 32))), 32);
  v128.store(st, v128.xor(v128.xor(v128.xor(t2, t7), a3), v128.xor(rot2(t3), v128.load(rk, 48))), 48);
  v128.store(st, v128.xor(v128.xor(v128.xor(t3, t7), a4), v128.xor(rot2(t4), v128.load(rk, 64))), 64);
  v128.store(st, v128.xor(v128.xor(t4, a5), v128.xor(rot2(t5), v128.load(rk, 80))), 80);
  v128.store(st, v128.xor(v128.xor(t5, a6), v128.xor(rot2(t6), v128.load(rk, 96))), 96);
  v128.store(st, v128.xor(v128.xor(t6, a7), v128.xor(rot2(t7), v128.load(rk, 112))), 112);
}

/** The last round's ShiftRows and AddRoundKey on the planes x0..x7, stored at st. */
// @ts-ignore: decorator
@inline function lastRound(st: usize, rk: usize, x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128, x6: v128, x7: v128): void {
  v128.store(st, v128.xor(shiftRows(x0), v128.load(rk, 0)), 0);
  v128.store(st, v128.xor(shiftRows(x1), v128.load(rk, 16)), 16);
  v128.store(st, v128.xor(shiftRows(x2), v128.load(rk, 32)), 32);
  v128.store(st, v128.xor(shiftRows(x3), v128.load(rk, 48)), 48);
  v128.store(st, v128.xor(shiftRows(x4), v128.load(rk, 64)), 64);
  v128.store(st, v128.xor(shiftRows(x5), v128.load(rk, 80)), 80);
  v128.store(st, v128.xor(shiftRows(x6), v128.load(rk, 96)), 96);
  v128.store(st, v128.xor(shiftRows(x7), v128.load(rk, 112)), 112);
}

/** A middle round on the planes at st. */
function round(st: usize, rk: usize): void {
  sbox(st, rk, MIX);
}

/** The last round on the planes at st. */
function finalRound(st: usize, rk: usize): void {
  sbox(st, rk, LAST);
}

/** SubBytes alone on the planes at st (the key schedule's SubWord, on every byte at once). */
function subBytes(st: usize): void {
  sbox(st, 0, SUB);
}

/** Encrypts the 8 sliced blocks at ctx's work planes under its round keys. */
function encryptPlanes(ctx: usize): void {
  const st = ctx + WORK;
  for (let o: usize = 0; o < ROUND_BYTES; o += 16) v128.store(st + o, v128.xor(v128.load(st + o), v128.load(ctx + o)));
  for (let r: usize = 1; r < 10; r++) round(st, ctx + r * ROUND_BYTES);
  finalRound(st, ctx + 10 * ROUND_BYTES);
}

/**
 * Expands the 16-byte key at key into the bitsliced round keys of the context. Column c of round key i is
 * t ⊕ w_0 ⊕ … ⊕ w_c, with w the columns of round key i − 1 and t = SubWord(RotWord(w_3)) ⊕ rcon: all four columns at
 * once, from t copied into every column and the prefix xor of w by two byte shifts. Only the public rcon branches.
 */
export function aesBsExpandKey(ctx: usize, key: usize): void {
  const k = v128.load(key);
  for (let p: usize = 0; p < 8; p++) {
    const one: i32 = 1 << <i32>p;
    const bit = i8x16.splat(<i8>one);
    v128.store(ctx + (p << 4), i8x16.eq(v128.and(k, bit), bit));
  }
  const st = ctx + WORK;
  const zero = i64x2.splat(0);
  const rconColumns = i32x4.splat(0xff);
  let rcon: u32 = 1;
  for (let i: usize = 1; i <= 10; i++) {
    const prev = ctx + (i - 1) * ROUND_BYTES;
    const next = prev + ROUND_BYTES;
    memory.copy(st, prev, ROUND_BYTES);
    subBytes(st);
    for (let p: usize = 0; p < 8; p++) {
      const o = p << 4;
      let t = v128.load(st + o);
      t = i8x16.shuffle(t, t, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12);
      if ((rcon >> <u32>p) & 1) t = v128.xor(t, rconColumns);
      let w = v128.load(prev + o);
      w = v128.xor(w, i8x16.shuffle(zero, w, 0, 0, 0, 0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27));
      w = v128.xor(w, i8x16.shuffle(zero, w, 0, 0, 0, 0, 0, 0, 0, 0, 16, 17, 18, 19, 20, 21, 22, 23));
      v128.store(next + o, v128.xor(w, t));
    }
    rcon = (rcon << 1) ^ (rcon & 0x80 ? 0x11b : 0);
  }
}

/** Slices blocks b0..b7 into the work planes, encrypts them and joins them back into blocks there. */
// @ts-ignore: decorator
@inline function encrypt8(ctx: usize, b0: v128, b1: v128, b2: v128, b3: v128, b4: v128, b5: v128, b6: v128, b7: v128): void {
  const st = ctx + WORK;
  transpose(st, b0, b1, b2, b3, b4, b5, b6, b7);
  encryptPlanes(ctx);
  transpose(st, v128.load(st, 0), v128.load(st, 16), v128.load(st, 32), v128.load(st, 48), v128.load(st, 64), v128.load(st, 80), v128.load(st, 96), v128.load(st, 112));
}

/** Block i of src, or zeros past the m blocks there (the count is public). */
// @ts-ignore: decorator
@inline function block(src: usize, i: i32, m: i32): v128 {
  return i < m ? v128.load(src + (<usize>i << 4)) : i64x2.splat(0);
}

/** dst = AES_k(src) (⊕ src when mmo is set) for n blocks, 8 at a time; a last partial batch is padded with zeros. */
// @ts-ignore: decorator
@inline function ecb(ctx: usize, dst: usize, src: usize, n: i32, mmo: bool): void {
  const st = ctx + WORK;
  for (let i = 0; i < n; i += 8) {
    const m = min(8, n - i);
    const s = src + (<usize>i << 4);
    const d = dst + (<usize>i << 4);
    encrypt8(ctx, block(s, 0, m), block(s, 1, m), block(s, 2, m), block(s, 3, m), block(s, 4, m), block(s, 5, m), block(s, 6, m), block(s, 7, m));
    // Each block of src is read again just before the same block of dst is written, so dst may be src.
    for (let j = 0; j < m; j++) {
      const o = <usize>j << 4;
      const c = v128.load(st + o);
      v128.store(d + o, mmo ? v128.xor(c, v128.load(s + o)) : c);
    }
  }
}

/** dst = AES_k(src) for n 16-byte blocks (ECB). dst may equal src. */
export function aesBsEncrypt(ctx: usize, dst: usize, src: usize, n: i32): void {
  ecb(ctx, dst, src, n, false);
}

/** dst = AES_k(src) ⊕ src for n 16-byte blocks (Matyas–Meyer–Oseas). dst may equal src. */
export function aesBsHash(ctx: usize, dst: usize, src: usize, n: i32): void {
  ecb(ctx, dst, src, n, true);
}

/** The counter block of hi · 2^64 + lo as a 128-bit big-endian integer. */
// @ts-ignore: decorator
@inline function counter(hi: u64, lo: u64): v128 {
  return i64x2.replace_lane(i64x2.splat(bswap<u64>(hi)), 1, bswap<u64>(lo));
}

/**
 * AES-CTR keystream: dst receives AES_k(c) for the n counter blocks c = ctr, ctr + 1, … encoded as 128-bit
 * big-endian integers (the counter layout of node:crypto's aes-128-ctr with a zero IV; past 2^64 the count carries
 * into the upper half, as there). ctr < 2^64 is given as two 32-bit halves.
 */
export function aesBsCtr(ctx: usize, dst: usize, n: i32, ctrLo: u32, ctrHi: u32): void {
  const st = ctx + WORK;
  const c: u64 = (<u64>ctrHi << 32) | <u64>ctrLo;
  for (let i = 0; i < n; i += 8) {
    const m = min(8, n - i);
    // Block i + j is c + i + j: the low half wraps past 2^64, and the high half then counts 1.
    const l0 = c + <u64>i;
    const l1 = l0 + 1, l2 = l0 + 2, l3 = l0 + 3, l4 = l0 + 4, l5 = l0 + 5, l6 = l0 + 6, l7 = l0 + 7;
    encrypt8(
      ctx,
      counter(<u64>(l0 < c), l0),
      counter(<u64>(l1 < c), l1),
      counter(<u64>(l2 < c), l2),
      counter(<u64>(l3 < c), l3),
      counter(<u64>(l4 < c), l4),
      counter(<u64>(l5 < c), l5),
      counter(<u64>(l6 < c), l6),
      counter(<u64>(l7 < c), l7),
    );
    memory.copy(dst + (<usize>i << 4), st, <usize>m << 4);
  }
}
