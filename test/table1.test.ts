// bench:table1 on a small model (the tiny preset with 3 layers, 16 tokens, schedule 16-6-3, a quarter of the kept
// tokens on the low-degree path): every row keeps the scheduled counts and equals the fixed-point twin, traffic falls
// from none to we to ours, a projected layer costs exactly what the measured one does; each pruning method of the
// engine outputs the twin's rows; calibration keeps exactly the requested counts on the twin and names the tie when
// no threshold can.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { benchInput, openSession, type Session } from "../bench/harness.js";
import { MODES, Rows, scheduledTokens, type Row } from "../bench/rows.js";
import { BASE_SCHEDULE, calibrate, checkSchedule, layerTargets, scheduledModel, stretchSchedule, UnreachableCount } from "../bench/schedule.js";
import { presetConfig } from "../src/model/config.js";
import { fixedForward, PlainBert } from "../src/model/fixed.js";
import type { LayerThresholds, LayerTokens, PruneThresholds } from "../src/model/forward.js";
import { SecureBert } from "../src/model/private.js";
import { quantize, RING } from "../src/model/quantize.js";
import { randomWeights } from "../src/model/weights.js";

const cfg = presetConfig("tiny", { layers: 3 });
const n = 16;
const schedule = [16, 6, 3];
const targets = layerTargets(schedule, 0.25);

/** The twin's counts per layer with these thresholds. */
async function twinTokens(m: { weights: Parameters<typeof quantize>[0]; ids: Int32Array; mask: Uint8Array }, thresholds: PruneThresholds): Promise<LayerTokens[]> {
  const tokens: LayerTokens[] = [];
  await fixedForward(m.weights, RING, m.ids, m.mask, { thresholds, onLayer: (_, __, t) => tokens.push(t) });
  return tokens;
}

describe("kept-token schedules", () => {
  it("CipherPrune's base schedule, its fractions at 512 tokens, stretched over other depths", () => {
    expect(stretchSchedule(12, 128)).toEqual(BASE_SCHEDULE);
    expect(stretchSchedule(12, 512)).toEqual(BASE_SCHEDULE.map((k) => 4 * k));
    for (const layers of [2, 4, 8, 24]) {
      const s = stretchSchedule(layers, 128);
      expect(s).toHaveLength(layers);
      expect(checkSchedule(s, layers, 128)).toEqual(s);
      expect(s.at(-1)).toBe(1);
    }
    expect(stretchSchedule(8, 128).slice(0, 2)).toEqual([128, 54]);
    expect(() => checkSchedule([16, 6], 3, 16)).toThrow(/3 counts/);
    expect(() => checkSchedule([15, 6, 3], 3, 16)).toThrow(/start with the sequence length 16/);
    expect(() => checkSchedule([16, 6, 7], 3, 16)).toThrow(/never rise/);
  });

  it("layer l keeps what enters layer l + 1 (the last its own), round(share · kept) of them low, never [CLS]", () => {
    expect(targets).toEqual([
      { kept: 6, low: 2 },
      { kept: 3, low: 1 },
      { kept: 3, low: 1 },
    ]);
    expect(layerTargets([4, 1], 1)).toEqual([
      { kept: 1, low: 0 },
      { kept: 1, low: 0 },
    ]);
  });
});

describe("threshold calibration", () => {
  it("keeps exactly the requested counts on the twin, and its thresholds do so again in a plain twin pass", async () => {
    for (const [len, s, share] of [
      [32, [32, 12, 5], 0.178],
      [32, [32, 32, 1], 0.5],
      [16, schedule, 0.25],
    ] as const) {
      const t = layerTargets(s, share);
      const m = scheduledModel(cfg, len, t, RING);
      const cal = await calibrate(m.weights, quantize(m.weights, RING), RING, m.ids, m.mask, t);
      const want = t.map((x) => ({ kept: x.kept, high: x.kept - x.low, low: x.low }));
      expect(cal.tokens, `${s}`).toEqual(want);
      expect(await twinTokens(m, cal.thresholds), `${s}`).toEqual(want);
      expect(m.gap).toBeGreaterThan(2);
    }
  }, 60_000);

  it("names the tie when two scores at a cut are equal", async () => {
    // Padding receives no attention: with 6 real tokens of 16, keeping 10 cuts between two padding scores of 0.
    const w = randomWeights(cfg, 3);
    const { ids, mask } = benchInput(cfg, n, 6);
    const t = [{ kept: 10, low: 0 }, ...targets.slice(1)];
    const err = await calibrate(w, quantize(w, RING), RING, ids, mask, t).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableCount);
    expect((err as Error).message).toMatch(/layer 0, keeping 10 of 16 tokens: the scores ranked 9 and 10 .* are equal \(0 at scale 2\^s\)/);
    // A scheduled model groups the tokens between two of its cuts into one tier of equal scores.
    const m = scheduledModel(cfg, n, targets, RING);
    const off = [{ kept: 5, low: 0 }, ...targets.slice(1)];
    await expect(calibrate(m.weights, quantize(m.weights, RING), RING, m.ids, m.mask, off)).rejects.toThrow(/keeping 5 of 16 tokens: the scores ranked 4 and 5/);
  }, 60_000);

  it("the pruning method's options: we takes no thresholds and does not reduce", async () => {
    const m = scheduledModel(cfg, n, targets, RING);
    await expect(fixedForward(m.weights, RING, m.ids, m.mask, { method: "we", thresholds: { theta: [0, 0, 0] } })).rejects.toThrow(/method "we"/);
    await expect(fixedForward(m.weights, RING, m.ids, m.mask, { method: "we", pruning: "reduce" })).rejects.toThrow(/method "we"/);
    await expect(fixedForward(m.weights, RING, m.ids, m.mask, { method: "sort" as "we" })).rejects.toThrow(/method must be one of ours, swap, we/);
  });
});

describe("the rows of bench:table1", () => {
  let session: Session;
  let rows: Rows;
  const results = new Map<string, Row>();

  beforeAll(async () => {
    const m = scheduledModel(cfg, n, targets, RING);
    const fixed = quantize(m.weights, RING);
    const { thresholds } = await calibrate(m.weights, fixed, RING, m.ids, m.mask, targets);
    session = await openSession(cfg, n, { kind: "simd", threads: 0, pruned: true });
    rows = new Rows(session, cfg, { ...m, fixed, thresholds });
  }, 120_000);

  afterAll(async () => {
    await session?.close();
  });

  it("every row keeps the scheduled counts and equals the twin; bytes none > we > ours, pruning swap > we > ours", async () => {
    for (const mode of MODES) results.set(mode, await rows.run(mode, scheduledTokens(mode, n, targets)));
    const get = (m: string) => results.get(m)!;
    for (const r of results.values()) {
      expect(r.maxAbsLogitError, r.mode).toBe(0);
      expect(r.projected, r.mode).toEqual([]);
      expect(r.layers.map((x) => x.source)).toEqual(["measured", "measured", "measured"]);
      expect(r.bytes, r.mode).toBe(Object.values(r.stages).reduce((a, s) => a + s.bytes, 0));
    }
    expect(get("none").kept).toEqual([16, 16, 16]);
    expect(get("we").kept).toEqual([8, 8, 8]);
    for (const m of ["swap", "ours"]) {
      expect(get(m).kept).toEqual([6, 3, 3]);
      expect(get(m).high).toEqual([4, 2, 2]);
      expect(get(m).low).toEqual([2, 1, 1]);
      expect(get(m).layers.map((x) => x.enter)).toEqual([16, 6, 3]);
    }
    expect(get("none").bytes).toBeGreaterThan(get("we").bytes);
    expect(get("we").bytes).toBeGreaterThan(get("ours").bytes);
    expect(get("none").pruneBytes).toBe(0);
    expect(get("swap").pruneBytes).toBeGreaterThan(get("we").pruneBytes);
    expect(get("we").pruneBytes).toBeGreaterThan(get("ours").pruneBytes);
    // Apart from pruning, swap and ours run the same shapes.
    for (const st of ["qkv", "softmax", "gelu", "norm2", "pooler"]) expect(get("swap").stages[st].bytes, st).toBe(get("ours").stages[st].bytes);
  }, 300_000);

  it("the engine prunes to the twin's rows with every method: swap's opened regrouping, we's top half", async () => {
    const [m, d] = [12, 5];
    const rnd = () => BigInt.asUintN(64, BigInt(Math.floor(Math.random() * 2 ** 52)) * 4099n) & RING.mask;
    const rows = BigUint64Array.from({ length: m * d }, rnd);
    // Distinct signed scores around θ = 0 and β = 40.
    const scores = BigUint64Array.from({ length: m }, (_, j) => BigInt.asUintN(64, BigInt(((j * 7) % m) * 10 - 50)) & RING.mask);
    const mask = { rows: rows.map(rnd), scores: scores.map(rnd) };
    const minus = (a: BigUint64Array, b: BigUint64Array) => a.map((v, i) => (v - b[i]) & RING.mask);
    const cases: LayerThresholds[] = [
      { reduce: true, theta: 0n, beta: 40n, method: "swap" },
      { reduce: false, theta: 0n, method: "swap" },
      { reduce: true, theta: 0n, beta: 40n },
      { reduce: false, keep: 5, method: "we" },
    ];
    for (const th of cases) {
      const [a, b] = await Promise.all([
        new SecureBert(session.server, session.he[0], RING, m).prune(mask.rows, mask.scores, m, d, th),
        new SecureBert(session.client, session.he[1], RING, m).prune(minus(rows, mask.rows), minus(scores, mask.scores), m, d, { ...th, theta: undefined, beta: undefined }),
      ]);
      const twin = await new PlainBert(RING).prune(rows, scores, m, d, th);
      expect(a.rows.map((v, i) => (v + b.rows[i]) & RING.mask), JSON.stringify(th, (_, v) => (typeof v === "bigint" ? String(v) : v))).toEqual(twin.rows);
      expect([a.high, a.low, b.high, b.low]).toEqual([twin.high, twin.low, twin.high, twin.low]);
    }
  }, 60_000);

  it("projected layers cost exactly what the measured ones did, in bytes and rounds", async () => {
    const same = (r: Row, full: Row) => r.layers.map((x, l) => [x.bytes, x.rounds, full.layers[l].bytes, full.layers[l].rounds]);
    const none = await rows.run("none", scheduledTokens("none", n, targets), 1);
    expect(none.projected).toEqual([
      { layer: 1, from: "layer 0" },
      { layer: 2, from: "layer 0" },
    ]);
    const ours = await rows.run("ours", scheduledTokens("ours", n, targets), 1);
    expect(ours.projected.map((p) => p.from)).toEqual(["1-layer run", "1-layer run"]);
    expect(ours.maxAbsLogitError).toBe(0);
    for (const [r, full] of [
      [none, results.get("none")!],
      [ours, results.get("ours")!],
    ] as const) {
      for (const [b, rd, fb, frd] of same(r, full)) expect([b, rd], r.mode).toEqual([fb, frd]);
      expect(r.bytes, r.mode).toBe(full.bytes);
      expect(r.rounds, r.mode).toBe(full.rounds);
      expect(r.kept, r.mode).toEqual(full.kept);
    }
  }, 300_000);
});
