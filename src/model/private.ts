// The two-party BERT forward pass: the same pass as the fixed-point twin (forward.ts) on shares. The client shares
// its embeddings and padding penalties, linear layers are HE products with the server's weights (he/linear.ts),
// Q·Kᵀ and softmax·V are shared HE products, nonlinear functions are the SecureFx protocols, and the logits open to
// the client only. Per-stage traffic is in the channel's scopes (stages.ts summarises them).
import type { Ring } from "../core/ring.js";
import { linear, linearPlan } from "../he/linear.js";
import { matmulShared, matmulSharedPlans } from "../he/matmul-shared.js";
import type { HeParams } from "../he/params.js";
import type { ProductRunner } from "../he/product.js";
import { HeSession, type HePlan } from "../he/session.js";
import type { Party } from "../mpc/party.js";
import { revealTo, shareInput } from "../mpc/share.js";
import { SecureFx, type Lanes } from "../nonlinear/engine.js";
import type { BertConfig } from "./config.js";
import { bertPass, type BertEngine, type ClientData, type PassOptions } from "./forward.js";
import { WEIGHT_BITS, type FixedBert, type FixedLinear } from "./quantize.js";

export class SecureBert implements BertEngine {
  readonly fx: SecureFx;
  constructor(
    readonly p: Party,
    readonly he: HeSession,
    readonly ring: Ring,
    private readonly runner?: ProductRunner,
  ) {
    this.fx = new SecureFx(p);
  }

  clientInput(n: number, values?: Lanes): Promise<Lanes> {
    return shareInput(this.p, this.ring, "client", n, values);
  }

  serverValue(n: number, values?: Lanes): Lanes {
    if (!this.p.isServer) return new BigUint64Array(n);
    if (!values || values.length !== n) throw new RangeError(`serverValue: the server must pass ${n} values`);
    return values;
  }

  linear(x: Lanes, rows: number, k: number, m: number, w?: FixedLinear): Promise<Lanes> {
    if (w && (w.k !== k || w.m !== m)) throw new RangeError(`linear: weights are ${w.k}×${w.m}, the layer needs ${k}×${m}`);
    const shape = { n: rows, k, m, wBits: WEIGHT_BITS };
    return linear(this.p, this.he, this.ring, x, shape, w && { w: w.w, bias: w.bias }, this.runner);
  }

  matmul(as: Lanes[], bs: Lanes[], n: number, k: number, m: number): Promise<Lanes[]> {
    return matmulShared(this.p, this.he, this.ring, as, bs, n, k, m, this.runner);
  }

  async openToClient(x: Lanes): Promise<Lanes | undefined> {
    return revealTo(this.p, this.ring, x, "client");
  }
}

/** Every HE product shape of one inference on n tokens (the architecture and n are public). */
export function bertPlans(cfg: BertConfig, n: number, ring: Ring): HePlan[] {
  const d = cfg.hidden;
  const dh = d / cfg.heads;
  const lin = (rows: number, k: number, m: number) => linearPlan({ n: rows, k, m, wBits: WEIGHT_BITS }, ring);
  return [
    lin(n, d, 3 * d),
    lin(n, d, d),
    lin(n, d, cfg.intermediate),
    lin(n, cfg.intermediate, d),
    lin(n, d, cfg.labels),
    ...matmulSharedPlans(n, dh, n, ring),
    ...matmulSharedPlans(n, n, dh, ring),
  ];
}

/** HE keys and parameters for inferences on n tokens; both parties call it at the same time. */
export function setupPrivate(p: Party, cfg: BertConfig, n: number, ring: Ring, params?: HeParams): Promise<HeSession> {
  return HeSession.setup(p, bertPlans(cfg, n, ring), params);
}

export interface PrivateOptions extends PassOptions {
  /** Where the server evaluates its HE products (default: this thread). */
  runner?: ProductRunner;
}

/**
 * One private inference on n padded tokens. The server passes its quantised weights, the client its data
 * (forward.ts `clientData`); the client gets the logits (decoded), the server undefined.
 */
export async function privateInference(
  p: Party,
  he: HeSession,
  ring: Ring,
  cfg: BertConfig,
  n: number,
  side: { weights: FixedBert } | { data: ClientData },
  opts: PrivateOptions = {},
): Promise<Float64Array | undefined> {
  const isServer = "weights" in side;
  if (isServer !== p.isServer) throw new TypeError(`privateInference: the ${p.role} must pass ${p.isServer ? "weights" : "data"}`);
  const logits = await bertPass(new SecureBert(p, he, ring, opts.runner), cfg, n, side, opts);
  return logits && ring.decodeArray(logits);
}
