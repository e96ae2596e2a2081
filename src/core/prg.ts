// Pseudorandom generator: the AES-128-CTR keystream under a 16-byte seed, counter blocks starting at 0 and encoded
// as 128-bit big-endian integers (node:crypto's aes-128-ctr with a zero IV). Both backends give the same stream, so
// parties that agree on a seed derive the same bytes whatever runtime they are on.
// The stream is consumed in order and does not depend on how requests are split: small requests are served from a
// buffered chunk, large ones are written straight into the caller's array.
// Creation is async (node:crypto is loaded by dynamic import); everything after it is synchronous.
import { BLOCK_BYTES, checkKey, ctrKeystream, resolveBackend, type AesBackend, type AesOptions, type CtrKeystream } from "./aes.js";

export const SEED_BYTES = 16;
/** Keystream buffered per generator for small requests; larger ones bypass it. */
const BUFFER_BYTES = 16384;

function checkCount(n: number, fn: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${fn}: n must be a non-negative integer, got ${n}`);
}

export class Prg {
  private readonly stream: CtrKeystream;
  private readonly buf = new Uint8Array(BUFFER_BYTES);
  /** Bytes of buf already handed out; buf.length when empty. */
  private pos = BUFFER_BYTES;

  private constructor(readonly backend: AesBackend, seed: Uint8Array) {
    this.stream = ctrKeystream(seed, backend);
  }

  /** A PRG seeded from the operating system (crypto.getRandomValues). */
  static async create(opts: AesOptions = {}): Promise<Prg> {
    return Prg.fromSeed(crypto.getRandomValues(new Uint8Array(SEED_BYTES)), opts);
  }

  /** The deterministic stream of a 16-byte seed (tests, and streams both parties derive from an agreed seed). */
  static async fromSeed(seed: Uint8Array, opts: AesOptions = {}): Promise<Prg> {
    checkKey(seed, "Prg.fromSeed: seed");
    return new Prg(await resolveBackend(opts.backend), seed);
  }

  /** Another PRG on the same backend, synchronously: the stream of `seed`. */
  withSeed(seed: Uint8Array): Prg {
    checkKey(seed, "Prg.withSeed: seed");
    return new Prg(this.backend, seed);
  }

  /** A child PRG seeded from this stream. */
  fork(): Prg {
    return this.withSeed(this.seed());
  }

  /** 16 fresh bytes, e.g. a seed to share with the peer. */
  seed(): Uint8Array {
    return this.bytes(SEED_BYTES);
  }

  /** Fills `out` with the next out.length bytes of the stream. */
  fill(out: Uint8Array): Uint8Array {
    if (!(out instanceof Uint8Array)) throw new TypeError("Prg.fill: out must be a Uint8Array");
    let o = Math.min(out.length, BUFFER_BYTES - this.pos);
    out.set(this.buf.subarray(this.pos, this.pos + o));
    this.pos += o;
    if (o === out.length) return out;
    // The buffer is exhausted. Large requests take their whole blocks straight from the stream; the rest comes
    // through a fresh buffer.
    if (out.length - o >= BUFFER_BYTES) {
      const direct = out.length - o - ((out.length - o) % BLOCK_BYTES);
      this.stream.next(out.subarray(o, o + direct));
      o += direct;
    }
    if (o < out.length) {
      this.stream.next(this.buf);
      this.pos = out.length - o;
      out.set(this.buf.subarray(0, this.pos), o);
    }
    return out;
  }

  /** n fresh bytes. */
  bytes(n: number): Uint8Array {
    checkCount(n, "Prg.bytes");
    return this.fill(new Uint8Array(n));
  }

  /** n bits, packed LSB-first (src/mpc/bits.ts), with the bits past n in the last byte cleared. */
  bits(n: number): Uint8Array {
    checkCount(n, "Prg.bits");
    const out = this.bytes((n + 7) >>> 3);
    if (n & 7) out[out.length - 1] &= (1 << (n & 7)) - 1;
    return out;
  }

  /** Fills `out` with values uniform mod 2^bits (little-endian 8-byte words of the stream, masked). */
  fillU64(out: BigUint64Array, bits = 64): BigUint64Array {
    if (!(out instanceof BigUint64Array)) throw new TypeError("Prg.fillU64: out must be a BigUint64Array");
    if (!Number.isInteger(bits) || bits < 1 || bits > 64) {
      throw new RangeError(`Prg.fillU64: bits must be an integer in [1, 64], got ${bits}`);
    }
    this.fill(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    if (bits < 64) {
      // Mask through 32-bit halves (little-endian lanes: even = low word), which avoids BigInt arithmetic.
      const w = new Uint32Array(out.buffer, out.byteOffset, out.length * 2);
      if (bits <= 32) {
        const m = bits === 32 ? 0xffffffff : (1 << bits) - 1;
        for (let i = 0; i < w.length; i += 2) {
          w[i] &= m;
          w[i + 1] = 0;
        }
      } else {
        const m = 2 ** (bits - 32) - 1;
        for (let i = 1; i < w.length; i += 2) w[i] &= m;
      }
    }
    return out;
  }

  /** n values uniform mod 2^bits. */
  u64(n: number, bits = 64): BigUint64Array {
    checkCount(n, "Prg.u64");
    return this.fillU64(new BigUint64Array(n), bits);
  }
}
