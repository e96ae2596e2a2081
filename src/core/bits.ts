// Bit-packed boolean vectors: bit i of a vector is bit (i & 7) of byte (i >> 3), least significant first.
// Boolean shares, OT choice vectors and opened masks all use this layout; bits past the length are zero.

export function packedLength(n: number): number {
  return (n + 7) >>> 3;
}

export function getBit(v: Uint8Array, i: number): number {
  return (v[i >>> 3] >>> (i & 7)) & 1;
}

export function setBit(v: Uint8Array, i: number, bit: number): void {
  const m = 1 << (i & 7);
  if (bit & 1) v[i >>> 3] |= m;
  else v[i >>> 3] &= ~m;
}

/** Packs one-bit-per-byte values (only the low bit is read). */
export function packBits(bits: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(packedLength(bits.length));
  for (let i = 0; i < bits.length; i++) out[i >>> 3] |= (bits[i] & 1) << (i & 7);
  return out;
}

/** Unpacks the first n bits to one byte each. */
export function unpackBits(v: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (v[i >>> 3] >>> (i & 7)) & 1;
  return out;
}

/** a ⊕ b over whole bytes. */
export function xorBits(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new RangeError(`xorBits: lengths differ (${a.length} and ${b.length} bytes)`);
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** Clears the bits at positions ≥ n so that packed vectors compare equal byte by byte. */
export function clearTail(v: Uint8Array, n: number): Uint8Array {
  if (n & 7) v[n >>> 3] &= (1 << (n & 7)) - 1;
  for (let i = packedLength(n); i < v.length; i++) v[i] = 0;
  return v;
}

/**
 * ORs bits [srcBit, srcBit + n) of `src` into `dst` from bit `dstBit` on (bits LSB-first; dst's bits from dstBit on
 * must be 0), a byte at a time.
 */
export function copyBits(dst: Uint8Array, dstBit: number, src: Uint8Array, srcBit: number, n: number): void {
  const ss = srcBit & 7;
  const ds = dstBit & 7;
  for (let i = 0, s = srcBit >>> 3, d = dstBit >>> 3; i < n; i += 8, s++, d++) {
    // Reads past the end of src give undefined, which shifts as 0.
    let v = ss === 0 ? src[s] : ((src[s] >>> ss) | (src[s + 1] << (8 - ss))) & 0xff;
    if (n - i < 8) v &= (1 << (n - i)) - 1;
    dst[d] |= v << ds;
    if (ds !== 0 && n - i > 8 - ds) dst[d + 1] |= v >>> (8 - ds);
  }
}
