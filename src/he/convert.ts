// Shares modulo a prime t (as a single-prime HE result is) to shares in Z_2^l, exactly, with one secure comparison
// per value: x0 + x1 = x + t·w over the integers, with the wrap bit w = [x0 > t − 1 − x1]. The HE products of this
// package convert locally instead (their masked results never wrap, see product.ts); this is for t-shares from
// elsewhere, e.g. a caller that masks modulo t as BOLT does.
import type { Ring } from "../core/ring.js";
import { b2a } from "../mpc/b2a.js";
import { greaterThan } from "../mpc/millionaire.js";
import type { Party } from "../mpc/party.js";

/**
 * Shares in Z_2^l of x = x0 + x1 mod t, read in [0, t) or, with `signed`, in [−(t−1)/2, (t−1)/2]. Each party passes
 * its shares in [0, t). Reveals nothing; costs one millionaire on bitlen(t)-bit inputs and one B2A per value.
 */
export async function convertModT(p: Party, ring: Ring, t: bigint, x: BigUint64Array, signed = false): Promise<BigUint64Array> {
  if (typeof t !== "bigint" || t < 3n || t >= 1n << 63n || t % 2n === 0n) throw new RangeError(`convertModT: t must be an odd modulus in [3, 2^63), got ${t}`);
  if (!(x instanceof BigUint64Array)) throw new TypeError("convertModT: x must be a BigUint64Array");
  for (let i = 0; i < x.length; i++) if (x[i] >= t) throw new RangeError(`convertModT: x[${i}] = ${x[i]} is not below t`);
  const bits = t.toString(2).length;
  const half = (t - 1n) / 2n;
  return p.scope("convertModT", async () => {
    // Shifting by (t−1)/2 mod t turns the signed reading into the unsigned one; it is subtracted again at the end.
    const mine = p.isServer && signed ? x.map((v) => (v + half) % t) : x;
    const cmp = p.isServer ? mine : mine.map((v) => t - 1n - v);
    const wrap = await b2a(p, await greaterThan(p, cmp, bits), x.length, ring);
    const tr = t & ring.mask;
    const offset = p.isServer && signed ? half : 0n;
    return mine.map((v, i) => (v - tr * wrap[i] - offset) & ring.mask);
  });
}
