// Elementwise arithmetic mod 2^bits over u64 lanes (1 ≤ bits ≤ 64). Pointers are byte offsets handed out by the
// TypeScript allocator; every output may alias an input (each lane is read before it is written).
// Two lanes per v128; i64x2.mul is emulated by V8 but still beats scalar i64 on cache-resident data.

/** 2^bits − 1 as a u64 (all ones for bits = 64). */
// @ts-ignore: decorator
@inline function ringMaskOf(bits: i32): u64 {
  return bits >= 64 ? ~(<u64>0) : (<u64>1 << <u64>bits) - 1;
}

/** c[i] = (a[i] + b[i]) mod 2^bits for i < n. */
export function ringAdd(c: usize, a: usize, b: usize, n: i32, bits: i32): void {
  const m = ringMaskOf(bits);
  const mv = i64x2.splat(m);
  const end = <usize>n << 3;
  const vend = end & ~(<usize>15);
  let o: usize = 0;
  for (; o < vend; o += 16) v128.store(c + o, v128.and(i64x2.add(v128.load(a + o), v128.load(b + o)), mv));
  if (o < end) store<u64>(c + o, (load<u64>(a + o) + load<u64>(b + o)) & m);
}

/** c[i] = (a[i] − b[i]) mod 2^bits for i < n. */
export function ringSub(c: usize, a: usize, b: usize, n: i32, bits: i32): void {
  const m = ringMaskOf(bits);
  const mv = i64x2.splat(m);
  const end = <usize>n << 3;
  const vend = end & ~(<usize>15);
  let o: usize = 0;
  for (; o < vend; o += 16) v128.store(c + o, v128.and(i64x2.sub(v128.load(a + o), v128.load(b + o)), mv));
  if (o < end) store<u64>(c + o, (load<u64>(a + o) - load<u64>(b + o)) & m);
}

/** c[i] = (−a[i]) mod 2^bits for i < n. */
export function ringNeg(c: usize, a: usize, n: i32, bits: i32): void {
  const m = ringMaskOf(bits);
  const mv = i64x2.splat(m);
  const end = <usize>n << 3;
  const vend = end & ~(<usize>15);
  let o: usize = 0;
  for (; o < vend; o += 16) v128.store(c + o, v128.and(i64x2.neg(v128.load(a + o)), mv));
  if (o < end) store<u64>(c + o, (0 - load<u64>(a + o)) & m);
}

/** c[i] = (a[i] · b[i]) mod 2^bits for i < n. */
export function ringMul(c: usize, a: usize, b: usize, n: i32, bits: i32): void {
  const m = ringMaskOf(bits);
  const mv = i64x2.splat(m);
  const end = <usize>n << 3;
  const vend = end & ~(<usize>15);
  let o: usize = 0;
  for (; o < vend; o += 16) v128.store(c + o, v128.and(i64x2.mul(v128.load(a + o), v128.load(b + o)), mv));
  if (o < end) store<u64>(c + o, (load<u64>(a + o) * load<u64>(b + o)) & m);
}

/** c[i] = (a[i] · s) mod 2^bits for i < n. */
export function ringMulScalar(c: usize, a: usize, s: u64, n: i32, bits: i32): void {
  const m = ringMaskOf(bits);
  const mv = i64x2.splat(m);
  const sv = i64x2.splat(s);
  const end = <usize>n << 3;
  const vend = end & ~(<usize>15);
  let o: usize = 0;
  for (; o < vend; o += 16) v128.store(c + o, v128.and(i64x2.mul(v128.load(a + o), sv), mv));
  if (o < end) store<u64>(c + o, (load<u64>(a + o) * s) & m);
}

/** c[i] = (a[i] + s) mod 2^bits for i < n. */
export function ringAddScalar(c: usize, a: usize, s: u64, n: i32, bits: i32): void {
  const m = ringMaskOf(bits);
  const mv = i64x2.splat(m);
  const sv = i64x2.splat(s);
  const end = <usize>n << 3;
  const vend = end & ~(<usize>15);
  let o: usize = 0;
  for (; o < vend; o += 16) v128.store(c + o, v128.and(i64x2.add(v128.load(a + o), sv), mv));
  if (o < end) store<u64>(c + o, (load<u64>(a + o) + s) & m);
}

/** c[i] = a[i] mod 2^bits for i < n. */
export function ringReduce(c: usize, a: usize, n: i32, bits: i32): void {
  const m = ringMaskOf(bits);
  const mv = i64x2.splat(m);
  const end = <usize>n << 3;
  const vend = end & ~(<usize>15);
  let o: usize = 0;
  for (; o < vend; o += 16) v128.store(c + o, v128.and(v128.load(a + o), mv));
  if (o < end) store<u64>(c + o, load<u64>(a + o) & m);
}
