// Multiplexer on XOR-shared selectors: two correlated OTs, one in each direction, run concurrently (SCI's MUX).
import type { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { checkBits } from "./b2a.js";
import { getBit } from "./bits.js";

function checkValues(x: BigUint64Array, field: string): void {
  if (!(x instanceof BigUint64Array)) throw new TypeError(`${field}: expected a BigUint64Array`);
}

/**
 * Shares of sel ? x : 0 for XOR-shared sel = s0 ⊕ s1 and additively shared x = x0 + x1.
 * (s0 ⊕ s1)·x_j = s_j·x_j + s_{1−j}·x_j·(1 − 2·s_j): each party serves a COT with correlation x_j·(1 − 2·s_j)
 * chosen by the other's bit and keeps s_j·x_j locally.
 */
export async function mux(p: Party, sel: Uint8Array, x: BigUint64Array, ring: Ring): Promise<BigUint64Array> {
  checkValues(x, "mux: x");
  const n = x.length;
  checkBits(sel, n, "mux: sel");
  return p.scope("mux", async () => {
    const mask = ring.mask;
    const delta = new BigUint64Array(n);
    for (let i = 0; i < n; i++) delta[i] = getBit(sel, i) ? (-x[i]) & mask : x[i] & mask;
    const l = ring.bits;
    // The two directions use separate OT instances, so both calls run at once: one round trip in all.
    const [sent, got]: BigUint64Array[] = await Promise.all([p.ot.cotSend(delta, l), p.ot.cotRecv(sel, n, l)]);
    const out = new BigUint64Array(n);
    for (let i = 0; i < n; i++) out[i] = ((getBit(sel, i) ? x[i] : 0n) + got[i] - sent[i]) & mask;
    return out;
  });
}

/** Shares of sel ? a : b = b + mux(sel, a − b). */
export async function select(p: Party, sel: Uint8Array, a: BigUint64Array, b: BigUint64Array, ring: Ring): Promise<BigUint64Array> {
  checkValues(a, "select: a");
  checkValues(b, "select: b");
  if (a.length !== b.length) throw new RangeError(`select: a and b differ in length (${a.length} and ${b.length})`);
  const mask = ring.mask;
  const d = new BigUint64Array(a.length);
  for (let i = 0; i < a.length; i++) d[i] = (a[i] - b[i]) & mask;
  const m = await mux(p, sel, d, ring);
  for (let i = 0; i < m.length; i++) m[i] = (m[i] + b[i]) & mask;
  return m;
}
