// Little-endian bit streams of unsigned integers of any width (ciphertext coefficients without their unused high
// bits), written and read in 32-bit words.

/** The low `w` (1..32) bits set; `x & mask(32)` keeps all 32 bits since & reads 2^32 − 1 as −1. */
const mask = (w: number): number => 2 ** w - 1;

export class BitWriter {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  private cur = 0;
  private bits = 0;
  private at = 0;

  constructor(readonly size: number) {
    this.buf = new Uint8Array(Math.ceil(size / 4) * 4 + 4);
    this.view = new DataView(this.buf.buffer);
  }

  /** Appends the `w`-bit (0..32) unsigned integer `v` (v < 2^w). */
  writeSmall(v: number, w: number): void {
    if (w === 0) return;
    this.cur = (this.cur | (v << this.bits)) >>> 0;
    const total = this.bits + w;
    if (total < 32) {
      this.bits = total;
      return;
    }
    this.view.setUint32(this.at, this.cur, true);
    this.at += 4;
    const rest = total - 32;
    this.cur = rest > 0 ? v >>> (w - rest) : 0;
    this.bits = rest;
  }

  /** Appends `v` (< 2^w, any width) in 32-bit pieces, low piece first. */
  write(v: bigint, w: number): void {
    for (; w > 32; w -= 32, v >>= 32n) this.writeSmall(Number(v & 0xffffffffn), 32);
    this.writeSmall(Number(v), w);
  }

  /** Appends a u64 given as its two 32-bit halves, keeping its low `w` (33..64) bits. */
  writeHalves(lo: number, hi: number, w: number): void {
    this.writeSmall(lo, 32);
    this.writeSmall(hi, w - 32);
  }

  /** The stream; it must fill exactly the size given to the constructor. */
  finish(): Uint8Array {
    const used = this.at + Math.ceil(this.bits / 8);
    if (used !== this.size) throw new RangeError(`BitWriter: wrote ${used} of ${this.size} bytes`);
    this.view.setUint32(this.at, this.cur, true);
    return this.buf.subarray(0, this.size);
  }
}

export class BitReader {
  private readonly view: DataView;
  private readonly padded: Uint8Array;
  private cur = 0;
  private bits = 0;
  private at = 0;

  constructor(bytes: Uint8Array) {
    // Words are read whole: copy into a buffer padded to a word boundary (reading past the end yields zeros).
    this.padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4 + 4);
    this.padded.set(bytes);
    this.view = new DataView(this.padded.buffer);
  }

  /** The next `w` (0..32) bits. */
  readSmall(w: number): number {
    if (w === 0) return 0;
    if (this.bits >= w) {
      const v = (this.cur & mask(w)) >>> 0;
      this.cur = w === 32 ? 0 : this.cur >>> w;
      this.bits -= w;
      return v;
    }
    const next = this.at + 4 <= this.padded.length ? this.view.getUint32(this.at, true) : 0;
    this.at += 4;
    const v = ((this.cur | (next << this.bits)) & mask(w)) >>> 0;
    const need = w - this.bits;
    this.cur = need === 32 ? 0 : next >>> need;
    this.bits = 32 - need;
    return v;
  }

  read(w: number): bigint {
    let v = 0n;
    let shift = 0n;
    for (; w > 32; w -= 32, shift += 32n) v |= BigInt(this.readSmall(32)) << shift;
    return v | (BigInt(this.readSmall(w)) << shift);
  }

  /** A u64 of `w` (33..64) bits as its two 32-bit halves. */
  readHalves(w: number): [number, number] {
    const lo = this.readSmall(32);
    return [lo, this.readSmall(w - 32)];
  }
}
