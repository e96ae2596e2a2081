// 1/√v for v > 0 (LayerNorm): with V = 2^j·f, f ∈ [1, 2), and s − j = 2q + r (r ∈ {0, 1}), 1/√v = 2^q / √a for
// a = f / 2^r ∈ [1/2, 2). The seed 1/√a comes from a table indexed by r and the top m fraction bits of f; high adds
// one Newton step y ← y·(3 − a·y²)/2; 2^q is a local weighted sum of the one-hot MSNZB.
import type { Ring } from "../core/ring.js";
import { mulPublic } from "../mpc/mult.js";
import { add, fixedConst, neg, sub, type Fx, type Lanes } from "./engine.js";
import { normalized, seedIndex, SEED_BITS, type RangeOptions } from "./reciprocal.js";

const floorDiv2 = (a: number) => Math.floor(a / 2);

/** The float form each degree implements. */
export function rsqrtApprox(v: number, scale: number, degree: "high" | "low"): number {
  const V = v * 2 ** scale;
  const j = Math.floor(Math.log2(V));
  const f = V / 2 ** j;
  const r = (((scale - j) % 2) + 2) % 2;
  const a = f / 2 ** r;
  const i = Math.floor((f - 1) * 2 ** SEED_BITS);
  let y = 1 / Math.sqrt((1 + (i + 0.5) / 2 ** SEED_BITS) / 2 ** r);
  if (degree === "high") y = (y * (3 - a * y * y)) / 2;
  return y * 2 ** floorDiv2(scale - j);
}

/** 1/√v at scale s for v = V/2^s with 2^lo ≤ V < 2^hi (needs s + (hi − lo)/2 + 3 ≤ l − 1). */
export async function rsqrt(E: Fx, v: Lanes, ring: Ring, opts: RangeOptions): Promise<Lanes> {
  const degree = opts.degree ?? "high";
  const { lo, hi } = opts;
  const s = ring.scale;
  if (s < SEED_BITS || s + Math.ceil((hi - lo) / 2) + 3 > ring.bits - 1) throw new RangeError(`rsqrt: range [2^${lo}, 2^${hi}) at scale ${s} does not fit ${ring}`);
  const m = SEED_BITS;
  return E.scope(`rsqrt.${degree}`, async () => {
    const { m: norm, f } = await normalized(E, v, ring, lo, hi);
    const parity = norm.weigh((j) => BigInt((((s - j) % 2) + 2) % 2));
    // Index: low m+1 bits of (2^m + frac) + r·2^m, i.e. frac + 2^m·(1 − r).
    const index = add(await seedIndex(E, f, m, ring), mulPublic(parity, 1n << BigInt(m), ring), ring);
    const table = new BigUint64Array(2 << m);
    for (let i = 0; i < table.length; i++) {
      const r = i < 1 << m ? 1 : 0;
      const fMid = 1 + ((i % (1 << m)) + 0.5) / (1 << m);
      table[i] = fixedConst(1 / Math.sqrt(fMid / 2 ** r), ring);
    }
    let y = await E.lookup(table, index, m + 1, ring);
    if (degree === "high") {
      // a = f − r·(f − floor(f/2)).
      const a = sub(f, await E.mul(parity, sub(f, await E.trunc(f, 1, ring, "nonneg"), ring), ring), ring);
      const y2 = await E.trunc(await E.square(y, ring), s, ring, "nonneg");
      const ay2 = await E.trunc(await E.mul(a, y2, ring), s, ring, "nonneg");
      y = await E.trunc(await E.mul(y, E.addConst(neg(ay2, ring), fixedConst(3, ring), ring), ring), s + 1, ring, "nonneg");
    }
    const qMin = floorDiv2(s - (hi - 1));
    const extra = Math.max(0, -qMin);
    const H = norm.weigh((j) => 1n << BigInt(floorDiv2(s - j) + extra));
    const out = await E.mul(y, H, ring);
    return extra > 0 ? E.trunc(out, extra, ring, "nonneg") : out;
  });
}
