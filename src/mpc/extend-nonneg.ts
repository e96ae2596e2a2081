// Extension to a larger ring of a value known to be non-negative: with a zero top bit, the wrap of the shares is
// a ∨ b for their top bits a and b, so one correlated OT (a·b) replaces the comparison that `extend` needs.
import type { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { bitOf, checkRing, checkShares } from "./extend.js";
import { getBit } from "../core/bits.js";
import { bitLanes, negate } from "./truncate.js";

/** x_i − 2^f·(bit_i − ab_i) mod 2^to: this party's share of the integer, from its top bit and its share of a·b. */
function lifted(x: BigUint64Array, top: Uint8Array, ab: BigUint64Array, f: bigint, mask: bigint): BigUint64Array {
  const out = new BigUint64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - ((BigInt(getBit(top, i)) - ab[i]) << f)) & mask;
  return out;
}

/**
 * Shares mod 2^to.bits of x, shared mod 2^from.bits and promised in [0, 2^(from.bits−1)) on every lane. The wrap
 * a ∨ b = a + b − a·b costs one correlated OT of to.bits − from.bits bits (128 + that many bits per value, one
 * round trip). A lane that breaks the promise gives a wrong result that depends on the shares.
 */
export async function extendNonneg(p: Party, x: BigUint64Array, from: Ring, to: Ring): Promise<BigUint64Array> {
  checkShares(x, "extendNonneg: x");
  checkRing(from, "extendNonneg: from");
  checkRing(to, "extendNonneg: to");
  if (to.bits < from.bits) throw new RangeError(`extendNonneg: to has ${to.bits} bits, fewer than from (${from.bits})`);
  if (to.bits === from.bits) return x.slice();
  return p.scope("extend", async () => {
    const n = x.length;
    const width = to.bits - from.bits;
    const top = bitOf(x, from.bits - 1);
    // The client serves the OT with its top bit as the correlation; the server chooses with its own.
    const ab = p.isServer ? await p.ot.cotRecv(top, n, width) : negate(await p.ot.cotSend(bitLanes(top, n), width));
    return lifted(x, top, ab, BigInt(from.bits), to.mask);
  });
}
