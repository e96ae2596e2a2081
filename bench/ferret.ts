// Ferret (silent OT) throughput: both parties in one process over the in-memory channel, after the IKNP bootstrap.
// Reports, per preset: bootstrap time and bytes, the time of whole rounds (both parties share one thread, so their
// times add up), steady-state bytes per COT from the channel counters, and the sender's tree build and LPN encode
// alone (one party's compute). Beside each round's wall clock, the process CPU time (user + system), which a machine
// shared with other work inflates less; --json ends with one JSON object of the steady rounds (all but round 0).
// Usage: node dist/bench/ferret.js [--json] [--preset b11|b13|tiny] [--rounds R] [--aes auto|node|wasm]
// (--aes picks the backend of the tree hash and the LPN index stream; the IKNP bootstrap's PRGs stay on "auto".)
import { Prg } from "../src/core/prg.js";
import { aesOn, resolveBackend } from "../src/core/aes.js";
import { memoryPair } from "../src/net/memory.js";
import { arg, option } from "./args.js";
import { CggmScratch, cggmSend, FERRET_B11, FERRET_B13, FERRET_TINY, FerretCotReceiver, FerretCotSender, ferretShape, LpnEncoder } from "../src/ot/ferret/index.js";


const presets = { b11: FERRET_B11, b13: FERRET_B13, tiny: FERRET_TINY } as const;
const params = presets[(option("--preset") ?? "b11") as keyof typeof presets];
if (!params) throw new Error("--preset must be b11, b13 or tiny");
const rounds = arg("--rounds", 2);
const shape = ferretShape(params);
const backend = await resolveBackend((option("--aes") ?? "auto") as "auto" | "node" | "wasm");
const pi = aesOn(new Uint8Array(16).fill(7), backend);

// One party's compute, in isolation: the sender's trees, and the LPN encode, over one batch.
{
  const prg = await Prg.create();
  const trees = Math.max(1, Math.floor((1 << 15) / shape.leaves));
  const delta = prg.bytes(16);
  delta[0] |= 1;
  const roots = prg.bytes(16 * trees);
  const nodes = new Uint32Array(4 * trees * shape.leaves);
  const k0 = new Uint32Array(4 * params.depth * trees);
  const scratch = new CggmScratch();
  const lpn = new LpnEncoder(aesOn(prg.bytes(16), backend), params.logk, params.depth);
  const secret = new Uint32Array(prg.bytes(16 * shape.k).buffer);
  lpn.setSecret(secret);
  const reps = 20;
  const time = (fn: (r: number) => void) => {
    fn(0);
    const t = performance.now();
    for (let r = 1; r <= reps; r++) fn(r);
    return (performance.now() - t) / reps;
  };
  const d = new Uint32Array(delta.buffer);
  const r = new Uint32Array(roots.buffer);
  const treeMs = time(() => cggmSend(pi, params.depth, trees, d, r, nodes, k0, scratch));
  const idxMs = time((i) => lpn.indexWords(i, 0, trees));
  const lpnMs = time((i) => lpn.encode(i, 0, trees, secret, nodes));
  const n = trees * shape.leaves;
  const ns = (ms: number) => ((ms * 1e6) / n).toFixed(1);
  console.log(
    `${params.name} (${backend} AES), one batch of ${trees} trees = ${n} COTs: tree ${ns(treeMs)} ns/COT, ` +
      `LPN ${ns(lpnMs)} ns/COT (of which index AES ${ns(idxMs)})`,
  );
}

const [a, b] = memoryPair();
const t0 = performance.now();
const [sender, receiver] = await Promise.all([
  FerretCotSender.create(a, await Prg.create(), params, { aes: pi }),
  FerretCotReceiver.create(b, await Prg.create(), params, { aes: pi }),
]);
const setupMs = performance.now() - t0;
console.log(
  `${params.name}: bootstrap ${setupMs.toFixed(0)} ms, bytes sender→receiver ${a.traffic.bytesSent}, receiver→sender ${b.traffic.bytesSent} (M = ${shape.m} IKNP COTs)`,
);
const perRound = Math.ceil(shape.userTrees / sender.batch);
const bootBytes = a.traffic.bytesSent + b.traffic.bytesSent;
let steadyMs = 0, steadyCpuMs = 0, steadyBytes = 0, steadyRounds = 0;
for (let round = 0; round < rounds; round++) {
  const bytes0 = a.traffic.bytesSent + b.traffic.bytesSent;
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  for (let c = 0; c < perRound; c++) await Promise.all([sender.next(), receiver.next()]);
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1e3;
  const bytes = a.traffic.bytesSent + b.traffic.bytesSent - bytes0;
  if (round > 0 || rounds === 1) {
    steadyMs += ms;
    steadyCpuMs += cpuMs;
    steadyBytes += bytes;
    steadyRounds++;
  }
  // Round 0's bytes lack a refill (the bootstrap supplied its base COTs); later rounds include the previous refill.
  console.log(
    `round ${round}: ${shape.userCots} COTs in ${ms.toFixed(0)} ms (both parties, one thread) = ${((shape.userCots / ms) * 1e3 / 1e6).toFixed(2)} M COT/s; ` +
      `CPU ${cpuMs.toFixed(0)} ms = ${((shape.userCots / cpuMs) * 1e3 / 1e6).toFixed(2)} M COT/CPU-s; ` +
      `${bytes} B = ${((8 * bytes) / shape.userCots).toFixed(4)} bits/COT${round === 0 ? " (no refill yet)" : ""}`,
  );
}
const all = a.traffic.bytesSent + b.traffic.bytesSent;
console.log(
  `amortised over ${rounds} round(s), bootstrap included: ${((8 * all) / (rounds * shape.userCots)).toFixed(3)} bits/COT ` +
    `(bootstrap ${bootBytes} B); steady-state payload t·d·16 = ${shape.roundBytes} B per ${shape.userCots} COTs = ${((8 * shape.roundBytes) / shape.userCots).toFixed(4)} bits/COT`,
);
if (process.argv.includes("--json")) {
  const cots = steadyRounds * shape.userCots;
  console.log(
    JSON.stringify({
      preset: params.name,
      aes: backend,
      cotPerSec: Math.round(cots / (steadyMs / 1e3)),
      cotPerCpuSec: Math.round(cots / (steadyCpuMs / 1e3)),
      bytesPerCot: +(steadyBytes / cots).toFixed(4),
      bootstrapBytes: bootBytes,
      bootstrapMs: +setupMs.toFixed(1),
    }),
  );
}
a.close();
