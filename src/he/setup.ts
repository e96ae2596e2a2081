// Picks the HE backend of a session. Both parties must pick the same one: the session handshake compares it (the CLI
// sends it), and each backend's own parameter exchange starts with "he.backend".
import type { Party } from "../mpc/party.js";
import { checkHeKind, DEFAULT_HE_KIND, type HeBackend, type HeKind, type HePlan } from "./backend.js";
import { DEFAULT_HE, type HeParams } from "./params.js";
import { SealBackend, sealCost } from "./seal-backend.js";
import { SimdBackend, simdCost } from "./simd/backend.js";

export interface HeSetupOptions {
  /** Default DEFAULT_HE_KIND. */
  kind?: HeKind;
  /** BFV parameters of the seal backend (default DEFAULT_HE); only for kind "seal". */
  sealParams?: HeParams;
}

function kindOf(opts: HeSetupOptions): HeKind {
  const kind = checkHeKind(opts.kind ?? DEFAULT_HE_KIND, "kind");
  if (opts.sealParams !== undefined && kind !== "seal") throw new TypeError(`sealParams apply to the seal backend only, not to ${kind}`);
  return kind;
}

/** HE keys and parameters for the planned products; both parties call it at the same time with the same plans. */
export async function setupHe(p: Party, plans: HePlan[], opts: HeSetupOptions = {}): Promise<HeBackend> {
  return kindOf(opts) === "seal" ? SealBackend.setup(p, plans, opts.sealParams) : SimdBackend.setup(p, plans);
}

/**
 * The cost function (HeBackend.cost) of a backend before it exists: planning the padded shapes of pruned layers
 * needs it, and those plans are part of the set-up.
 */
export function heCost(kind: HeKind = DEFAULT_HE_KIND, sealParams?: HeParams): (plans: HePlan[]) => number {
  const slots = (sealParams ?? DEFAULT_HE).polyDegree;
  return kindOf({ kind, sealParams }) === "seal" ? (plans) => sealCost(plans, slots) : (plans) => simdCost(plans);
}
