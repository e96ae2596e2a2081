// One private BERT inference with seeded random weights, both parties in one process over the in-memory channel,
// checked against the fixed-point twin. Prints the per-stage table and, with --json, one JSON line:
// {model, he, seq, ms, bytes, rounds, lanMs, wanMs, stages: {name: {ms, bytes, rounds}}, maxAbsLogitError}.
// ms, bytes and rounds cover the inference after set-up (base OTs and HE keys); rounds are flights of the pair.
// Usage: node dist/bench/bert.js [--model PRESET] [--seq N] [--layers L] [--threads T] [--he simd|seal] [--json]
//   T = 0: HE in this thread. --layers L runs only the first L encoder layers of the preset (a large model's
//   per-layer cost without running all of it); the JSON then says "layers": L. --he: the HE backend (default simd);
//   the JSON says which in "he".
import { checkHeKind, DEFAULT_HE_KIND } from "../src/he/backend.js";
import { Party } from "../src/mpc/party.js";
import { estimateMs, LAN, WAN } from "../src/net/cost.js";
import { measurePair, memoryPair } from "../src/net/memory.js";
import { presetConfig } from "../src/model/config.js";
import { fixedForward } from "../src/model/fixed.js";
import { clientData } from "../src/model/forward.js";
import { privateInference, setupPrivate } from "../src/model/private.js";
import { quantize, RING } from "../src/model/quantize.js";
import { formatStages, summarizeStages } from "../src/model/stages.js";
import { randomWeights } from "../src/model/weights.js";
import { arg, option } from "./args.js";

const json = process.argv.includes("--json");
const preset = option("--model") ?? "tiny";
const seq = arg("--seq", 128, 2);
const threads = arg("--threads", 2, 0);
const kind = checkHeKind(option("--he") ?? DEFAULT_HE_KIND, "--he");
const full = presetConfig(preset);
const cfg = presetConfig(preset, { layers: arg("--layers", full.layers) });
const ring = RING;
const log = (m: string) => process.stderr.write(`${m}\n`);

log(`${preset}: ${cfg.layers} of ${full.layers} layers, width ${cfg.hidden}, ${cfg.heads} heads, ${seq} tokens, HE ${kind}`);
const w = randomWeights(cfg, 1);
const fixed = quantize(w, ring);
let state = 12345;
const ids = Int32Array.from({ length: seq }, (_, i) => {
  state = (state * 1103515245 + 12345) >>> 0;
  return i === 0 ? 101 : 1000 + (state % (cfg.vocabSize - 1000));
});
const mask = new Uint8Array(seq).fill(1);

const [a, b] = memoryPair({ timeoutMs: 3_600_000 });
const [server, client] = await Promise.all([Party.create("server", a), Party.create("client", b)]);
const t0 = performance.now();
const he = await Promise.all([setupPrivate(server, cfg, seq, ring, { kind }), setupPrivate(client, cfg, seq, ring, { kind })]);
await he[0].startWorkers(threads);
log(`set-up (HE keys${threads > 0 ? `, ${threads} HE threads` : ""}): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const start = performance.now();
const { result, traffic } = await measurePair(a, b, () =>
  Promise.all([
    privateInference(server, he[0], ring, cfg, seq, { weights: fixed }),
    privateInference(client, he[1], ring, cfg, seq, { data: clientData(w, ids, mask, ring) }, { onLayer: (d, t) => log(`layer ${d}/${t} at ${((performance.now() - start) / 1000).toFixed(1)} s`) }),
  ]),
);
const ms = performance.now() - start;
for (const h of he) await h.close();
const logits = result[1]!;
const twin = await fixedForward(w, ring, ids, mask, { fixed });
const maxAbsLogitError = Math.max(...Array.from(logits, (v, i) => Math.abs(v - twin[i])));
const run = { ms, bytes: traffic.bytes, rounds: traffic.rounds };
const sum = summarizeStages(b.scopes());
const stages = Object.fromEntries(Object.entries(sum.stages).filter(([name]) => name !== "he.setup"));
const out = { model: preset, he: kind, seq, layers: cfg.layers, ms, bytes: traffic.bytes, rounds: traffic.rounds, lanMs: estimateMs(LAN, run), wanMs: estimateMs(WAN, run), stages, maxAbsLogitError };
console.log(formatStages({ stages, layers: sum.layers }));
console.log(`\n${preset} at ${seq} tokens, HE ${kind}: ${(ms / 1000).toFixed(1)} s, ${(traffic.bytes / 2 ** 20).toFixed(1)} MiB, ${traffic.rounds} rounds; LAN ${(out.lanMs / 1000).toFixed(1)} s, WAN ${(out.wanMs / 1000).toFixed(1)} s; logits [${Array.from(logits).join(", ")}], max |private − twin| = ${maxAbsLogitError}`);
if (json) console.log(JSON.stringify(out));
a.close();
b.close();
