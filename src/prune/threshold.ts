// The prune and reduction masks: XOR-shared bits 1{S(j) > θ}, with [CLS] (token 0) always set.
import type { Ring } from "../core/ring.js";
import type { Party } from "../mpc/party.js";
import { b2a } from "../mpc/b2a.js";
import { drelu } from "../mpc/drelu.js";
import { getBit, packedLength, setBit } from "../core/bits.js";
import { reveal } from "../mpc/share.js";
import { ProtocolError } from "../net/errors.js";
import { sumShares } from "./exchange.js";

/**
 * A pruning threshold (signed, at the ring's scale). It is the server's: the server subtracts it from its share of
 * the scores, a local step, so the client never needs it; the client's value is not read (it passes undefined).
 */
export type Threshold = bigint | undefined;

/** What each party subtracts from its share of the scores: θ + 1 (checked) for the server, 0 for the client. */
function shifts(p: Party, thresholds: Threshold[], ring: Ring, method: string): bigint[] {
  if (!p.isServer) return thresholds.map(() => 0n);
  return thresholds.map((t, i) => {
    if (typeof t !== "bigint") throw new TypeError(`${method}: the server must pass threshold ${i} as a bigint, got ${String(t)}`);
    return ring.fromSigned(t + 1n, `${method}: threshold ${i} + 1`);
  });
}

/**
 * One packed XOR-shared mask per threshold: bit j = 1{S(j) > θ} (signed; needs |S(j) − θ − 1| < 2^(l−1)), bit 0
 * forced to 1. All thresholds are compared in one batched DReLU of S − (θ + 1), θ + 1 taken from the server's share.
 */
export async function aboveThresholds(p: Party, scores: BigUint64Array, thresholds: Threshold[], ring: Ring, method = "aboveThresholds"): Promise<Uint8Array[]> {
  const n = scores.length;
  const x = new BigUint64Array(n * thresholds.length);
  shifts(p, thresholds, ring, method).forEach((shift, k) => {
    for (let j = 0; j < n; j++) x[k * n + j] = (scores[j] - shift) & ring.mask;
  });
  const bits = await drelu(p, x, ring);
  return thresholds.map((_, k) => {
    const mask = new Uint8Array(packedLength(n));
    for (let j = 0; j < n; j++) setBit(mask, j, getBit(bits, k * n + j));
    setBit(mask, 0, p.isServer ? 1 : 0); // [CLS] is always kept: a public 1 is the sharing (1, 0)
    return mask;
  });
}

/** Arithmetic shares of a keep mask and the opened number of kept tokens (the only value revealed), checked in 1..n. */
export async function openKeptCount(p: Party, keep: Uint8Array, n: number, ring: Ring, method: string): Promise<{ bound: BigUint64Array; kept: number }> {
  const bound = await b2a(p, keep, n, ring);
  const [count] = await reveal(p, ring, new BigUint64Array([sumShares(bound, ring)]));
  const kept = Number(count);
  if (kept < 1 || kept > n) throw new ProtocolError(`${method}: opened count ${kept} outside 1..${n}`);
  return { bound, kept };
}
