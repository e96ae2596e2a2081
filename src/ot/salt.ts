// The per-session salt of the OT hash. Each party draws a nonce and sends it with its first OT message;
// salt = SHA-256(server nonce ‖ client nonce) truncated to 16 bytes. Both parties derive the same salt, and neither
// picks it alone: a fresh nonce from either side gives a fresh salt. The salt is public.
import { sha256 } from "@noble/hashes/sha2.js";

export const NONCE_BYTES = 16;
export const SALT_BYTES = 16;

function checkNonce(nonce: Uint8Array, field: string): void {
  if (!(nonce instanceof Uint8Array)) throw new TypeError(`sessionSalt: ${field} must be a Uint8Array`);
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`sessionSalt: ${field} must be ${NONCE_BYTES} bytes, got ${nonce.length}`);
}

/** The session salt from both parties' nonces. */
export function sessionSalt(serverNonce: Uint8Array, clientNonce: Uint8Array): Uint8Array {
  checkNonce(serverNonce, "serverNonce");
  checkNonce(clientNonce, "clientNonce");
  const both = new Uint8Array(2 * NONCE_BYTES);
  both.set(serverNonce);
  both.set(clientNonce, NONCE_BYTES);
  return sha256(both).slice(0, SALT_BYTES);
}
