// Comparisons of shared values, each the sign of a difference. Exact while the difference fits the ring as a
// signed value: |x − y| < 2^(l−1) (for x, y read as signed, e.g. both in [−2^(l−2), 2^(l−2))).
import type { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { msb } from "./drelu.js";
import { checkRing, checkShares } from "./extend.js";

function difference(p: Party, a: BigUint64Array | bigint, b: BigUint64Array | bigint, n: number, ring: Ring): BigUint64Array {
  const d = new BigUint64Array(n);
  const mask = ring.mask;
  const server = p.isServer;
  for (let i = 0; i < n; i++) {
    const ai = typeof a === "bigint" ? (server ? a : 0n) : a[i];
    const bi = typeof b === "bigint" ? (server ? b : 0n) : b[i];
    d[i] = (ai - bi) & mask;
  }
  return d;
}

function checkPair(x: BigUint64Array, y: BigUint64Array, ring: Ring, name: string): void {
  checkShares(x, `${name}: x`);
  checkShares(y, `${name}: y`);
  checkRing(ring, `${name}: ring`);
  if (x.length !== y.length) throw new RangeError(`${name}: x and y differ in length (${x.length} and ${y.length})`);
}

function checkPublic(x: BigUint64Array, c: bigint, ring: Ring, name: string): void {
  checkShares(x, `${name}: x`);
  checkRing(ring, `${name}: ring`);
  if (typeof c !== "bigint") throw new TypeError(`${name}: c must be a bigint`);
}

/** XOR shares of [x < y] for shared x, y (signed reading; needs |x − y| < 2^(l−1)). */
export async function lessThan(p: Party, x: BigUint64Array, y: BigUint64Array, ring: Ring): Promise<Uint8Array> {
  checkPair(x, y, ring, "lessThan");
  return p.scope("lessThan", () => msb(p, difference(p, x, y, x.length, ring), ring));
}

/** XOR shares of [x > y] for shared x, y (signed reading; needs |x − y| < 2^(l−1)). */
export async function greaterThan(p: Party, x: BigUint64Array, y: BigUint64Array, ring: Ring): Promise<Uint8Array> {
  checkPair(x, y, ring, "greaterThan");
  return p.scope("greaterThan", () => msb(p, difference(p, y, x, x.length, ring), ring));
}

/** XOR shares of [x < c] for shared x and a public c (read mod 2^l, signed; needs |x − c| < 2^(l−1)). */
export async function lessThanPublic(p: Party, x: BigUint64Array, c: bigint, ring: Ring): Promise<Uint8Array> {
  checkPublic(x, c, ring, "lessThanPublic");
  return p.scope("lessThan", () => msb(p, difference(p, x, c, x.length, ring), ring));
}

/** XOR shares of [x > c] for shared x and a public c (read mod 2^l, signed; needs |x − c| < 2^(l−1)). */
export async function greaterThanPublic(p: Party, x: BigUint64Array, c: bigint, ring: Ring): Promise<Uint8Array> {
  checkPublic(x, c, ring, "greaterThanPublic");
  return p.scope("greaterThan", () => msb(p, difference(p, c, x, x.length, ring), ring));
}
