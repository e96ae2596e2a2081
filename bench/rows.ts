// The rows of bench:table1: one private inference per pruning mode on a shared session, checked against the
// fixed-point twin, with each layer's cost; layers past the measured ones are projected from a measured layer of the
// same shape or measured on their own as a 1-layer pass of that shape.
import type { ScopeTraffic } from "../src/net/channel.js";
import { estimateMs, LAN, WAN } from "../src/net/cost.js";
import { validateConfig, type BertConfig } from "../src/model/config.js";
import { fixedForward } from "../src/model/fixed.js";
import { clientData, pruneModeOf, type LayerTokens, type PruneMethod, type PruneThresholds } from "../src/model/forward.js";
import type { PrivateOptions } from "../src/model/private.js";
import { quantize, RING, type FixedBert } from "../src/model/quantize.js";
import { summarizeStages, type StageCost } from "../src/model/stages.js";
import { randomWeights, type BertWeights } from "../src/model/weights.js";
import { benchInput, maxAbsError, runPrivate, type Session } from "./harness.js";
import { calibrate, scheduledModel, type Target } from "./schedule.js";

/** `none`: no pruning; otherwise the pruning method (forward.ts PruneMethod). */
export type Mode = "none" | PruneMethod;
export const MODES: readonly Mode[] = ["none", "we", "swap", "ours"];

/** What the server and the client pass for a mode (the client knows the pruning mode, not the thresholds). */
export function passOptions(mode: Mode, th?: PruneThresholds): { server: PrivateOptions; client: PrivateOptions } {
  if (mode === "none") return { server: {}, client: {} };
  if (mode === "we") return { server: { method: mode }, client: { method: mode } };
  return { server: { method: mode, thresholds: th }, client: { method: mode, pruning: pruneModeOf(th) } };
}

/** Each layer's counts after its pruning in a mode, from the schedule's targets (one per layer) at n tokens. */
export function scheduledTokens(mode: Mode, n: number, targets: readonly Target[]): LayerTokens[] {
  const k = mode === "none" ? n : Math.ceil(n / 2);
  if (mode === "none" || mode === "we") return targets.map(() => ({ kept: k, high: k, low: 0 }));
  return targets.map((t) => ({ kept: t.kept, high: t.kept - t.low, low: t.low }));
}

/** The first c.layers layers of a model (float or fixed point), configured as c. */
export function firstLayers<T extends BertWeights | FixedBert>(x: T, c: BertConfig): T {
  return { ...x, config: c, layers: x.layers.slice(0, c.layers) };
}

export interface LayerCost extends StageCost {
  stages: Record<string, StageCost>;
}

export interface LayerRow extends LayerTokens, LayerCost {
  layer: number;
  enter: number;
  /** "measured", "layer j" (projected from that measured layer of the same shape) or "1-layer run". */
  source: string;
}

export interface Row {
  mode: Mode;
  ms: number;
  bytes: number;
  /** The client's flights, sent and received, summed over the stages (additive, so projections are exact). */
  rounds: number;
  lanMs: number;
  wanMs: number;
  kept: number[];
  high: number[];
  low: number[];
  /** Bytes of the score and prune stages. */
  pruneBytes: number;
  /** Over the pass and the row's 1-layer runs. */
  maxAbsLogitError: number;
  measured: number;
  projected: { layer: number; from: string }[];
  /** Stages summed over the layers (projected ones included), and the top-level ones. */
  stages: Record<string, StageCost>;
  layers: LayerRow[];
}

/** The measured pass's model: its weights (the measured layers, float and fixed point), input and thresholds. */
export interface RowModel {
  weights: BertWeights;
  fixed: FixedBert;
  ids: Int32Array;
  mask: Uint8Array;
  thresholds?: PruneThresholds;
}

/** One layer's cost from a run's scopes. */
function layerCost(scopes: ScopeTraffic[], l: number): LayerCost {
  const sum = summarizeStages(scopes.filter((s) => s.name === `layer${l}` || s.name.startsWith(`layer${l}/`)));
  return { ...sum.layers[l], stages: sum.stages };
}

function checkTokens(got: readonly LayerTokens[], want: readonly LayerTokens[], what: string): void {
  got.forEach((t, l) => {
    const w = want[l];
    if (t.kept !== w.kept || t.high !== w.high || t.low !== w.low) throw new Error(`${what}: layer ${l} kept ${JSON.stringify(t)}, planned ${JSON.stringify(w)}`);
  });
}

export class Rows {
  /** Shapes measured on their own, shared by the rows: "method:entering:entering low:kept:high:low". */
  private readonly shapes = new Map<string, Promise<{ cost: LayerCost; err: number }>>();

  /** `full`: the whole model's configuration (model.weights may hold fewer layers); the session is planned for n. */
  constructor(
    private readonly session: Session,
    private readonly full: BertConfig,
    private readonly model: RowModel,
    private readonly log: (m: string) => void = () => {},
  ) {}

  /** Runs every protocol path of the modes on a small layer, so that the first row does not pay for compiling it. */
  async warmUp(modes: readonly Mode[]): Promise<void> {
    const n = Math.min(this.session.n, 16);
    for (const mode of modes) {
      const k = mode === "none" ? n : Math.ceil(n / 2);
      const low = mode === "swap" || mode === "ours" ? 1 : 0;
      await this.layerRun(mode, n, low, { kept: k, high: k - low, low }, mode !== "none");
    }
  }

  /**
   * One row: the pass over the first `measured` layers (at most the model's), then every later layer of `plan` (each
   * layer's counts over the whole depth) projected.
   */
  async run(mode: Mode, plan: readonly LayerTokens[], measured = this.model.weights.layers.length): Promise<Row> {
    const n = this.session.n;
    const { full, model } = this;
    if (plan.length !== full.layers) throw new RangeError(`the plan holds ${plan.length} layers, the model ${full.layers}`);
    if (!(measured >= 1 && measured <= model.weights.layers.length)) throw new RangeError(`cannot measure ${measured} of the pass's ${model.weights.layers.length} layers`);
    const prunes = (l: number) => mode !== "none" && (mode !== "we" || l === 0);
    const enter = (l: number) => (l === 0 ? n : plan[l - 1].kept);
    // The low rows entering a layer take the low-degree softmax: part of its shape.
    const enterLow = (l: number) => (l === 0 ? 0 : plan[l - 1].low);
    const shape = (l: number) => `${prunes(l) ? mode : "-"}:${enter(l)}:${enterLow(l)}:${plan[l].kept}:${plan[l].high}:${plan[l].low}`;
    const c = validateConfig({ ...full, layers: measured });
    const [w, f] = [firstLayers(model.weights, c), firstLayers(model.fixed, c)];
    const th = model.thresholds;
    const o = passOptions(mode, th && { theta: th.theta.slice(0, measured), beta: th.beta?.slice(0, measured) });
    const start = performance.now();
    const onLayer = (d: number, total: number) => this.log(`${mode}: layer ${d}/${total} at ${((performance.now() - start) / 1000).toFixed(1)} s`);
    const run = await runPrivate(this.session, c, n, f, clientData(w, model.ids, model.mask, RING), o.server, { ...o.client, onLayer });
    checkTokens(run.tokens, plan, mode);
    let maxAbsLogitError = maxAbsError(run.logits, await fixedForward(w, RING, model.ids, model.mask, { fixed: f, ...o.server }));

    const layers: LayerRow[] = [];
    const projected: Row["projected"] = [];
    for (let l = 0; l < full.layers; l++) {
      let cost: LayerCost;
      let source = "measured";
      if (l < measured) cost = layerCost(run.scopes, l);
      else {
        const same = layers.filter((x) => x.source === "measured" && shape(x.layer) === shape(l)).pop();
        if (same) [cost, source] = [same, `layer ${same.layer}`];
        else {
          let r = this.shapes.get(shape(l));
          if (!r) {
            this.log(`${mode}: layer ${l} (${enter(l)} → ${plan[l].kept} tokens) on its own`);
            r = this.layerRun(mode, enter(l), enterLow(l), plan[l], prunes(l));
            this.shapes.set(shape(l), r);
          }
          const { cost: lc, err } = await r;
          [cost, source] = [lc, "1-layer run"];
          maxAbsLogitError = Math.max(maxAbsLogitError, err);
        }
        projected.push({ layer: l, from: source });
      }
      layers.push({ layer: l, enter: enter(l), ...plan[l], ms: cost.ms, bytes: cost.bytes, rounds: cost.rounds, stages: cost.stages, source });
    }

    const stages: Record<string, StageCost> = {};
    const add = (name: string, s: StageCost) => {
      const t = (stages[name] ??= { ms: 0, bytes: 0, rounds: 0 });
      t.ms += s.ms;
      t.bytes += s.bytes;
      t.rounds += s.rounds;
    };
    const top = run.scopes.filter((s) => !s.name.includes("/"));
    for (const s of top) if (!s.name.startsWith("layer")) add(s.name, { ms: s.ms, bytes: s.bytesSent + s.bytesReceived, rounds: s.flightsSent + s.flightsReceived });
    for (const x of layers) for (const [name, s] of Object.entries(x.stages)) add(name, s);
    const extra = layers.slice(measured);
    const total = {
      ms: run.ms + extra.reduce((a, x) => a + x.ms, 0),
      bytes: run.bytes + extra.reduce((a, x) => a + x.bytes, 0),
      rounds: top.reduce((a, s) => a + s.flightsSent + s.flightsReceived, 0) + extra.reduce((a, x) => a + x.rounds, 0),
    };
    return {
      mode,
      ...total,
      lanMs: estimateMs(LAN, total),
      wanMs: estimateMs(WAN, total),
      kept: layers.map((x) => x.kept),
      high: layers.map((x) => x.high),
      low: layers.map((x) => x.low),
      pruneBytes: (stages.score?.bytes ?? 0) + (stages.prune?.bytes ?? 0),
      maxAbsLogitError,
      measured,
      projected,
      stages,
      layers,
    };
  }

  /**
   * One layer of `enter` tokens on its own, `enterLow` of them on the low path, as layer 0 of a 1-layer pass in the
   * session (planned for more tokens, so its HE products are sized as inside the full pass), pruned to `t` when
   * `prunes`. The vocabulary is narrowed: the client's embeddings cost nothing in the protocol.
   */
  private async layerRun(mode: Mode, enter: number, enterLow: number, t: LayerTokens, prunes: boolean): Promise<{ cost: LayerCost; err: number }> {
    const c = validateConfig({ ...this.full, layers: 1, vocabSize: 1024 });
    const target: Target[] = [{ kept: t.kept, low: t.low }];
    const scheduled = prunes && mode !== "we";
    const m = scheduled ? scheduledModel(c, enter, target, RING) : { weights: randomWeights(c, 1), ...benchInput(c, enter) };
    const f = quantize(m.weights, RING);
    const th = scheduled ? (await calibrate(m.weights, f, RING, m.ids, m.mask, target)).thresholds : undefined;
    const o = passOptions(prunes ? mode : "none", th);
    const planned = this.session.n;
    const lowRows = enterLow;
    const run = await runPrivate(this.session, c, enter, f, clientData(m.weights, m.ids, m.mask, RING), { ...o.server, planned, lowRows }, { ...o.client, planned, lowRows });
    checkTokens(run.tokens, [t], `a 1-layer ${mode} run of ${enter} tokens`);
    const twin = await fixedForward(m.weights, RING, m.ids, m.mask, { fixed: f, ...o.server, lowRows });
    return { cost: layerCost(run.scopes, 0), err: maxAbsError(run.logits, twin) };
  }
}
