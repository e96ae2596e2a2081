// ReLU(x) = DReLU(x) · x: one comparison and one multiplexer.
import type { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { drelu } from "./drelu.js";
import { mux } from "./mux.js";

/** Shares of max(x, 0) (two's complement reading), exact. */
export async function relu(p: Party, x: BigUint64Array, ring: Ring): Promise<BigUint64Array> {
  return p.scope("relu", async () => mux(p, await drelu(p, x, ring), x, ring));
}
