// Server side of one ciphertext × plaintext product for one plaintext prime: X (encrypted by the client, column
// packed) times W (the server's signed integer matrix), plus a mask, re-randomised and noise-flooded. Runs in the
// calling thread or in a pool worker; every SEAL object it creates is deleted before it returns.
import type { PrimeContext } from "./context.js";
import { floodNoise } from "./flood.js";
import { diagonal, uploadCount, type Layout } from "./layout.js";
import type { ResponseCodec } from "./response.js";
import type { Encryptor, GaloisKeys, Seal } from "./seal.js";

/** What the server holds for one prime: the context, the client's Galois keys and an encryptor under its public key. */
export interface ServerPrime {
  readonly pc: PrimeContext;
  readonly galois: GaloisKeys;
  readonly encryptor: Encryptor;
  /** Ciphertext primes of the first data level (where flooding happens). */
  readonly moduli: readonly bigint[];
  /** Bits of uniform noise added to each returned ciphertext. */
  readonly floodBits: number;
  /** Drops the low bits of the returned ciphertexts that decryption does not need. */
  readonly response: Pick<ResponseCodec, "compress">;
}

/** One product for one prime; all fields are structured-cloneable so that a pool worker can run it. */
export interface ProductTask {
  prime: number;
  layout: Layout;
  /** W as K×M row-major signed integers (|w| < t/2). */
  weights: BigInt64Array;
  /** The client's input ciphertexts for this prime, as received: per packed input, its turns (layout.ts). */
  inputs: Uint8Array[];
  /** Per output ciphertext, the mask slot values (residues mod t). */
  masks: BigUint64Array[];
}

/** Runs `task` and returns the output ciphertexts at the second level (one data prime dropped), compressed. */
export function evaluateProduct(s: Seal, sp: ServerPrime, task: ProductTask): Uint8Array[] {
  const { layout: l, weights: w } = task;
  const { context, encoder, evaluator: ev } = sp.pc;
  const uploads = uploadCount(l);
  if (task.inputs.length !== uploads) throw new RangeError(`product: expected ${uploads} input ciphertexts, got ${task.inputs.length}`);
  if (task.masks.length !== l.outCts) throw new RangeError(`product: expected ${l.outCts} mask vectors, got ${task.masks.length}`);
  if (w.length !== l.k * l.m) throw new RangeError(`product: weights have ${w.length} entries, expected ${l.k}×${l.m}`);
  const owned: { delete(): void }[] = [];
  const keep = <T extends { delete(): void }>(o: T): T => (owned.push(o), o);
  try {
    const parmsId = keep(context.firstParmsId);
    const inputs = task.inputs.map((bytes) => {
      const ct = keep(s.CipherText());
      ct.loadArray(context, bytes);
      ev.cipherTransformToNtt(ct, ct);
      return ct;
    });
    const slots = new BigInt64Array(l.slots);
    const pt = keep(s.PlainText());
    const ptNtt = keep(s.PlainText());
    const prod = keep(s.CipherText());
    const acc = keep(s.CipherText());
    const out = keep(s.CipherText());
    const mask = keep(s.CipherText());
    const maskPt = keep(s.PlainText());
    /** into += x, or into = x when `have` is false (into holds nothing yet); returns true, into now holds a sum. */
    const accumulate = (into: typeof out, x: typeof out, have: boolean): true => {
      if (have) ev.add(into, x, into);
      else into.copy(x);
      return true;
    };

    /** acc = Σ over inputs and turns of the terms of giant step u of output c (NTT undone); false if all are zero. */
    const giantStep = (c: number, u: number): boolean => {
      let haveAcc = false;
      for (let b = 0; b < l.inCts; b++) {
        for (let turn = 0; turn < l.copies; turn++) {
          if (!diagonal(l, w, c, b, turn, u, slots)) continue;
          encoder.encode(slots, pt);
          ev.plainTransformToNtt(pt, parmsId, ptNtt);
          const v = inputs[b * l.copies + turn];
          if (haveAcc) {
            ev.multiplyPlain(v, ptNtt, prod);
            ev.add(acc, prod, acc);
          } else {
            ev.multiplyPlain(v, ptNtt, acc);
            haveAcc = true;
          }
        }
      }
      if (haveAcc) ev.cipherTransformFromNtt(acc, acc);
      return haveAcc;
    };

    const result: Uint8Array[] = [];
    for (let c = 0; c < l.outCts; c++) {
      // Horner's rule over the giant steps: out = S_0 + rot(S_1 + rot(S_2 + …)), one rotation by copies blocks each.
      let haveOut = false;
      for (let u = l.steps - 1; u >= 0; u--) {
        if (haveOut) ev.rotateRows(out, l.copies * l.block, sp.galois, out);
        if (giantStep(c, u)) haveOut = accumulate(out, acc, haveOut);
      }
      encoder.encode(task.masks[c], maskPt);
      sp.encryptor.encrypt(maskPt, mask);
      floodNoise(s, context, mask, l.slots, sp.moduli, sp.floodBits);
      accumulate(out, mask, haveOut);
      ev.cipherModSwitchToNext(out, out);
      result.push(sp.response.compress(out.saveArray(s.ComprModeType.none)));
    }
    return result;
  } finally {
    for (const o of owned) o.delete();
  }
}
