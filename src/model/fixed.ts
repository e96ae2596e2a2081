// The fixed-point twin of the private forward pass: the same pass (forward.ts) on plaintext ring elements, with the
// linear layers as exact products mod 2^l. The private run equals it exactly (same truncations, tables and
// comparisons; HE products are exact), so it is the reference the protocol is tested against.
import { matmul } from "../core/kernels.js";
import type { Ring } from "../core/ring.js";
import { PlainFx, type Lanes } from "../nonlinear/engine.js";
import { compactPlain, groupsPlain, keepPlain, scorePlain, topPlain } from "../prune/plain.js";
import { bertPass, clientData, type BertEngine, type LayerThresholds, type PassOptions, type PrunedRows } from "./forward.js";
import { quantize, type FixedBert, type FixedLinear } from "./quantize.js";
import type { BertWeights } from "./weights.js";

export class PlainBert implements BertEngine {
  readonly fx = new PlainFx();
  constructor(readonly ring: Ring) {}

  async clientInput(n: number, values?: Lanes): Promise<Lanes> {
    if (!values || values.length !== n) throw new RangeError(`clientInput: the twin needs ${n} values`);
    return values;
  }

  serverValue(n: number, values?: Lanes): Lanes {
    if (!values || values.length !== n) throw new RangeError(`serverValue: the twin needs ${n} values`);
    return values;
  }

  async linear(x: Lanes, rows: number, k: number, m: number, w?: FixedLinear): Promise<Lanes> {
    if (!w || w.k !== k || w.m !== m) throw new RangeError(`linear: the twin needs ${k}×${m} weights`);
    const y = matmul(x, w.w, rows, k, m, this.ring.bits);
    for (let e = 0; e < y.length; e++) y[e] = (y[e] + w.bias[e % m]) & this.ring.mask;
    return y;
  }

  async matmul(as: Lanes[], bs: Lanes[], n: number, k: number, m: number): Promise<Lanes[]> {
    return as.map((a, h) => matmul(a, bs[h], n, k, m, this.ring.bits));
  }

  async openToClient(x: Lanes): Promise<Lanes> {
    return x;
  }

  async score(probs: Lanes, heads: number, n: number): Promise<Lanes> {
    return scorePlain(this.ring, probs, heads, n);
  }

  /**
   * The rows `compactGroups` outputs: group by group ([CLS] first), each in original order. The `swap` method gives
   * the same rows (a stable compaction, then high and low regrouped in order); `we` (keep) those of bitonicPrune.
   */
  async prune(rows: Lanes, scores: Lanes, n: number, d: number, { reduce, theta, beta, keep }: LayerThresholds): Promise<PrunedRows> {
    if (rows.length !== n * d || scores.length !== n) throw new RangeError(`prune: the twin needs ${n} rows of ${d} lanes and ${n} scores`);
    if (keep !== undefined) {
      const top = compactPlain(rows, d, topPlain(this.ring, scores, keep));
      return { rows: top, high: keep, low: 0 };
    }
    if (theta === undefined || (reduce && beta === undefined)) throw new RangeError("prune: the twin needs the thresholds");
    const groups = reduce ? groupsPlain(this.ring, scores, theta, beta!) : keepPlain(this.ring, scores, theta).map((k) => 2 * k);
    const high = compactPlain(rows, d, groups.map((g) => (g === 2 ? 1 : 0)));
    const low = compactPlain(rows, d, groups.map((g) => (g === 1 ? 1 : 0)));
    const out = new BigUint64Array(high.length + low.length);
    out.set(high);
    out.set(low, high.length);
    return { rows: out, high: high.length / d, low: low.length / d };
  }
}

/** Fixed-point logits (decoded) of one padded input; `fixed` may be passed to skip quantising again. */
export async function fixedForward(
  w: BertWeights,
  ring: Ring,
  ids: Int32Array,
  mask: Uint8Array,
  opts: PassOptions & { fixed?: FixedBert } = {},
): Promise<Float64Array> {
  const weights = opts.fixed ?? quantize(w, ring);
  const data = clientData(w, ids, mask, ring);
  const logits = await bertPass(new PlainBert(ring), w.config, ids.length, { weights, data }, opts);
  return ring.decodeArray(logits!);
}
