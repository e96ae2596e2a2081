// Helpers for the protocol tests: one party pair per file, local sharing and opening, ring edge values.
import { randomBytes } from "node:crypto";
import type { Ring } from "../src/core/ring.js";
import type { Party } from "../src/mpc/party.js";
import { memoryPair, measurePair, type PairTraffic } from "../src/net/memory.js";
import { Party as PartyClass } from "../src/mpc/party.js";
import { packedLength } from "../src/core/bits.js";
import { checkOtChoice, type OtChoice } from "../src/ot/index.js";

/** The OT of test parties: CIPHERPRUNE_TEST_OT (e.g. "ferret-tiny") runs the protocol tests on another OT. */
export function testOt(): OtChoice {
  return checkOtChoice(process.env.CIPHERPRUNE_TEST_OT ?? "iknp", "CIPHERPRUNE_TEST_OT");
}

export interface Pair {
  server: Party;
  client: Party;
  /** Runs fn on both parties at once: [server result, client result]. */
  both<T>(fn: (p: Party) => Promise<T>): Promise<[T, T]>;
  /** Like `both`, with the traffic of both ends during the run. */
  measured<T>(fn: (p: Party) => Promise<T>): Promise<{ result: [T, T]; traffic: PairTraffic }>;
}

/** Creates two connected parties (base OTs included), on `ot` (default: testOt()). */
export async function makePair(ot: OtChoice = testOt()): Promise<Pair> {
  const [a, b] = memoryPair();
  const [server, client] = await Promise.all([PartyClass.create("server", a, { ot }), PartyClass.create("client", b, { ot })]);
  const both = <T>(fn: (p: Party) => Promise<T>) => Promise.all([fn(server), fn(client)]) as Promise<[T, T]>;
  return {
    server,
    client,
    both,
    measured: async (fn) => {
      const { result, traffic } = await measurePair(a, b, () => both(fn));
      return { result, traffic };
    },
  };
}

/** n uniform values mod 2^bits. */
export function randomRing(n: number, ring: Ring): BigUint64Array {
  const out = new BigUint64Array(randomBytes(n * 8).buffer.slice(0, n * 8));
  return ring.reduceArray(out);
}

/** n uniform packed bits. */
export function randomBits(n: number): Uint8Array {
  const v = new Uint8Array(randomBytes(packedLength(n)));
  if (n & 7) v[v.length - 1] &= (1 << (n & 7)) - 1;
  return v;
}

/** Additive shares [server, client] of x. */
export function share(x: BigUint64Array, ring: Ring): [BigUint64Array, BigUint64Array] {
  const s = randomRing(x.length, ring);
  const c = new BigUint64Array(x.length);
  for (let i = 0; i < x.length; i++) c[i] = (x[i] - s[i]) & ring.mask;
  return [s, c];
}

/** XOR shares [server, client] of packed bits. */
export function shareBits(b: Uint8Array, n: number): [Uint8Array, Uint8Array] {
  const s = randomBits(n);
  return [s, b.map((v, i) => v ^ s[i])];
}

export function open([a, b]: [BigUint64Array, BigUint64Array], ring: Ring): BigUint64Array {
  return a.map((v, i) => (v + b[i]) & ring.mask);
}

/** Values where ring arithmetic tends to break: 0, ±1, ±2, the signed min and max. */
export function edgeValues(ring: Ring): bigint[] {
  return [0n, 1n, 2n, ring.mask, ring.mask - 1n, ring.half, ring.half - 1n, ring.half + 1n].map((v) => v & ring.mask);
}

/** A random vector of length n whose first entries are `edges`. */
export function withEdges(n: number, ring: Ring, edges: bigint[]): BigUint64Array {
  const x = randomRing(n, ring);
  edges.slice(0, n).forEach((v, i) => (x[i] = v));
  return x;
}
