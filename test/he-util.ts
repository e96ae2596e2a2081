// Helpers of the HE tests: the plaintext product reference, keys and encryptions, server state to probe noise, and
// the check that a parameter mismatch fails on both sides.
import { expect } from "vitest";
import type { Ring } from "../src/core/ring.js";
import type { HePlan } from "../src/he/backend.js";
import type { ServerPrime } from "../src/he/evaluate.js";
import { HeContext } from "../src/he/context.js";
import { DEFAULT_HE } from "../src/he/params.js";
import { ParameterMismatchError } from "../src/net/errors.js";
import type { Encryptor, SecretKey } from "../src/he/seal.js";
import type { HeSession } from "../src/he/session.js";

/** signed(a)·w mod 2^l for row-major a (n×k, ring shares) and w (k×m). */
export function productReference(ring: Ring, a: BigUint64Array, w: BigInt64Array, { n, k, m }: Pick<HePlan, "n" | "k" | "m">): BigUint64Array {
  const out = new BigUint64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0n;
      for (let t = 0; t < k; t++) s += ring.signed(a[i * k + t]) * w[t * m + j];
      out[i * m + j] = s & ring.mask;
    }
  }
  return out;
}

/** A secret key and an encryptor (public and symmetric) for the first plaintext prime of a fresh default context. */
export async function firstPrimeKeys(): Promise<{ ctx: HeContext; sk: SecretKey; enc: Encryptor }> {
  const ctx = await HeContext.create(DEFAULT_HE);
  const kg = ctx.seal.KeyGenerator(ctx.primes[0].context);
  const sk = kg.secretKey();
  const pk = kg.createPublicKey();
  const enc = ctx.seal.Encryptor(ctx.primes[0].context, pk, sk);
  kg.delete();
  pk.delete();
  return { ctx, sk, enc };
}

/** The slots of a saved ciphertext of the first plaintext prime, decrypted with `sk`. */
export function decryptSlots(ctx: HeContext, sk: SecretKey, saved: Uint8Array): BigUint64Array {
  const s = ctx.seal;
  const pc = ctx.primes[0];
  const dec = s.Decryptor(pc.context, sk);
  const ct = s.CipherText();
  const pt = s.PlainText();
  try {
    ct.loadArray(pc.context, saved);
    dec.decrypt(ct, pt);
    return pc.encoder.decodeBigInt(pt, false) as BigUint64Array;
  } finally {
    dec.delete();
    ct.delete();
    pt.delete();
  }
}

/** Fresh seeded encryptions of slot vectors under the client's key for plaintext prime `prime`, as SEAL saves them. */
export function encryptInputs(client: HeSession, prime: number, vectors: BigUint64Array[]): Uint8Array[] {
  const s = client.ctx.seal;
  return vectors.map((v) => {
    const pt = client.ctx.primes[prime].encoder.encode(v) as ReturnType<typeof s.PlainText>;
    const ser = client.clientKeys.encryptors[prime].encryptSymmetricSerializable(pt);
    const bytes = ser.saveArray(s.ComprModeType.none);
    ser.delete();
    pt.delete();
    return bytes;
  });
}

/** The server's state for plaintext prime 0 with `floodBits` of flooding; answers compressed or as SEAL saves them. */
export function serverPrimeWith(server: HeSession, floodBits: number, compressed: boolean): ServerPrime {
  return { ...server.serverPrimes[0], floodBits, ...(compressed ? {} : { response: { compress: (saved: Uint8Array) => saved } }) };
}

/** Both set-ups of a pair were rejected with a ParameterMismatchError naming `field`. */
export function expectMismatchOnBoth(results: PromiseSettledResult<unknown>[], field: string): void {
  for (const r of results) {
    expect(r.status).toBe("rejected");
    const e = (r as PromiseRejectedResult).reason as ParameterMismatchError;
    expect(e).toBeInstanceOf(ParameterMismatchError);
    expect(e.field).toBe(field);
    expect(e.message).toContain(field);
  }
}
