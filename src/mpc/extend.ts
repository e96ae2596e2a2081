// Moving shares between rings: reduction to fewer bits (local) and exact extension to more bits (one comparison).
import { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { b2a } from "./b2a.js";
import { compareBatch } from "./millionaire.js";

export function checkShares(x: BigUint64Array, field: string): void {
  if (!(x instanceof BigUint64Array)) throw new TypeError(`${field}: expected a BigUint64Array`);
}

export function checkRing(ring: Ring, field: string): void {
  if (!(ring instanceof Ring)) throw new TypeError(`${field}: expected a Ring`);
}

/** 2^bits − 1 split into 32-bit words. */
function maskWords(bits: number): [number, number] {
  return bits >= 32 ? [0xffffffff, bits === 64 ? 0xffffffff : 2 ** (bits - 32) - 1] : [2 ** bits - 1, 0];
}

/**
 * x mod 2^bits for every lane; with `complement`, 2^bits − 1 − (x mod 2^bits) instead (the input a party gives a
 * comparison to learn whether its share and the peer's wrap around 2^bits).
 */
export function lowBits(x: BigUint64Array, bits: number, complement = false): BigUint64Array {
  const out = new BigUint64Array(x.length);
  const src = new Uint32Array(x.buffer, x.byteOffset, x.length * 2);
  const dst = new Uint32Array(out.buffer);
  const [lo, hi] = maskWords(bits);
  const flip = complement ? 0xffffffff : 0;
  for (let i = 0; i < dst.length; i += 2) {
    dst[i] = (src[i] ^ flip) & lo;
    dst[i + 1] = (src[i + 1] ^ flip) & hi;
  }
  return out;
}

/** Bit `pos` of every lane, packed. */
export function bitOf(x: BigUint64Array, pos: number): Uint8Array {
  const out = new Uint8Array((x.length + 7) >>> 3);
  const w = new Uint32Array(x.buffer, x.byteOffset, x.length * 2);
  const word = pos >= 32 ? 1 : 0;
  const sh = pos & 31;
  for (let i = 0; i < x.length; i++) out[i >>> 3] |= ((w[2 * i + word] >>> sh) & 1) << (i & 7);
  return out;
}

/** x_i − (w_i << shift) + k mod 2^l (the loop outside the async function, where V8 optimises it at once). */
function lifted(x: BigUint64Array, w: BigUint64Array | undefined, shift: bigint, k: bigint, mask: bigint): BigUint64Array {
  const out = new BigUint64Array(x.length);
  if (!w) for (let i = 0; i < x.length; i++) out[i] = (x[i] + k) & mask;
  else for (let i = 0; i < x.length; i++) out[i] = (x[i] - (w[i] << shift) + k) & mask;
  return out;
}

/** Shares mod 2^to.bits of a value shared mod 2^from.bits: local, exact mod 2^to.bits. */
export function reduce(x: BigUint64Array, from: Ring, to: Ring): BigUint64Array {
  checkShares(x, "reduce: x");
  checkRing(from, "reduce: from");
  checkRing(to, "reduce: to");
  if (to.bits > from.bits) throw new RangeError(`reduce: to has ${to.bits} bits, more than from (${from.bits}); use extend`);
  return lowBits(x, to.bits);
}

export interface ExtendOptions {
  /** Read the value as two's complement (default) or as unsigned. */
  signed?: boolean;
}

/**
 * Shares mod 2^to.bits of the same integer shared mod 2^from.bits: the signed reading (default) or the
 * unsigned one, exact for every value. With w = [x0 + x1 ≥ 2^l] (one l-bit comparison) the integer is
 * x0 + x1 − 2^l·w, so only w mod 2^(to − from) needs converting to arithmetic shares. Signed values are
 * shifted by 2^(l−1) into the unsigned range first and back afterwards.
 */
export async function extend(p: Party, x: BigUint64Array, from: Ring, to: Ring, opts: ExtendOptions = {}): Promise<BigUint64Array> {
  checkShares(x, "extend: x");
  checkRing(from, "extend: from");
  checkRing(to, "extend: to");
  const l = from.bits;
  if (to.bits < l) throw new RangeError(`extend: to has ${to.bits} bits, fewer than from (${l}); use reduce`);
  const signed = opts.signed ?? true;
  return p.scope("extend", async () => {
    const n = x.length;
    if (to.bits === l) return x.slice();
    const bias = signed && p.isServer ? from.half : 0n;
    const mine = lifted(x, undefined, 0n, bias, from.mask);
    const input = p.isServer ? mine : lowBits(mine, l, true);
    const [{ gt: wrap }] = await compareBatch(p, n, [{ input, bits: l }]);
    const w = await b2a(p, wrap, n, new Ring(to.bits - l));
    return lifted(mine, w, BigInt(l), -bias, to.mask);
  });
}
