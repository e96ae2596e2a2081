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
