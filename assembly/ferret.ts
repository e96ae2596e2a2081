// Ferret's LPN gather (src/ot/ferret/lpn.ts): for each output block i, out[i] ^= the XOR of the 10 secret blocks
// at idx[10i … 10i + 9] & mask. Pointers are byte offsets into kernel memory; blocks are 16 bytes, indices u32.
// Memory-latency bound: 10 independent 16-byte loads per output from a k·16-byte table.

// @ts-ignore: decorator
@inline function at(secret: usize, p: usize, mask: u32): v128 {
  return v128.load(secret + ((<usize>(load<u32>(p) & mask)) << 4));
}

export function ferretLpnGather(out: usize, secret: usize, idx: usize, outputs: i32, mask: u32): void {
  let o = out;
  let p = idx;
  for (let i = 0; i < outputs; i++, o += 16, p += 40) {
    let a = v128.xor(v128.load(o), at(secret, p, mask));
    let b = v128.xor(at(secret, p + 4, mask), at(secret, p + 8, mask));
    a = v128.xor(a, v128.xor(at(secret, p + 12, mask), at(secret, p + 16, mask)));
    b = v128.xor(b, v128.xor(at(secret, p + 20, mask), at(secret, p + 24, mask)));
    a = v128.xor(a, v128.xor(at(secret, p + 28, mask), at(secret, p + 32, mask)));
    b = v128.xor(b, at(secret, p + 36, mask));
    v128.store(o, v128.xor(a, b));
  }
}

// The Half-Tree cGGM level step (src/ot/ferret/cggm.ts). σ(lo ‖ hi) = hi ‖ (lo ⊕ hi) on 64-bit halves.
// @ts-ignore: decorator
@inline function sigmaV(x: v128): v128 {
  const swapped = i8x16.shuffle(x, x, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
  return v128.xor(swapped, v128.and(x, i64x2(0, -1)));
}

/** dst[j] = σ(src[j]) for `count` blocks. */
export function ferretSigma(dst: usize, src: usize, count: i32): void {
  const end = src + (<usize>count << 4);
  for (let s = src, d = dst; s < end; s += 16, d += 16) v128.store(d, sigmaV(v128.load(s)));
}

/**
 * One tree's level expansion in place: parents nodes[0 … count), their σ in `sig` and π(σ) in `enc`; writes
 * children 2j = enc ⊕ sig, 2j + 1 = parent ⊕ (2j), descending, and the XOR of the left and right children at
 * sums[0] and sums[16].
 */
export function ferretCombine(nodes: usize, sig: usize, enc: usize, count: i32, sums: usize): void {
  let left = i64x2(0, 0);
  let right = i64x2(0, 0);
  for (let j = count - 1; j >= 0; j--) {
    const o = <usize>j << 4;
    const l = v128.xor(v128.load(enc + o), v128.load(sig + o));
    const r = v128.xor(v128.load(nodes + o), l);
    v128.store(nodes + (o << 1), l);
    v128.store(nodes + (o << 1) + 16, r);
    left = v128.xor(left, l);
    right = v128.xor(right, r);
  }
  v128.store(sums, left);
  v128.store(sums + 16, right);
}

/**
 * The LPN index stream's counter blocks (src/ot/ferret/lpn.ts): block j of tree `tree` is the little-endian words
 * [j, tree, round, domain], for j < blocksPerTree and trees firstTree … firstTree + trees − 1, written in order.
 */
export function ferretCounters(dst: usize, firstTree: u32, trees: i32, round: u32, blocksPerTree: i32, domain: u32): void {
  let d = dst;
  const one = i32x4.replace_lane(i32x4.splat(0), 0, 1);
  for (let b = 0; b < trees; b++) {
    let v = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(0), 1, firstTree + <u32>b), 2, round), 3, domain);
    for (let j = 0; j < blocksPerTree; j++, d += 16) {
      v128.store(d, v);
      v = i32x4.add(v, one);
    }
  }
}

// @ts-ignore: decorator
@inline function bitAt(bits: usize, p: usize, mask: u32): u32 {
  const j = load<u32>(p) & mask;
  return <u32>load<u8>(bits + (j >>> 3)) >>> (j & 7);
}

/**
 * The LPN code on single bits, for the receiver's choice bits ahead of its COTs: bit i of `out` (LSB-first) is the
 * XOR of the bits of the packed table `bits` at idx[10i … 10i + 9] & mask. The table (k bits) sits in L1.
 */
export function ferretLpnBits(out: usize, bits: usize, idx: usize, outputs: i32, mask: u32): void {
  let p = idx;
  let acc: u32 = 0;
  for (let i = 0; i < outputs; i++, p += 40) {
    const c =
      bitAt(bits, p, mask) ^ bitAt(bits, p + 4, mask) ^ bitAt(bits, p + 8, mask) ^ bitAt(bits, p + 12, mask) ^
      bitAt(bits, p + 16, mask) ^ bitAt(bits, p + 20, mask) ^ bitAt(bits, p + 24, mask) ^ bitAt(bits, p + 28, mask) ^
      bitAt(bits, p + 32, mask) ^ bitAt(bits, p + 36, mask);
    acc |= (c & 1) << (<u32>i & 7);
    if ((i & 7) == 7) {
      store<u8>(out + (<usize>i >>> 3), <u8>acc);
      acc = 0;
    }
  }
  if (outputs & 7) store<u8>(out + (<usize>outputs >>> 3), <u8>acc);
}

/** Bit i of `out` (LSB-first) = the LSB of block i, for n blocks: the receiver's choice bits of its COTs. */
export function ferretLsbs(out: usize, blocks: usize, n: i32): void {
  let acc: u32 = 0;
  for (let i = 0; i < n; i++) {
    acc |= (<u32>load<u8>(blocks + (<usize>i << 4)) & 1) << (<u32>i & 7);
    if ((i & 7) == 7) {
      store<u8>(out + (<usize>i >>> 3), <u8>acc);
      acc = 0;
    }
  }
  if (n & 7) store<u8>(out + (<usize>n >>> 3), <u8>acc);
}

// 1-of-N on Ferret (Naor–Pinkas: pad_x = ⊕_j F(K_j^{x_j}, x) from k = log N random OTs): F(K, x) is slot r_j(x)
// (x without bit j, so the N/2 values of x that use key (j, b) take disjoint slots) of K's stream: bits
// [r·l, (r + 1)·l). A key's stream is B blocks; streams lie key-major, OT by OT.

/** Bits [off, off + l) of the little-endian bit stream at p (1 ≤ l ≤ 64). */
@inline function bitsAt(p: usize, off: i32, l: i32): u64 {
  const w = p + (<usize>(off >>> 6) << 3);
  const sh = off & 63;
  let v: u64 = load<u64>(w) >> <u64>sh;
  if (sh + l > 64) v |= load<u64>(w, 8) << <u64>(64 - sh);
  return l == 64 ? v : v & ((<u64>1 << <u64>l) - 1);
}

/** x without its bit j. */
@inline function slotOf(x: i32, j: i32): i32 {
  return (x & ((1 << j) - 1)) | ((x >> (j + 1)) << j);
}

/**
 * Sender: h holds 2k key runs of `count` streams of B blocks, run 2j + b the streams of q_j ⊕ b·Δ; block i·N + x of
 * `out` (instance-major, so that an instance's N stores stay together) gets pad_x of OT i in its low 64 bits.
 */
export function ferretNpPads(out: usize, h: usize, count: i32, k: i32, l: i32, B: i32): void {
  const stream = <usize>B << 4;
  const run = <usize>count * stream;
  const N = 1 << k;
  if (B == 1 && (N >> 1) * l <= 64) {
    // All slots in each hash's low word: key by key, slot r of (q_j, q_j ⊕ Δ) goes to the two x that insert bit j into r.
    const mask: u64 = l == 64 ? <u64>-1 : (<u64>1 << <u64>l) - 1;
    for (let i = 0; i < count; i++) {
      const at = h + (<usize>i << 4);
      const o = out + ((<usize>i * <usize>N) << 4);
      for (let j = 0; j < k; j++) {
        let a = load<u64>(at + <usize>(2 * j) * run);
        let b = load<u64>(at + <usize>(2 * j + 1) * run);
        const low = (1 << j) - 1;
        for (let r = 0; r < N >> 1; r++) {
          const p0 = o + (<usize>(((r & ~low) << 1) | (r & low)) << 4);
          const p1 = p0 + (<usize>(1 << j) << 4);
          if (j == 0) {
            store<u64>(p0, a & mask);
            store<u64>(p1, b & mask);
          } else {
            store<u64>(p0, load<u64>(p0) ^ (a & mask));
            store<u64>(p1, load<u64>(p1) ^ (b & mask));
          }
          a >>= <u64>l;
          b >>= <u64>l;
        }
      }
    }
    return;
  }
  for (let i = 0; i < count; i++) {
    const at = h + <usize>i * stream;
    const o = out + ((<usize>i * <usize>N) << 4);
    for (let x = 0; x < N; x++) {
      let v: u64 = 0;
      for (let j = 0; j < k; j++) v ^= bitsAt(at + <usize>(2 * j + ((x >> j) & 1)) * run, slotOf(x, j) * l, l);
      store<u64>(o + (<usize>x << 4), v);
    }
  }
}

/**
 * Sender, with the reply fused in, when B = 1 and N·l is 32 or 64 (an instance's N values fill whole words of the
 * wire's packing, pad_x at bits [x·l, (x + 1)·l)): those words of the stream at e = the same of the stream at m ⊕ the
 * instance's pads, built in a register instead of N blocks. h as for ferretNpPads; e may be m.
 */
export function ferretNpReply(e: usize, m: usize, h: usize, count: i32, k: i32, l: i32): void {
  const run = <usize>count << 4;
  const half = (1 << k) >> 1;
  const mask: u64 = (<u64>1 << <u64>l) - 1; // l ≤ 32: N ≥ 2 and N·l ≤ 64
  const wide = (l << k) == 64;
  for (let i: usize = 0; i < <usize>count; i++) {
    const at = h + (i << 4);
    let pads: u64 = 0;
    for (let j = 0; j < k; j++) {
      let a = load<u64>(at + <usize>(2 * j) * run);
      let b = load<u64>(at + <usize>(2 * j + 1) * run);
      const low = (1 << j) - 1;
      for (let r = 0; r < half; r++) {
        // Slot r of key (j, 0) belongs to x = r with a 0 inserted at bit j, that of key (j, 1) to x with a 1.
        const x = <u64>(((r & ~low) << 1) | (r & low));
        pads ^= ((a & mask) << (x * <u64>l)) ^ ((b & mask) << ((x + (<u64>1 << <u64>j)) * <u64>l));
        a >>= <u64>l;
        b >>= <u64>l;
      }
    }
    if (wide) store<u64>(e + (i << 3), load<u64>(m + (i << 3)) ^ pads);
    else store<u32>(e + (i << 2), load<u32>(m + (i << 2)) ^ <u32>pads);
  }
}

/** Receiver: h holds k key runs of `count` streams, run j those of t_j; block i of `out` gets pad_c, c = choices[i] (bytes). */
export function ferretNpPick(out: usize, h: usize, choices: usize, count: i32, k: i32, l: i32, B: i32): void {
  const stream = <usize>B << 4;
  const run = <usize>count * stream;
  for (let i = 0; i < count; i++) {
    const c = <i32>load<u8>(choices + <usize>i);
    const at = <usize>i * stream;
    let v: u64 = 0;
    for (let j = 0; j < k; j++) v ^= bitsAt(h + <usize>j * run + at, slotOf(c, j) * l, l);
    store<u64>(out + (<usize>i << 4), v);
  }
}
