// One private BERT inference with seeded random weights, both parties in one process over the in-memory channel,
// checked against the fixed-point twin. Prints the per-stage table and, with --json, one JSON line:
// {model, he, seq, ms, bytes, rounds, lanMs, wanMs, stages: {name: {ms, bytes, rounds}}, maxAbsLogitError}.
// ms, bytes and rounds cover the inference after set-up (base OTs and HE keys); rounds are flights of the pair.
// Usage: node dist/bench/bert.js [--model PRESET] [--seq N] [--layers L] [--threads T] [--he simd|seal]
//   [--ot iknp|ferret-b11|ferret-b13] [--json]
//   T = 0: HE in this thread. --layers L runs only the first L encoder layers of the preset (a large model's
//   per-layer cost without running all of it); the JSON then says "layers": L. --he: the HE backend (default simd);
//   the JSON says which in "he", and the OT in "ot".
import { checkHeKind, DEFAULT_HE_KIND } from "../src/he/backend.js";
import { estimateMs, LAN, WAN } from "../src/net/cost.js";
import { presetConfig } from "../src/model/config.js";
import { fixedForward } from "../src/model/fixed.js";
import { clientData } from "../src/model/forward.js";
import { quantize, RING } from "../src/model/quantize.js";
import { formatStages, summarizeStages } from "../src/model/stages.js";
import { randomWeights } from "../src/model/weights.js";
import { arg, option, otOption } from "./args.js";
import { benchInput, log, maxAbsError, openSession, runPrivate } from "./harness.js";

const json = process.argv.includes("--json");
const preset = option("--model") ?? "tiny";
const seq = arg("--seq", 128, 2);
const threads = arg("--threads", 2, 0);
const kind = checkHeKind(option("--he") ?? DEFAULT_HE_KIND, "--he");
const ot = otOption();
const full = presetConfig(preset);
const cfg = presetConfig(preset, { layers: arg("--layers", full.layers) });
const ring = RING;

log(`${preset}: ${cfg.layers} of ${full.layers} layers, width ${cfg.hidden}, ${cfg.heads} heads, ${seq} tokens, HE ${kind}, OT ${ot}`);
const w = randomWeights(cfg, 1);
const fixed = quantize(w, ring);
const { ids, mask } = benchInput(cfg, seq);

const t0 = performance.now();
const session = await openSession(cfg, seq, { kind, threads, ot });
log(`set-up (HE keys${threads > 0 ? `, ${threads} HE threads` : ""}): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const start = performance.now();
const run = await runPrivate(session, cfg, seq, fixed, clientData(w, ids, mask, ring), {}, { onLayer: (d, t) => log(`layer ${d}/${t} at ${((performance.now() - start) / 1000).toFixed(1)} s`) });
await session.close();
const { logits, ms, bytes, rounds } = run;
const maxAbsLogitError = maxAbsError(logits, await fixedForward(w, ring, ids, mask, { fixed }));
const sum = summarizeStages(run.scopes);
const stages = sum.stages;
const out = { model: preset, he: kind, ot, seq, layers: cfg.layers, ms, bytes, rounds, lanMs: estimateMs(LAN, run), wanMs: estimateMs(WAN, run), stages, maxAbsLogitError };
console.log(formatStages({ stages, layers: sum.layers }));
console.log(`\n${preset} at ${seq} tokens, HE ${kind}: ${(ms / 1000).toFixed(1)} s, ${(bytes / 2 ** 20).toFixed(1)} MiB, ${rounds} rounds; LAN ${(out.lanMs / 1000).toFixed(1)} s, WAN ${(out.wanMs / 1000).toFixed(1)} s; logits [${Array.from(logits).join(", ")}], max |private − twin| = ${maxAbsLogitError}`);
if (json) console.log(JSON.stringify(out));
