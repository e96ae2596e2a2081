// Multiplexer on XOR-shared selectors: two correlated OTs, one in each direction, run concurrently (SCI's MUX).
import type { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { checkShares } from "./extend.js";
import { checkBits } from "./b2a.js";
import { getBit } from "../core/bits.js";

/**
 * Shares of sel ? x : 0 for XOR-shared sel = s0 ⊕ s1 and additively shared x = x0 + x1.
 * (s0 ⊕ s1)·x_j = s_j·x_j + s_{1−j}·x_j·(1 − 2·s_j): each party serves a COT with correlation x_j·(1 − 2·s_j)
 * chosen by the other's bit and keeps s_j·x_j locally.
 */
export async function mux(p: Party, sel: Uint8Array, x: BigUint64Array, ring: Ring): Promise<BigUint64Array> {
  checkShares(x, "mux: x");
  const n = x.length;
  checkBits(sel, n, "mux: sel");
  return p.scope("mux", async () => {
    const l = ring.bits;
    // The two directions use separate OT instances, so both calls run at once: one round trip in all.
    const [sent, got]: BigUint64Array[] = await Promise.all([p.ot.cotSend(signedBy(sel, x, ring.mask), l), p.ot.cotRecv(sel, n, l)]);
    return muxShares(sel, x, got, sent, ring.mask);
  });
}

// The loops live in plain functions: V8 optimises them at once, unlike loops inside async functions.

/** x_i·(1 − 2·s_i) mod 2^l. */
function signedBy(sel: Uint8Array, x: BigUint64Array, mask: bigint): BigUint64Array {
  const out = new BigUint64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (getBit(sel, i) ? -x[i] : x[i]) & mask;
  return out;
}

/** s_i·x_i + got_i − sent_i mod 2^l, in place in got. */
function muxShares(sel: Uint8Array, x: BigUint64Array, got: BigUint64Array, sent: BigUint64Array, mask: bigint): BigUint64Array {
  for (let i = 0; i < x.length; i++) got[i] = ((getBit(sel, i) ? x[i] + got[i] : got[i]) - sent[i]) & mask;
  return got;
}

/** a_i + sign·b_i mod 2^l. */
function addScaled(a: BigUint64Array, b: BigUint64Array, sign: bigint, mask: bigint): BigUint64Array {
  const out = new BigUint64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] + sign * b[i]) & mask;
  return out;
}

/** Shares of sel ? a : b = b + mux(sel, a − b). */
export async function select(p: Party, sel: Uint8Array, a: BigUint64Array, b: BigUint64Array, ring: Ring): Promise<BigUint64Array> {
  checkShares(a, "select: a");
  checkShares(b, "select: b");
  if (a.length !== b.length) throw new RangeError(`select: a and b differ in length (${a.length} and ${b.length})`);
  return addScaled(await mux(p, sel, addScaled(a, b, -1n, ring.mask), ring), b, 1n, ring.mask);
}
