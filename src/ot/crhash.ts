// Correlation-robust hash of OT extension: fixed-key AES in Matyas–Meyer–Oseas form, H(x) = π(x) ⊕ x (as SCI),
// applied to many 16-byte blocks per call. 256-bit inputs (the 1-of-N extension) are chained:
// H(a, b) = H(H(a) ⊕ b), so a guess needs every bit of s under the (weight-128) code difference.
import { createAes, type Aes, type AesBackend } from "../core/aes.js";
import { xorKernel } from "./scratch.js";

// A public constant: the hash needs a fixed random permutation, not a secret.
const FIXED_KEY = Uint8Array.from([0x63, 0x69, 0x70, 0x68, 0x65, 0x72, 0x70, 0x72, 0x75, 0x6e, 0x65, 0x2f, 0x6f, 0x74, 0x2f, 0x31]);

const shared = new Map<AesBackend, Promise<Aes>>();

/** The process-wide fixed-key permutation on `backend`. */
export function fixedKeyAes(backend: AesBackend): Promise<Aes> {
  let aes = shared.get(backend);
  if (aes === undefined) shared.set(backend, (aes = createAes(FIXED_KEY, { backend })));
  return aes;
}

/**
 * dst[i] = H(a[i], b[i]) for 32-byte inputs split into two 16-byte halves; `a` is overwritten. All three lie in
 * kernel memory (the xor runs there).
 */
export function hashPairs(aes: Aes, a: Uint8Array, b: Uint8Array, dst: Uint32Array): void {
  aes.hashBlocks(a, a);
  xorKernel(a, a, b.subarray(0, a.length));
  aes.hashBlocks(a, new Uint8Array(dst.buffer, dst.byteOffset, a.length));
}
