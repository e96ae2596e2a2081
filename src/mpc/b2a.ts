// Boolean-to-arithmetic conversion of XOR-shared bits: one correlated OT per bit (SCI's B2A, 128 + l bits).
import type { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { getBit, packedLength } from "../core/bits.js";

/** Checks a packed bit vector holds at least n bits; shared by the protocols that take XOR-shared selectors. */
export function checkBits(bits: Uint8Array, n: number, field: string): void {
  if (!(bits instanceof Uint8Array)) throw new TypeError(`${field}: expected a Uint8Array of packed bits`);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${field}: n must be a non-negative integer, got ${n}`);
  if (bits.length < packedLength(n)) throw new RangeError(`${field}: expected at least ${packedLength(n)} bytes for ${n} bits, got ${bits.length}`);
}

/**
 * Arithmetic shares mod 2^l of n XOR-shared bits b = b0 ⊕ b1 = b0 + b1 − 2·b0·b1. The server sends a COT with
 * correlation −2·b0; the client chooses with b1 and so obtains its share of the cross term.
 */
export async function b2a(p: Party, bits: Uint8Array, n: number, ring: Ring): Promise<BigUint64Array> {
  checkBits(bits, n, "b2a: bits");
  return p.scope("b2a", async () => {
    if (p.isServer) return addBits(bits, await p.ot.cotSend(scaledBits(bits, n, -2n & ring.mask), ring.bits), -1n, ring.mask);
    return addBits(bits, await p.ot.cotRecv(bits, n, ring.bits), 1n, ring.mask);
  });
}

// The loops live in plain functions: V8 optimises them at once, unlike loops inside async functions.

/** c·b_i per lane. */
function scaledBits(bits: Uint8Array, n: number, c: bigint): BigUint64Array {
  const out = new BigUint64Array(n);
  for (let i = 0; i < n; i++) if (getBit(bits, i)) out[i] = c;
  return out;
}

/** b_i + sign·v_i mod 2^l, in place in v. */
function addBits(bits: Uint8Array, v: BigUint64Array, sign: bigint, mask: bigint): BigUint64Array {
  for (let i = 0; i < v.length; i++) v[i] = (BigInt(getBit(bits, i)) + sign * v[i]) & mask;
  return v;
}
