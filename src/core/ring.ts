// The ring Z_{2^l} with a fixed-point scale: values live in u64 lanes, always reduced mod 2^l.

/** Z_{2^bits} with `scale` fractional bits for fixed-point values. */
export class Ring {
  readonly bits: number;
  readonly scale: number;
  /** 2^bits − 1 as a bigint. */
  readonly mask: bigint;
  /** 2^bits as a bigint. */
  readonly modulus: bigint;
  /** 2^(bits−1): the smallest value read as negative. */
  readonly half: bigint;

  constructor(bits: number, scale = 0) {
    if (!Number.isInteger(bits) || bits < 1 || bits > 64) throw new RangeError(`Ring: bits must be an integer in [1, 64], got ${bits}`);
    if (!Number.isInteger(scale) || scale < 0 || scale >= bits) throw new RangeError(`Ring: scale must be an integer in [0, bits), got ${scale}`);
    this.bits = bits;
    this.scale = scale;
    this.modulus = 1n << BigInt(bits);
    this.mask = this.modulus - 1n;
    this.half = 1n << BigInt(bits - 1);
  }

  /** Reduces a bigint (any sign) into [0, 2^bits). */
  reduce(v: bigint): bigint {
    return v & this.mask;
  }

  /** Reduces every lane of `a` in place and returns it. */
  reduceArray(a: BigUint64Array): BigUint64Array {
    if (this.bits === 64) return a;
    const m = this.mask;
    for (let i = 0; i < a.length; i++) a[i] &= m;
    return a;
  }

  /** The two's-complement reading of a ring element, in [−2^(bits−1), 2^(bits−1)). */
  signed(v: bigint): bigint {
    return v >= this.half ? v - this.modulus : v;
  }

  /** Ring element of a signed integer; throws if it does not fit in `bits` bits as a signed value. */
  fromSigned(v: bigint, field = "value"): bigint {
    if (v < -this.half || v >= this.half) throw new RangeError(`${field}: ${v} does not fit in a signed ${this.bits}-bit ring`);
    return v & this.mask;
  }

  /** Fixed-point encoding of a real number, rounded to nearest; throws (naming `field`) when out of range. */
  encode(x: number, field = "value"): bigint {
    if (!Number.isFinite(x)) throw new RangeError(`${field}: ${x} is not a finite number`);
    const v = BigInt(Math.round(x * 2 ** this.scale));
    return this.fromSigned(v, field);
  }

  /** The real number a ring element stands for. */
  decode(v: bigint): number {
    return Number(this.signed(v & this.mask)) / 2 ** this.scale;
  }

  encodeArray(xs: ArrayLike<number>, field = "values"): BigUint64Array {
    const out = new BigUint64Array(xs.length);
    for (let i = 0; i < xs.length; i++) out[i] = this.encode(xs[i], `${field}[${i}]`);
    return out;
  }

  decodeArray(a: BigUint64Array): Float64Array {
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = this.decode(a[i]);
    return out;
  }

  /** Largest real number representable: (2^(bits−1) − 1) / 2^scale. */
  get maxReal(): number {
    return Number(this.half - 1n) / 2 ** this.scale;
  }

  /** A short description used in parameter hashes and errors. */
  toString(): string {
    return `Z_2^${this.bits} (scale ${this.scale})`;
  }
}
