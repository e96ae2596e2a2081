// The fixed key of the tree hash π, derived from the session salt (src/ot/salt.ts) under a domain of its own, so that
// Ferret's π and the OT extension's salted hash (crhash.ts, keyed with the salt itself) are independent permutations.
import { sha256 } from "@noble/hashes/sha2.js";
import { aesOn, type Aes, type AesBackend } from "../../core/aes.js";

const DOMAIN = new TextEncoder().encode("cipherprune/ot/ferret/tree/v1");

/** 16 bytes: SHA-256(domain ‖ salt) truncated. Public, like the salt. */
export function ferretTreeKey(salt: Uint8Array): Uint8Array {
  if (!(salt instanceof Uint8Array) || salt.length !== 16) throw new RangeError("ferretTreeKey: salt must be 16 bytes");
  const buf = new Uint8Array(DOMAIN.length + salt.length);
  buf.set(DOMAIN);
  buf.set(salt, DOMAIN.length);
  return sha256(buf).slice(0, 16);
}

/** π for FerretOptions.aes: AES under ferretTreeKey(salt) on `backend`. */
export function ferretTreeAes(salt: Uint8Array, backend: AesBackend): Aes {
  return aesOn(ferretTreeKey(salt), backend);
}
