// Sign bits of shared values: MSB(x) = msb(x0) ⊕ msb(x1) ⊕ carry, where carry = [x0' + x1' ≥ 2^(l−1)] for the
// low l−1 bits x' is one millionaire on l−1 bits (server x0', client 2^(l−1) − 1 − x1').
import type { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { compareBatch } from "./millionaire.js";
import { bitOf, checkRing, checkShares, lowBits } from "./extend.js";
import { xorBits } from "../core/bits.js";

/** XOR shares of MSB(x) = [x < 0] for x shared mod 2^ring.bits (ring.bits ≥ 2). */
export async function msb(p: Party, x: BigUint64Array, ring: Ring): Promise<Uint8Array> {
  checkShares(x, "msb: x");
  checkRing(ring, "msb: ring");
  if (ring.bits < 2) throw new RangeError(`msb: ring must have at least 2 bits, got ${ring.bits}`);
  return p.scope("msb", async () => {
    const n = x.length;
    const b = ring.bits - 1;
    const input = lowBits(x, b, !p.isServer);
    const [{ gt: carry }] = await compareBatch(p, n, [{ input, bits: b }]);
    return xorBits(carry, bitOf(x, b));
  });
}

/** Flips XOR-shared bits (the server flips its share). */
export function notBits(p: Party, v: Uint8Array, n: number): Uint8Array {
  if (p.isServer) {
    for (let i = 0; i < v.length; i++) v[i] ^= 0xff;
    if (n & 7) v[n >>> 3] &= (1 << (n & 7)) - 1;
    for (let i = (n + 7) >>> 3; i < v.length; i++) v[i] = 0;
  }
  return v;
}

/** XOR shares of DReLU(x) = [x ≥ 0] (two's complement reading). */
export async function drelu(p: Party, x: BigUint64Array, ring: Ring): Promise<Uint8Array> {
  checkShares(x, "drelu: x");
  return p.scope("drelu", async () => notBits(p, await msb(p, x, ring), x.length));
}
