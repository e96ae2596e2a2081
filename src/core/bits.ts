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
