// The prune and reduction masks: XOR-shared bits 1{S(j) > θ}, with [CLS] (token 0) always set.
import type { Ring } from "../core/ring.js";
import type { Party } from "../mpc/party.js";
import { b2a } from "../mpc/b2a.js";
import { drelu } from "../mpc/drelu.js";
import { getBit, packedLength, setBit } from "../mpc/bits.js";
import { reveal } from "../mpc/share.js";
import { ProtocolError } from "../net/errors.js";
import { sumShares } from "./exchange.js";

/**
 * One packed XOR-shared mask per threshold: bit j = 1{S(j) > θ} (signed; needs |S(j) − θ − 1| < 2^(l−1)), bit 0
 * forced to 1. All thresholds are compared in one batched DReLU of S − (θ + 1).
 */
export async function aboveThresholds(p: Party, scores: BigUint64Array, thresholds: bigint[], ring: Ring): Promise<Uint8Array[]> {
  const n = scores.length;
  thresholds.forEach((t, i) => ring.fromSigned(t + 1n, `thresholds[${i}] + 1`));
  const x = new BigUint64Array(n * thresholds.length);
  thresholds.forEach((t, k) => {
    const shift = p.isServer ? ring.reduce(t + 1n) : 0n;
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
