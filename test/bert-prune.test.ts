// Pruning inside the BERT pass. The fixed-point twin with thresholds against the float reference (same kept counts,
// logits within a bound when no score is near θ); the private pruned run equal to the twin (logits and kept/high/low
// counts); without thresholds nothing changes; and each party's transcript (every frame's tag, direction and size)
// depends only on the public counts, not on which tokens were kept. Model: 2 layers of width 32 (2 heads, FFN 64)
// at 64 tokens (50 real; fewer rows make the HE products dearer), thresholds picked from the twin's own scores so that some tokens are pruned and some take the low
// path.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import type { HeBackend } from "../src/he/backend.js";
import { heCost } from "../src/he/setup.js";
import { Party } from "../src/mpc/party.js";
import { memoryPair } from "../src/net/memory.js";
import type { Lanes } from "../src/nonlinear/engine.js";
import { presetConfig } from "../src/model/config.js";
import { fixedForward, PlainBert } from "../src/model/fixed.js";
import { bertPass, clientData, fixedThreshold, pruneModeOf, type LayerTokens, type PruneThresholds } from "../src/model/forward.js";
import { bertPlans, heRows, privateInference, setupPrivate } from "../src/model/private.js";
import { quantize } from "../src/model/quantize.js";
import { forward } from "../src/model/reference.js";
import { randomWeights } from "../src/model/weights.js";
import { recording, type Frame } from "./recording.js";

const ring = new Ring(37, 12);
const cfg = presetConfig("tiny", { layers: 2, hidden: 32, heads: 2, intermediate: 64, vocabSize: 120, maxPositions: 64 });
const n = 64;
const w = randomWeights(cfg, 5);
for (const l of [w.pooler, w.classifier]) for (let i = 0; i < l.weight.length; i++) l.weight[i] *= 8;
// Random BERT attention is nearly uniform (every score ≈ 1/real tokens); wider Q and K weights spread the scores.
for (const L of w.layers) for (const l of [L.query, L.key]) for (let i = 0; i < l.weight.length; i++) l.weight[i] *= 8;
const fixed = quantize(w, ring);
const ulp = 2 ** -ring.scale;

function input(real: number, seed: number) {
  const ids = Int32Array.from({ length: n }, (_, i) => (i === 0 ? 2 : i < real ? 5 + ((i * 37 + seed * 53) % (cfg.vocabSize - 5)) : 0));
  const mask = Uint8Array.from({ length: n }, (_, i) => (i < real ? 1 : 0));
  return { ids, mask };
}
const A = input(50, 1);
const B = input(50, 2);

/** The twin that also records the importance scores of every pruning layer. */
class Recording extends PlainBert {
  readonly scores: Lanes[] = [];
  override async score(probs: Lanes, heads: number, rows: number): Promise<Lanes> {
    const s = await super.score(probs, heads, rows);
    this.scores.push(s);
    return s;
  }
}

async function twin(x: { ids: Int32Array; mask: Uint8Array }, thresholds?: PruneThresholds) {
  const E = new Recording(ring);
  const tokens: LayerTokens[] = [];
  const logits = await bertPass(E, cfg, n, { weights: fixed, data: clientData(w, x.ids, x.mask, ring) }, { thresholds, onLayer: (_, __, t) => tokens.push(t) });
  return { logits: ring.decodeArray(logits!), tokens, scores: E.scores };
}

/** Scores of tokens 1.. (not [CLS]) in decreasing order, as signed integers at scale s. */
const ranked = (s: Lanes) => Array.from(s.subarray(1), (v) => Number(ring.signed(v))).sort((a, b) => b - a);

/** A float threshold between the c-th and (c+1)-th largest ranked scores: exactly c of them lie above it. */
function cut(r: number[], c: number): number {
  if (!(r[c - 1] > r[c])) throw new Error(`scores ${r[c - 1]} and ${r[c]} do not separate ${c} tokens`);
  return ((r[c - 1] + r[c]) / 2) * ulp;
}

/** Where to cut c in [lo, hi] for the widest gap between neighbouring scores (the float test needs a margin). */
function widest(r: number[], lo: number, hi: number): number {
  let best = lo;
  for (let c = lo; c <= hi; c++) if (r[c - 1] - r[c] > r[best - 1] - r[best]) best = c;
  return best;
}

/** The cut nearest to c that separates two different scores in every list. */
function near(rs: number[][], c: number): number {
  const ok = (x: number) => x >= 1 && rs.every((r) => x < r.length && r[x - 1] > r[x]);
  for (let dc = 0; dc < rs[0].length; dc++) for (const x of [c - dc, c + dc]) if (ok(x)) return x;
  throw new Error("no cut separates the scores of every input");
}

/** Tokens with a positive score (the real ones: padding receives no attention). */
const real = (r: number[]) => r.filter((v) => v > 0).length;

const keepAll = (): PruneThresholds => ({ theta: [-1, -1], beta: [-1, -1] });

/** Where to cut layer l given the ranked scores of every input at that layer. */
type Pick = (l: number, rs: number[][]) => number;

/**
 * Thresholds for each input, chosen layer by layer so that `keep` non-[CLS] tokens stay, `high` of them on the high
 * path (the same counts for every input).
 */
async function choose(xs: (typeof A)[], keep: Pick, high?: Pick): Promise<PruneThresholds[]> {
  const ths = xs.map(keepAll);
  for (let l = 0; l < cfg.layers; l++) {
    const rs = await Promise.all(xs.map(async (x, i) => ranked((await twin(x, ths[i])).scores[l])));
    const [k, h] = [keep(l, rs), high?.(l, rs)];
    ths.forEach((th, i) => {
      th.theta[l] = cut(rs[i], k);
      th.beta![l] = h === undefined ? th.theta[l] : cut(rs[i], h);
    });
  }
  return ths.map((th) => (high ? th : { theta: th.theta }));
}

describe("pruning inside the BERT pass", () => {
  it("fixedThreshold: S > floor(θ·2^s) exactly when S/2^s > θ", () => {
    for (const t of [0, ulp, 0.5 * ulp, 0.0101731, -0.25, 41.5 * ulp]) {
      const f = fixedThreshold(t, ring);
      for (let S = -70; S < 70; S++) expect(BigInt(S) > f, `θ ${t}, S ${S}`).toBe(S * ulp > t);
    }
    expect(() => fixedThreshold(Number.NaN, ring, "theta[0]")).toThrow(/theta\[0\]/);
    expect(() => fixedThreshold(2 ** 30, ring, "theta[1]")).toThrow(/theta\[1\]/);
  });

  it("twin with θ equals the float reference's kept counts; logits within 0.02 (scores ≥ 4 ulp from θ)", async () => {
    // Cut at the widest gap among the real tokens' scores, so that float and fixed-point scores agree on it.
    const [th] = await choose([A], (_, [r]) => widest(r, 3, Math.max(3, real(r) - 3)));
    const tw = await twin(A, th);
    for (let l = 0; l < cfg.layers; l++) {
      const r = ranked(tw.scores[l]);
      const f = Number(fixedThreshold(th.theta[l], ring));
      expect(Math.min(...r.map((v) => Math.abs(v - f)))).toBeGreaterThanOrEqual(4);
    }
    const ref = forward(w, A.ids, A.mask, { thresholds: th.theta });
    expect(ref.tokensPerLayer.slice(1)).toEqual(tw.tokens.map((t) => t.kept));
    expect(tw.tokens.every((t) => t.low === 0 && t.high === t.kept && t.kept < n)).toBe(true);
    tw.logits.forEach((v, i) => expect(Math.abs(v - ref.logits[i])).toBeLessThan(0.02));
  }, 30_000);

  it("thresholds below every score: the pruned twin keeps everything and equals the unpruned pass", async () => {
    const plain = await fixedForward(w, ring, A.ids, A.mask, { fixed });
    const all = await twin(A, keepAll());
    expect(all.logits).toEqual(plain);
    expect(all.tokens).toEqual([{ kept: n, high: n, low: 0 }, { kept: n, high: n, low: 0 }]);
    // Padding receives no attention: its score is 0, below any positive θ.
    for (const s of all.scores) for (let j = 50; j < n; j++) expect(s[j]).toBe(0n);
  }, 30_000);

  it.each(["simd", "seal"] as const)("plans (%s): unchanged without pruning; pruned layers stay within the planned rows", (kind) => {
    const plain = bertPlans(cfg, n, ring, false, heCost(kind));
    const pruned = bertPlans(cfg, n, ring, true, heCost(kind));
    expect(pruned.slice(0, plain.length)).toEqual(plain);
    expect(pruned.every((p) => p.n >= 1 && p.n <= n)).toBe(true);
  });

  it("heRows picks by the backend's cost: rows, a power of two between, or the full count", () => {
    const lin = (R: number) => [{ n: R, k: 32, m: 32, aBits: ring.bits, wBits: 16 }];
    const near = (target: number) => (plans: { n: number }[]) => Math.abs(plans[0].n - target);
    expect(heRows(near(32), 5, 64, lin)).toBe(32);
    expect(heRows(near(64), 5, 64, lin)).toBe(64);
    expect(heRows(near(0), 5, 64, lin)).toBe(5);
    expect(heRows(() => 1, 5, 64, lin)).toBe(5); // ties: fewer rows
    expect(heRows(near(32), 64, 64, lin)).toBe(64); // a full layer is never padded
  });

  it("seal: pruned layers pad their HE products where that is cheaper", () => {
    const seal = heCost("seal");
    const lin = (k: number, m: number) => (R: number) => [{ n: R, k, m, aBits: ring.bits, wBits: 16 }];
    // Narrow layers: the server computes only the nonzero diagonals (offsets −96 < d < 32 with blocks of a few
    // slots, all 128 with blocks of 32), so a few rows cost what 64 do and are never padded.
    for (let rows = 1; rows < n; rows++) expect(heRows(seal, rows, n, lin(32, 96))).toBe(rows);
    // BERT-base widths at 128 tokens: 40 rows pack into blocks of 32, halving the ciphertexts (6·6·128 products
    // instead of 12·12·64); 13 rows would take blocks of 8 with all 512 offsets of 2 inputs per output, so they
    // go through as 32; a full-length layer is never padded.
    expect(heRows(seal, 40, 128, lin(768, 768))).toBe(40);
    expect(heRows(seal, 13, 128, lin(768, 768))).toBe(32);
    expect(heRows(seal, 64, 128, lin(768, 768))).toBe(64);
    expect(heRows(seal, 128, 128, lin(768, 768))).toBe(128);
  });
});

describe("private pruned BERT inference", () => {
  const frames: Frame[] = [];
  const clientFrames: Frame[] = [];
  let server: Party;
  let client: Party;
  let he: [HeBackend, HeBackend];
  let thA: PruneThresholds;
  let thB: PruneThresholds;

  beforeAll(async () => {
    const [a, b] = memoryPair();
    [server, client] = await Promise.all([Party.create("server", recording(a, frames, { payloads: false })), Party.create("client", recording(b, clientFrames, { payloads: false }))]);
    he = await Promise.all([setupPrivate(server, cfg, n, ring, { pruned: true }), setupPrivate(client, cfg, n, ring, { pruned: true })]);
    // About 60 % of the real tokens kept, half of the kept ones on the low path; the same counts for A and B.
    [thA, thB] = await choose([A, B], (_, rs) => near(rs, Math.round(0.6 * real(rs[0]))), (_, rs) => near(rs, Math.round(0.3 * real(rs[0]))));
  }, 120_000);

  afterAll(async () => {
    for (const b of he ?? []) await b.close();
  });

  /** One private run; the client's logits and counts, and both parties' frames during it. */
  async function run(x: typeof A, thresholds?: PruneThresholds) {
    const tokens: LayerTokens[] = [];
    const [from, fromClient] = [frames.length, clientFrames.length];
    const [s, c] = await Promise.all([
      privateInference(server, he[0], ring, cfg, n, { weights: fixed }, { thresholds }),
      // The client knows only the pruning mode; the thresholds are the server's.
      privateInference(client, he[1], ring, cfg, n, { data: clientData(w, x.ids, x.mask, ring) }, { pruning: pruneModeOf(thresholds), onLayer: (_, __, t) => tokens.push(t) }),
    ]);
    expect(s).toBeUndefined();
    return { logits: c!, tokens, frames: frames.slice(from), clientFrames: clientFrames.slice(fromClient) };
  }

  let first: ReturnType<typeof run> | undefined;
  const runA = () => (first ??= run(A, thA));

  it("equals the pruned twin: same logits, same kept/high/low per layer", async () => {
    const got = await runA();
    const tw = await twin(A, thA);
    expect(got.logits).toEqual(tw.logits);
    expect(got.tokens).toEqual(tw.tokens);
    expect(got.tokens.every((t) => t.low > 0 && t.high > 1 && t.kept < n)).toBe(true);
    expect(got.tokens[1].kept).toBeLessThanOrEqual(got.tokens[0].kept);
    // The low rows of layer 0 take the low-degree softmax in layer 1; layer 0's queries are all high.
    const softmaxScopes = (l: number) => client.ch.scopes().map((sc) => sc.name).filter((name) => /^softmax\.[a-z]+$/.test(name.split("/").pop()!) && name.startsWith(`layer${l}/softmax/`));
    expect(softmaxScopes(0)).toEqual(["layer0/softmax/softmax.high"]);
    expect(softmaxScopes(1).sort()).toEqual(["layer1/softmax/softmax.mixed", "layer1/softmax/softmax.mixed/softmax.high", "layer1/softmax/softmax.mixed/softmax.low"]);
  }, 240_000);

  it("each party's transcript depends only on the counts: another input with the same counts, other tokens kept", async () => {
    const [a, b] = [await runA(), await run(B, thB)];
    expect(b.tokens).toEqual(a.tokens);
    expect(b.logits).toEqual((await twin(B, thB)).logits);
    expect(b.frames).toEqual(a.frames);
    expect(b.clientFrames).toEqual(a.clientFrames);
    // The kept tokens differ between the two inputs (else the test would show nothing).
    const top = (x: typeof A, th: PruneThresholds) => twin(x, th).then((t) => t.scores[0].map((v) => (ring.signed(v) > fixedThreshold(th.theta[0], ring) ? 1n : 0n)).join(""));
    expect(await top(A, thA)).not.toEqual(await top(B, thB));
  }, 240_000);
});
