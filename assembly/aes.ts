// AES-128 encryption with 32-bit T-tables (FIPS-197). Not constant-time: its lookups depend on key and data. The
// runtimes without node:crypto use the bitsliced kernel (aes-bitsliced.ts); this one is the baseline it is measured
// and cross-checked against.
// The tables live in a context block that TypeScript allocates and `aesInit` fills: the module has no static data,
// so instantiating it on a shared memory (one instance per worker) writes nothing. State words are little-endian
// columns: byte r of column c is bits 8r..8r+7 of word c.
//
// Context layout (aesContextBytes()): Te0..Te3 (4 × 256 u32), S-box (256 bytes), round keys (44 u32).

const TE1: usize = 1024;
const TE2: usize = 2048;
const TE3: usize = 3072;
const SBOX: usize = 4096;
const RK: usize = 4352;
const CTX_BYTES: i32 = 4528;

/** Bytes of one context block. */
export function aesContextBytes(): i32 {
  return CTX_BYTES;
}

/** Where the 176 bytes of round keys sit in the context at ctx (callers may save and restore them). */
export function aesRoundKeys(ctx: usize): usize {
  return ctx + RK;
}

// @ts-ignore: decorator
@inline function xtime(b: u32): u32 {
  return ((b << 1) ^ (b & 0x80 ? 0x1b : 0)) & 0xff;
}

// @ts-ignore: decorator
@inline function rotl8(b: u32, n: u32): u32 {
  return ((b << n) | (b >> (8 - n))) & 0xff;
}

/** Fills the S-box and T-tables of the context at ctx. */
export function aesInit(ctx: usize): void {
  // Walk the multiplicative group with generator 3: p runs over 3^i and q over its inverse 3^-i.
  let p: u32 = 1;
  let q: u32 = 1;
  do {
    p = p ^ xtime(p);
    q ^= q << 1;
    q ^= q << 2;
    q ^= q << 4;
    q &= 0xff;
    if (q & 0x80) q ^= 0x09;
    const s = q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4) ^ 0x63;
    store<u8>(ctx + SBOX + p, <u8>s);
  } while (p != 1);
  store<u8>(ctx + SBOX, 0x63);
  for (let x: usize = 0; x < 256; x++) {
    const s = <u32>load<u8>(ctx + SBOX + x);
    const s2 = xtime(s);
    const t = s2 | (s << 8) | (s << 16) | ((s2 ^ s) << 24);
    store<u32>(ctx + (x << 2), t);
    store<u32>(ctx + TE1 + (x << 2), rotl<u32>(t, 8));
    store<u32>(ctx + TE2 + (x << 2), rotl<u32>(t, 16));
    store<u32>(ctx + TE3 + (x << 2), rotl<u32>(t, 24));
  }
}

// @ts-ignore: decorator
@inline function subWord(ctx: usize, w: u32): u32 {
  const s = ctx + SBOX;
  return (
    <u32>load<u8>(s + (w & 255)) |
    (<u32>load<u8>(s + ((w >> 8) & 255)) << 8) |
    (<u32>load<u8>(s + ((w >> 16) & 255)) << 16) |
    (<u32>load<u8>(s + (w >> 24)) << 24)
  );
}

/**
 * Expands the 16-byte key at key into the round keys of the context (the tables must be initialised). key may be
 * aesRoundKeys(ctx) itself.
 */
export function aesExpandKey(ctx: usize, key: usize): void {
  const rk = ctx + RK;
  for (let i: usize = 0; i < 4; i++) store<u32>(rk + (i << 2), load<u32>(key + (i << 2)));
  let rcon: u32 = 1;
  for (let i: usize = 4; i < 44; i++) {
    let t = load<u32>(rk + ((i - 1) << 2));
    if ((i & 3) == 0) {
      // RotWord moves byte 1 to byte 0: a right rotation of the little-endian word.
      t = subWord(ctx, rotr<u32>(t, 8)) ^ rcon;
      rcon = xtime(rcon);
    }
    store<u32>(rk + (i << 2), load<u32>(rk + ((i - 4) << 2)) ^ t);
  }
}

// @ts-ignore: decorator
@inline function te(ctx: usize, a: u32, b: u32, c: u32, d: u32): u32 {
  return (
    load<u32>(ctx + ((a & 255) << 2)) ^
    load<u32>(ctx + TE1 + (((b >> 8) & 255) << 2)) ^
    load<u32>(ctx + TE2 + (((c >> 16) & 255) << 2)) ^
    load<u32>(ctx + TE3 + ((d >> 24) << 2))
  );
}

// @ts-ignore: decorator
@inline function sb(ctx: usize, a: u32, b: u32, c: u32, d: u32): u32 {
  const s = ctx + SBOX;
  return (
    <u32>load<u8>(s + (a & 255)) |
    (<u32>load<u8>(s + ((b >> 8) & 255)) << 8) |
    (<u32>load<u8>(s + ((c >> 16) & 255)) << 16) |
    (<u32>load<u8>(s + (d >> 24)) << 24)
  );
}

/**
 * Encrypts two blocks side by side (their table lookups overlap: ≈8% faster than one at a time) and stores them at
 * da and db, each xored with its input when mmo is set. The columns of the blocks are a0..a3 and b0..b3; a single
 * block is encrypted by passing it twice with da = db. The rounds are unrolled (≈15% faster than a loop).
 */
// @ts-ignore: decorator
@inline function encrypt2(
  ctx: usize,
  da: usize,
  a0: u32,
  a1: u32,
  a2: u32,
  a3: u32,
  db: usize,
  b0: u32,
  b1: u32,
  b2: u32,
  b3: u32,
  mmo: bool,
): void {
  const rk = ctx + RK;
  let k0 = load<u32>(rk),
    k1 = load<u32>(rk, 4),
    k2 = load<u32>(rk, 8),
    k3 = load<u32>(rk, 12);
  let s0 = a0 ^ k0,
    s1 = a1 ^ k1,
    s2 = a2 ^ k2,
    s3 = a3 ^ k3;
  let u0 = b0 ^ k0,
    u1 = b1 ^ k1,
    u2 = b2 ^ k2,
    u3 = b3 ^ k3;
  let t0: u32, t1: u32, t2: u32, t3: u32, v0: u32, v1: u32, v2: u32, v3: u32;
  k0 = load<u32>(rk, 16);
  k1 = load<u32>(rk, 20);
  k2 = load<u32>(rk, 24);
  k3 = load<u32>(rk, 28);
  t0 = te(ctx, s0, s1, s2, s3) ^ k0;
  t1 = te(ctx, s1, s2, s3, s0) ^ k1;
  t2 = te(ctx, s2, s3, s0, s1) ^ k2;
  t3 = te(ctx, s3, s0, s1, s2) ^ k3;
  v0 = te(ctx, u0, u1, u2, u3) ^ k0;
  v1 = te(ctx, u1, u2, u3, u0) ^ k1;
  v2 = te(ctx, u2, u3, u0, u1) ^ k2;
  v3 = te(ctx, u3, u0, u1, u2) ^ k3;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  u0 = v0;
  u1 = v1;
  u2 = v2;
  u3 = v3;
  k0 = load<u32>(rk, 32);
  k1 = load<u32>(rk, 36);
  k2 = load<u32>(rk, 40);
  k3 = load<u32>(rk, 44);
  t0 = te(ctx, s0, s1, s2, s3) ^ k0;
  t1 = te(ctx, s1, s2, s3, s0) ^ k1;
  t2 = te(ctx, s2, s3, s0, s1) ^ k2;
  t3 = te(ctx, s3, s0, s1, s2) ^ k3;
  v0 = te(ctx, u0, u1, u2, u3) ^ k0;
  v1 = te(ctx, u1, u2, u3, u0) ^ k1;
  v2 = te(ctx, u2, u3, u0, u1) ^ k2;
  v3 = te(ctx, u3, u0, u1, u2) ^ k3;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  u0 = v0;
  u1 = v1;
  u2 = v2;
  u3 = v3;
  k0 = load<u32>(rk, 48);
  k1 = load<u32>(rk, 52);
  k2 = load<u32>(rk, 56);
  k3 = load<u32>(rk, 60);
  t0 = te(ctx, s0, s1, s2, s3) ^ k0;
  t1 = te(ctx, s1, s2, s3, s0) ^ k1;
  t2 = te(ctx, s2, s3, s0, s1) ^ k2;
  t3 = te(ctx, s3, s0, s1, s2) ^ k3;
  v0 = te(ctx, u0, u1, u2, u3) ^ k0;
  v1 = te(ctx, u1, u2, u3, u0) ^ k1;
  v2 = te(ctx, u2, u3, u0, u1) ^ k2;
  v3 = te(ctx, u3, u0, u1, u2) ^ k3;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  u0 = v0;
  u1 = v1;
  u2 = v2;
  u3 = v3;
  k0 = load<u32>(rk, 64);
  k1 = load<u32>(rk, 68);
  k2 = load<u32>(rk, 72);
  k3 = load<u32>(rk, 76);
  t0 = te(ctx, s0, s1, s2, s3) ^ k0;
  t1 = te(ctx, s1, s2, s3, s0) ^ k1;
  t2 = te(ctx, s2, s3, s0, s1) ^ k2;
  t3 = te(ctx, s3, s0, s1, s2) ^ k3;
  v0 = te(ctx, u0, u1, u2, u3) ^ k0;
  v1 = te(ctx, u1, u2, u3, u0) ^ k1;
  v2 = te(ctx, u2, u3, u0, u1) ^ k2;
  v3 = te(ctx, u3, u0, u1, u2) ^ k3;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  u0 = v0;
  u1 = v1;
  u2 = v2;
  u3 = v3;
  k0 = load<u32>(rk, 80);
  k1 = load<u32>(rk, 84);
  k2 = load<u32>(rk, 88);
  k3 = load<u32>(rk, 92);
  t0 = te(ctx, s0, s1, s2, s3) ^ k0;
  t1 = te(ctx, s1, s2, s3, s0) ^ k1;
  t2 = te(ctx, s2, s3, s0, s1) ^ k2;
  t3 = te(ctx, s3, s0, s1, s2) ^ k3;
  v0 = te(ctx, u0, u1, u2, u3) ^ k0;
  v1 = te(ctx, u1, u2, u3, u0) ^ k1;
  v2 = te(ctx, u2, u3, u0, u1) ^ k2;
  v3 = te(ctx, u3, u0, u1, u2) ^ k3;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  u0 = v0;
  u1 = v1;
  u2 = v2;
  u3 = v3;
  k0 = load<u32>(rk, 96);
  k1 = load<u32>(rk, 100);
  k2 = load<u32>(rk, 104);
  k3 = load<u32>(rk, 108);
  t0 = te(ctx, s0, s1, s2, s3) ^ k0;
  t1 = te(ctx, s1, s2, s3, s0) ^ k1;
  t2 = te(ctx, s2, s3, s0, s1) ^ k2;
  t3 = te(ctx, s3, s0, s1, s2) ^ k3;
  v0 = te(ctx, u0, u1, u2, u3) ^ k0;
  v1 = te(ctx, u1, u2, u3, u0) ^ k1;
  v2 = te(ctx, u2, u3, u0, u1) ^ k2;
  v3 = te(ctx, u3, u0, u1, u2) ^ k3;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  u0 = v0;
  u1 = v1;
  u2 = v2;
  u3 = v3;
  k0 = load<u32>(rk, 112);
  k1 = load<u32>(rk, 116);
  k2 = load<u32>(rk, 120);
  k3 = load<u32>(rk, 124);
  t0 = te(ctx, s0, s1, s2, s3) ^ k0;
  t1 = te(ctx, s1, s2, s3, s0) ^ k1;
  t2 = te(ctx, s2, s3, s0, s1) ^ k2;
  t3 = te(ctx, s3, s0, s1, s2) ^ k3;
  v0 = te(ctx, u0, u1, u2, u3) ^ k0;
  v1 = te(ctx, u1, u2, u3, u0) ^ k1;
  v2 = te(ctx, u2, u3, u0, u1) ^ k2;
  v3 = te(ctx, u3, u0, u1, u2) ^ k3;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  u0 = v0;
  u1 = v1;
  u2 = v2;
  u3 = v3;
  k0 = load<u32>(rk, 128);
  k1 = load<u32>(rk, 132);
  k2 = load<u32>(rk, 136);
  k3 = load<u32>(rk, 140);
  t0 = te(ctx, s0, s1, s2, s3) ^ k0;
  t1 = te(ctx, s1, s2, s3, s0) ^ k1;
  t2 = te(ctx, s2, s3, s0, s1) ^ k2;
  t3 = te(ctx, s3, s0, s1, s2) ^ k3;
  v0 = te(ctx, u0, u1, u2, u3) ^ k0;
  v1 = te(ctx, u1, u2, u3, u0) ^ k1;
  v2 = te(ctx, u2, u3, u0, u1) ^ k2;
  v3 = te(ctx, u3, u0, u1, u2) ^ k3;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  u0 = v0;
  u1 = v1;
  u2 = v2;
  u3 = v3;
  k0 = load<u32>(rk, 144);
  k1 = load<u32>(rk, 148);
  k2 = load<u32>(rk, 152);
  k3 = load<u32>(rk, 156);
  t0 = te(ctx, s0, s1, s2, s3) ^ k0;
  t1 = te(ctx, s1, s2, s3, s0) ^ k1;
  t2 = te(ctx, s2, s3, s0, s1) ^ k2;
  t3 = te(ctx, s3, s0, s1, s2) ^ k3;
  v0 = te(ctx, u0, u1, u2, u3) ^ k0;
  v1 = te(ctx, u1, u2, u3, u0) ^ k1;
  v2 = te(ctx, u2, u3, u0, u1) ^ k2;
  v3 = te(ctx, u3, u0, u1, u2) ^ k3;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  u0 = v0;
  u1 = v1;
  u2 = v2;
  u3 = v3;
  k0 = load<u32>(rk, 160);
  k1 = load<u32>(rk, 164);
  k2 = load<u32>(rk, 168);
  k3 = load<u32>(rk, 172);
  t0 = sb(ctx, s0, s1, s2, s3) ^ k0;
  t1 = sb(ctx, s1, s2, s3, s0) ^ k1;
  t2 = sb(ctx, s2, s3, s0, s1) ^ k2;
  t3 = sb(ctx, s3, s0, s1, s2) ^ k3;
  v0 = sb(ctx, u0, u1, u2, u3) ^ k0;
  v1 = sb(ctx, u1, u2, u3, u0) ^ k1;
  v2 = sb(ctx, u2, u3, u0, u1) ^ k2;
  v3 = sb(ctx, u3, u0, u1, u2) ^ k3;
  if (mmo) {
    t0 ^= a0;
    t1 ^= a1;
    t2 ^= a2;
    t3 ^= a3;
    v0 ^= b0;
    v1 ^= b1;
    v2 ^= b2;
    v3 ^= b3;
  }
  // The second block is stored first: when da = db the first block's result is the one that remains.
  store<u32>(db, v0);
  store<u32>(db, v1, 4);
  store<u32>(db, v2, 8);
  store<u32>(db, v3, 12);
  store<u32>(da, t0);
  store<u32>(da, t1, 4);
  store<u32>(da, t2, 8);
  store<u32>(da, t3, 12);
}

/** dst = AES_k(src) (⊕ src when mmo is set) for n blocks, two at a time. */
// @ts-ignore: decorator
@inline function ecb(ctx: usize, dst: usize, src: usize, n: i32, mmo: bool): void {
  const end = <usize>n << 4;
  let o: usize = 0;
  for (; o + 32 <= end; o += 32) {
    const p = src + o;
    const a0 = load<u32>(p), a1 = load<u32>(p, 4), a2 = load<u32>(p, 8), a3 = load<u32>(p, 12);
    const b0 = load<u32>(p, 16), b1 = load<u32>(p, 20), b2 = load<u32>(p, 24), b3 = load<u32>(p, 28);
    encrypt2(ctx, dst + o, a0, a1, a2, a3, dst + o + 16, b0, b1, b2, b3, mmo);
  }
  if (o < end) {
    const p = src + o;
    const a0 = load<u32>(p), a1 = load<u32>(p, 4), a2 = load<u32>(p, 8), a3 = load<u32>(p, 12);
    encrypt2(ctx, dst + o, a0, a1, a2, a3, dst + o, a0, a1, a2, a3, mmo);
  }
}

/** dst = AES_k(src) for n 16-byte blocks (ECB). dst may equal src. */
export function aesEncrypt(ctx: usize, dst: usize, src: usize, n: i32): void {
  ecb(ctx, dst, src, n, false);
}

/** dst = AES_k(src) ⊕ src for n 16-byte blocks (Matyas–Meyer–Oseas). dst may equal src. */
export function aesHash(ctx: usize, dst: usize, src: usize, n: i32): void {
  ecb(ctx, dst, src, n, true);
}

/**
 * AES-CTR keystream: dst receives AES_k(c) for the n counter blocks c = ctr, ctr + 1, … encoded as 128-bit
 * big-endian integers (the counter layout of node:crypto's aes-128-ctr with a zero IV). ctr < 2^64 is given as
 * two 32-bit halves.
 */
export function aesCtr(ctx: usize, dst: usize, n: i32, ctrLo: u32, ctrHi: u32): void {
  // The low 64 bits of the counter are bytes 8..15, most significant first: columns 2 and 3 byte-swapped. Past
  // 2^64 the count carries into byte 7 (column 1 = 0x01000000), as in node:crypto.
  const start: u64 = (<u64>ctrHi << 32) | <u64>ctrLo;
  let c = start;
  const end = <usize>n << 4;
  let o: usize = 0;
  for (; o + 32 <= end; o += 32) {
    const d = c + 1;
    const cc: u32 = c < start ? 0x01000000 : 0, dc: u32 = d < start ? 0x01000000 : 0;
    encrypt2(ctx, dst + o, 0, cc, bswap<u32>(<u32>(c >> 32)), bswap<u32>(<u32>c), dst + o + 16, 0, dc, bswap<u32>(<u32>(d >> 32)), bswap<u32>(<u32>d), false);
    c += 2;
  }
  if (o < end) {
    const cc: u32 = c < start ? 0x01000000 : 0;
    const hi = bswap<u32>(<u32>(c >> 32)), lo = bswap<u32>(<u32>c);
    encrypt2(ctx, dst + o, 0, cc, hi, lo, dst + o, 0, cc, hi, lo, false);
  }
}
