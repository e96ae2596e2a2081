// Integers below T = Π t_i from their residues (Garner's mixed-radix form), read modulo 2^bits.
import { modInverse } from "../core/modular.js";

export class Crt {
  readonly moduli: readonly bigint[];
  /** inv[p][q] = t_q^{-1} mod t_p for q < p. */
  private readonly inv: bigint[][];
  /** radix[p] = t_0·…·t_{p−1}. */
  private readonly radix: bigint[];

  constructor(moduli: readonly bigint[]) {
    if (moduli.length < 1) throw new RangeError("crt: needs at least one modulus");
    this.moduli = [...moduli];
    this.inv = moduli.map((tp, p) => moduli.slice(0, p).map((tq) => modInverse(tq, tp)));
    this.radix = [];
    let r = 1n;
    for (const t of moduli) {
      this.radix.push(r);
      r *= t;
    }
  }

  /** The integer in [0, T) with residues z[p] (each in [0, t_p)), modulo 2^bits. */
  toRing(z: readonly bigint[], mask: bigint): bigint {
    const h: bigint[] = [];
    let acc = 0n;
    for (let p = 0; p < z.length; p++) {
      const tp = this.moduli[p];
      let v = z[p];
      for (let q = 0; q < p; q++) v = ((v - h[q]) * this.inv[p][q]) % tp;
      if (v < 0n) v += tp;
      h.push(v);
      acc += v * this.radix[p];
    }
    return acc & mask;
  }
}
