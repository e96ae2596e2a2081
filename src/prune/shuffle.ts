// Two-party secure shuffle: σ = π_client ∘ π_server as two Permute+Share calls. Each party knows only its own
// factor, which is uniform, so σ is uniform from either party's point of view.
import type { Ring } from "../core/ring.js";
import type { Party } from "../mpc/party.js";
import { permuteShares, setupPermutation, type PermutationSetup } from "./permute.js";

export interface ShuffleSetup {
  readonly n: number;
  readonly first: PermutationSetup;
  readonly second: PermutationSetup;
}

/**
 * The input-independent part of a shuffle of n rows (random OTs for both networks, concurrently). It depends only on
 * n, so it can run while the previous layer computes.
 */
export async function setupShuffle(p: Party, n: number): Promise<ShuffleSetup> {
  return p.scope("shuffle.setup", async () => {
    const [first, second] = await Promise.all([setupPermutation(p, n, "server"), setupPermutation(p, n, "client")]);
    return { n, first, second };
  });
}

/** Shares of the rows (n × w lanes) in an order that neither party knows. Consumes `setup`. */
export async function shuffleShares(p: Party, setup: ShuffleSetup, rows: BigUint64Array, w: number, ring: Ring): Promise<BigUint64Array> {
  return p.scope("shuffle", async () => {
    const once = await permuteShares(p, setup.first, rows, w, ring);
    return permuteShares(p, setup.second, once, w, ring);
  });
}
