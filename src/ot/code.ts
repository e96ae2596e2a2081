// The λ = 256 Walsh–Hadamard code of the 1-of-N extension (as SCI's KKOT): C(x)_j = parity(x & j) for j < 256.
// Distinct codewords differ in exactly 128 positions, so a receiver that knows t^i = q^i ⊕ (C(c) ∧ s) must guess
// 128 bits of s to compute any other pad H(q^i ⊕ (C(x) ∧ s)).

/** Bits of one codeword. */
export const CODE_BITS = 256;

function parity(x: number): number {
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

/** C(x) ∧ s for x < N: 32 bytes per x, bit j of the bytes = bit j of the codeword. */
export function maskedCodewords(N: number, s: Uint8Array): Uint8Array {
  const c = new Uint8Array(32 * N);
  for (let x = 0; x < N; x++) {
    for (let j = 0; j < CODE_BITS; j++) {
      if (parity(x & j) & (s[j >>> 3] >>> (j & 7))) c[32 * x + (j >>> 3)] |= 1 << (j & 7);
    }
  }
  return c;
}

/**
 * The receiver's code columns for choices c_i < 2^k, written to `out` (4·(m/32)·(2^k + k) bytes, 4-byte aligned):
 * column v (m bits, m/8 bytes at v·m/8) has bit i = C(c_i)_v = parity(c_i & v). Columns j ≥ 2^k equal column
 * j mod 2^k, as c_i < 2^k. Built from the k bit planes of the choices (kept after the columns) by xor.
 */
export function codeColumns(choices: Uint8Array, m: number, k: number, out: Uint8Array): Uint8Array {
  const N = 1 << k;
  const cw = m >>> 5;
  const cols = new Uint32Array(out.buffer, out.byteOffset, cw * (N + k));
  cols.fill(0);
  const planes = N * cw;
  for (let i = 0; i < choices.length; i++) {
    const c = choices[i];
    for (let b = 0; b < k; b++) if ((c >>> b) & 1) cols[planes + b * cw + (i >>> 5)] |= 1 << (i & 31);
  }
  for (let v = 1; v < N; v++) {
    const low = 31 - Math.clz32(v & -v);
    const rest = (v & (v - 1)) * cw;
    const plane = planes + low * cw;
    const dst = v * cw;
    for (let w = 0; w < cw; w++) cols[dst + w] = cols[rest + w] ^ cols[plane + w];
  }
  return out;
}

/** Fills dst with copies of a 16-byte block, doubling the filled prefix each step. */
export function spreadBlock(dst: Uint8Array, block: Uint8Array): void {
  dst.set(block);
  for (let len = block.length; len < dst.length; len *= 2) dst.copyWithin(len, 0, Math.min(len, dst.length - len));
}
