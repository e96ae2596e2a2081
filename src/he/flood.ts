// Circuit privacy for a ciphertext the server returns: re-randomise with a fresh public-key encryption (which also
// carries the mask) and add uniform noise of `floodBits` bits to its first polynomial, so that the decrypted noise
// is statistically independent of the weights that produced the ciphertext.
import type { CipherText, Context, Seal } from "./seal.js";

/** Header bytes before the polynomial data of a 2-polynomial ciphertext saved without compression. */
function dataOffset(bytes: Uint8Array, count: number): number {
  const off = bytes.length - 2 * count * 8;
  if (off < 0) throw new RangeError(`flood: a saved ciphertext of ${bytes.length} bytes cannot hold ${count} coefficients per polynomial`);
  return off;
}

const RANDOM_CHUNK = 65536; // getRandomValues' limit per call

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += RANDOM_CHUNK) crypto.getRandomValues(out.subarray(i, Math.min(n, i + RANDOM_CHUNK)));
  return out;
}

/**
 * Adds e_i uniform in [−2^floodBits, 2^floodBits] to each of the n coefficients of c0 of `ct` (coefficient form,
 * `moduli` its ciphertext primes). SEAL has no coefficient access, so this goes through the uncompressed serialisation.
 */
export function floodNoise(s: Seal, context: Context, ct: CipherText, n: number, moduli: readonly bigint[], floodBits: number): void {
  if (!Number.isInteger(floodBits) || floodBits < 1 || floodBits > 250) throw new RangeError(`flood: floodBits must be in [1, 250], got ${floodBits}`);
  const bytes = ct.saveArray(s.ComprModeType.none);
  const k = moduli.length;
  const off = dataOffset(bytes, n * k);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words = Math.ceil((floodBits + 1) / 64);
  const rnd = randomBytes(n * words * 8);
  const rv = new DataView(rnd.buffer);
  const span = 1n << BigInt(floodBits + 1);
  const shift = 1n << BigInt(floodBits);
  for (let i = 0; i < n; i++) {
    let u = 0n;
    for (let w = 0; w < words; w++) u = (u << 64n) | rv.getBigUint64((i * words + w) * 8, true);
    const e = (u % span) - shift;
    for (let j = 0; j < k; j++) {
      const q = moduli[j];
      const at = off + (j * n + i) * 8;
      let c = (view.getBigUint64(at, true) + e) % q;
      if (c < 0n) c += q;
      view.setBigUint64(at, c, true);
    }
  }
  ct.loadArray(context, bytes);
}
