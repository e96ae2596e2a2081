// The server's answer ciphertexts in about half their size. Decryption only needs the top bits of c0 + c1·s mod Q:
// the server sends each coefficient of c0 and c1 (read as an integer mod Q by CRT) without its low d0, d1 bits, and
// the client puts back the midpoint of the dropped range. That adds at most 2^(d0−1) + N·2^(d1−1) to the noise (s is
// ternary, so |s|_1 ≤ N, a hard bound). With d0, d1 chosen so that each part stays below Q/(16t), and the flooded
// noise below Q/(32t) (see session.ts), the total stays below Q/(4t), half the decryption limit Q/(2t). The result
// needs about log2(t) + 4 bits for c0 and log2(t) + 17 for c1 instead of 64 bits per prime per polynomial.
// The answer is a function of the ciphertext the server would send otherwise, so it reveals nothing more.
import { ProtocolError } from "../net/errors.js";
import { BitReader, BitWriter } from "./bitstream.js";
import type { PrimeContext } from "./context.js";
import { modInverse } from "../core/modular.js";
import type { Encryptor, Seal } from "./seal.js";

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

export class ResponseCodec {
  /** Ciphertext primes of the answer's level (the first data level without its last prime). */
  readonly moduli: readonly bigint[];
  /** Bits dropped from each coefficient of c0 and of c1, and bits kept. */
  readonly drop: readonly [number, number];
  readonly keep: readonly [number, number];
  /** Size in bytes of one compressed answer ciphertext. */
  readonly bytes: number;
  private readonly q: bigint;
  /** Garner constants: inv[j] = (q_0·…·q_{j−1})^{-1} mod q_j, radix[j] = q_0·…·q_{j−1}. */
  private readonly inv: bigint[];
  private readonly radix: bigint[];

  private constructor(
    readonly n: number,
    moduli: readonly bigint[],
    t: bigint,
    /** The serialisation of a ciphertext at the answer's level up to its coefficients (the same for every answer). */
    private readonly header: Uint8Array,
  ) {
    this.moduli = [...moduli];
    this.q = moduli.reduce((a, b) => a * b, 1n);
    this.radix = [];
    this.inv = [];
    let r = 1n;
    for (const qj of moduli) {
      this.radix.push(r);
      this.inv.push(modInverse(r, qj));
      r *= qj;
    }
    const part = this.q / (16n * t); // each truncation error stays below Q/(16t)
    // 2^(d−1) ≤ part ⟺ d ≤ bitLength(part); for c1 the error is multiplied by at most |s|_1 ≤ N.
    const d0 = bitLength(part);
    const d1 = bitLength(part / BigInt(n));
    const width = bitLength(this.q - 1n);
    this.drop = [d0, d1];
    this.keep = [width - d0, width - d1];
    this.bytes = Math.ceil((n * (this.keep[0] + this.keep[1])) / 8);
  }

  /** The codec of one plaintext prime; `encryptor` (any, under the client's keys) makes a template of the level. */
  static create(s: Seal, pc: PrimeContext, encryptor: Encryptor): ResponseCodec {
    const moduli = Array.from(pc.context.firstContextData.parms.coeffModulus, (q) => BigInt(q)).slice(0, -1);
    const n = pc.context.firstContextData.parms.polyModulusDegree;
    const pt = s.PlainText();
    const ct = s.CipherText();
    try {
      encryptor.encrypt(pt, ct);
      pc.evaluator.cipherModSwitchToNext(ct, ct);
      const saved = ct.saveArray(s.ComprModeType.none);
      return new ResponseCodec(n, moduli, pc.t, saved.slice(0, saved.length - 2 * moduli.length * n * 8));
    } finally {
      pt.delete();
      ct.delete();
    }
  }

  /** Compresses a 2-polynomial ciphertext at the answer's level, saved without compression. */
  compress(saved: Uint8Array): Uint8Array {
    const { n, moduli } = this;
    const k = moduli.length;
    const off = saved.length - 2 * k * n * 8;
    if (off !== this.header.length) throw new RangeError(`ResponseCodec: a ciphertext of ${saved.length} bytes is not at the answer's level`);
    const view = new DataView(saved.buffer, saved.byteOffset, saved.byteLength);
    const out = new BitWriter(this.bytes);
    for (let poly = 0; poly < 2; poly++) {
      const d = BigInt(this.drop[poly]);
      const w = this.keep[poly];
      for (let i = 0; i < n; i++) {
        // Garner: c = Σ h_j·radix_j with h_j = (r_j − Σ_{i<j} h_i·radix_i)·inv_j mod q_j.
        let c = view.getBigUint64(off + (poly * k * n + i) * 8, true);
        for (let j = 1; j < k; j++) {
          const qj = moduli[j];
          const rj = view.getBigUint64(off + ((poly * k + j) * n + i) * 8, true);
          let h = ((rj - (c % qj)) * this.inv[j]) % qj;
          if (h < 0n) h += qj;
          c += h * this.radix[j];
        }
        out.write(c >> d, w);
      }
    }
    return out.finish();
  }

  /** The uncompressed serialisation (SEAL's own format) of a compressed answer, ready for loadArray. */
  expand(packed: Uint8Array): Uint8Array {
    const { n, moduli } = this;
    if (packed.length !== this.bytes) throw new ProtocolError(`he.product.out: an answer ciphertext has ${packed.length} bytes, expected ${this.bytes}`);
    const k = moduli.length;
    const off = this.header.length;
    const saved = new Uint8Array(off + 2 * k * n * 8);
    saved.set(this.header);
    const view = new DataView(saved.buffer);
    const reader = new BitReader(packed);
    for (let poly = 0; poly < 2; poly++) {
      const d = BigInt(this.drop[poly]);
      const half = d > 0n ? 1n << (d - 1n) : 0n; // small parameter sets may leave nothing to drop
      const w = this.keep[poly];
      for (let i = 0; i < n; i++) {
        let c = (reader.read(w) << d) + half;
        if (c >= this.q) c %= this.q;
        for (let j = 0; j < k; j++) view.setBigUint64(off + ((poly * k + j) * n + i) * 8, c % moduli[j], true);
      }
    }
    return saved;
  }
}
