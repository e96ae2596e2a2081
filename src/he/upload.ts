// The client's seeded ciphertexts without SEAL's padding: SEAL stores each residue of c0 in a u64, while a residue
// mod q_j needs only bitlen(q_j) bits (60 of 64 with the default primes, 6% of an upload). Everything around c0
// (header, parameter id, the seed of c1) is kept verbatim, so the receiver rebuilds SEAL's exact bytes.
//
// SEAL 4.1 layout of a 2-polynomial ciphertext saved with compression `none` (checked on load below):
//   [0, 89)     SEAL header, parms_id, NTT flag, size, N, coefficient-modulus count, scale, correction factor
//   [89, 113)   header of the data array and its element count (u64 at 105)
//   [113, …)    the coefficients; for a seeded ciphertext only c0 (k·N residues, prime-major), then the seed record
import { ProtocolError } from "../net/errors.js";
import { BitReader, BitWriter } from "./bitstream.js";

const DATA_AT = 113;
const COUNT_AT = 105;

export class UploadCodec {
  private readonly widths: number[];
  /** Packed size of c0. */
  private readonly packedBits: number;

  constructor(
    readonly n: number,
    readonly moduli: readonly bigint[],
  ) {
    this.widths = moduli.map((q) => {
      const w = (q - 1n).toString(2).length;
      if (w <= 32 || w > 64) throw new RangeError(`UploadCodec: ciphertext primes must have 33 to 64 bits, got ${w}`);
      return w;
    });
    this.packedBits = n * this.widths.reduce((a, b) => a + b, 0);
  }

  private get dataBytes(): number {
    return this.moduli.length * this.n * 8;
  }

  /** Packs a seeded ciphertext saved with compression `none`. */
  pack(saved: Uint8Array): Uint8Array {
    const view = new DataView(saved.buffer, saved.byteOffset, saved.byteLength);
    const count = saved.length >= DATA_AT ? view.getBigUint64(COUNT_AT, true) : -1n;
    if (count !== BigInt(this.moduli.length * this.n)) throw new RangeError(`UploadCodec: not a seeded ciphertext with ${this.moduli.length}×${this.n} residues`);
    const tail = saved.length - DATA_AT - this.dataBytes;
    if (tail < 0) throw new RangeError(`UploadCodec: a saved ciphertext of ${saved.length} bytes is truncated`);
    const packedBytes = Math.ceil(this.packedBits / 8);
    const out = new Uint8Array(DATA_AT + packedBytes + tail);
    out.set(saved.subarray(0, DATA_AT));
    out.set(saved.subarray(DATA_AT + this.dataBytes), DATA_AT + packedBytes);
    const w = new BitWriter(packedBytes);
    this.moduli.forEach((_, j) => {
      const width = this.widths[j];
      for (let i = 0; i < this.n; i++) {
        const at = DATA_AT + (j * this.n + i) * 8;
        w.writeHalves(view.getUint32(at, true), view.getUint32(at + 4, true), width);
      }
    });
    out.set(w.finish(), DATA_AT);
    return out;
  }

  /** SEAL's bytes of a packed upload, ready for loadArray; `field` names the message in errors. */
  unpack(packed: Uint8Array, field: string): Uint8Array {
    const packedBytes = Math.ceil(this.packedBits / 8);
    const tail = packed.length - DATA_AT - packedBytes;
    if (tail < 0) throw new ProtocolError(`${field}: a packed ciphertext of ${packed.length} bytes is truncated`);
    const saved = new Uint8Array(DATA_AT + this.dataBytes + tail);
    saved.set(packed.subarray(0, DATA_AT));
    saved.set(packed.subarray(DATA_AT + packedBytes), DATA_AT + this.dataBytes);
    const view = new DataView(saved.buffer);
    if (view.getBigUint64(COUNT_AT, true) !== BigInt(this.moduli.length * this.n)) {
      throw new ProtocolError(`${field}: a packed ciphertext does not hold ${this.moduli.length}×${this.n} residues`);
    }
    const r = new BitReader(packed.subarray(DATA_AT, DATA_AT + packedBytes));
    this.moduli.forEach((_, j) => {
      const width = this.widths[j];
      for (let i = 0; i < this.n; i++) {
        const [lo, hi] = r.readHalves(width);
        const at = DATA_AT + (j * this.n + i) * 8;
        view.setUint32(at, lo, true);
        view.setUint32(at + 4, hi, true);
      }
    });
    return saved;
  }
}
