// OT extension throughput: both parties in one process, after the base OTs.
// The headline is 2^20 random correlated OTs (IKNP with 128-bit outputs: the receiver's 128 bits per OT are the only
// traffic), their outputs left in kernel memory as the protocols use them, run twice: with each party on a thread of
// its own (the client in a worker, over a MessagePort channel: on 2 cores, as two processes would run), and with both
// parties on one thread over the in-memory channel, where their times add up. Beside it, on one thread: the same
// copied out, COT and chosen OT with l = 37, 1-of-16 OT with 2-bit messages (the millionaire's digit OT), and the AES
// work of the random COT row alone, a floor to compare it with.
// One-thread times are the median (and fastest) wall clock of the timed runs. On two threads the client starts its
// next call as soon as its last one ends, so runs overlap: that row's time is the whole span of the timed runs
// divided by their number. The JSON line's cotPerSec is the two-thread rate, cotPerSecOneThread the one-thread one.
// Bytes per OT count both directions, frames included.
// With --ot ferret-b11|ferret-b13 the same flavours run on Ferret's silent OT; bootstrapBytes and bootstrapMs are the
// set-up (base OTs, IKNP bootstrap, Ferret's first COTs produced ahead), both directions, and silentBytesPerCot the
// corrections of Ferret's rounds per COT (t·d blocks per round's user COTs), beside the measured bytesPerCot, which
// adds the 1-bit choice correction and the frames.
// Usage: node dist/bench/ot.js [--json] [--n N] [--runs R] [--ot iknp|ferret-b11|ferret-b13]
import { Worker, type TransferListItem } from "node:worker_threads";
import { Prg } from "../src/core/prg.js";
import { memoryPair, measurePair } from "../src/net/memory.js";
import { portChannel } from "../src/net/port.js";
import type { PeerTask } from "./ot-peer-worker.js";
import { ferretParamsOf, OtPack } from "../src/ot/index.js";
import { createAes } from "../src/core/aes.js";
import { wasm } from "../src/core/wasm.js";
import { OtHash } from "../src/ot/crhash.js";
import { arg, otOption } from "./args.js";
import { ferretShape } from "../src/ot/ferret/index.js";

const json = process.argv.includes("--json");
const n = arg("--n", 1 << 20);
const runs = arg("--runs", 7);
const ot = otOption();

const [a, b] = memoryPair();
const prg = await Prg.create();
const server = new OtPack(a, await Prg.create(), "server", { ot });
const client = new OtPack(b, await Prg.create(), "client", { ot });
const setup = await measurePair(a, b, () => Promise.all([server.setup(), client.setup()]));
const baseOtMs = setup.ms;
console.error(`set-up on ${ot} (both directions, base OTs included): ${baseOtMs.toFixed(1)} ms, ${setup.traffic.bytes} bytes`);

interface Row {
  name: string;
  count: number;
  /** Median and fastest run (no fastest where runs overlap). */
  ms: number;
  best?: number;
  bytes: number;
}

async function measure(name: string, count: number, fn: () => Promise<unknown>): Promise<Row> {
  // Warm-up: JIT, and the allocator's first touches of fresh pages (13–32k minor faults per 2^20 random-OT call
  // until freed buffers are recycled, measured with process.resourceUsage()).
  for (let w = 0; w < 3; w++) await fn();
  const times: number[] = [];
  let bytes = 0;
  for (let r = 0; r < runs; r++) {
    const { traffic, ms } = await measurePair(a, b, fn);
    times.push(ms);
    bytes = traffic.bytes;
    console.error(`${name}: run ${r + 1}/${runs} ${ms.toFixed(1)} ms`);
  }
  times.sort((x, y) => x - y);
  return { name, count, ms: times[times.length >> 1], best: times[0], bytes };
}

const choices = prg.bytes(Math.ceil(n / 8));
const delta = prg.u64(n, 37);
const m1 = prg.u64(n, 37);
const nDigits = Math.max(1, n >> 4);
const digits = prg.bytes(nDigits).map((c) => c & 15);
const table = prg.u64(16 * nDigits, 2);

/** The headline flavour with the client in a worker thread: the span of `runs` timed calls (after 3 warm-ups) per call. */
async function twoThreads(bytes: number): Promise<Row> {
  const warm = 3;
  const worker = new Worker(new URL("./ot-peer-worker.js", import.meta.url));
  const { port1, port2 } = new MessageChannel();
  // The global (DOM-typed) MessagePort is the same object Node's worker_threads transfers.
  const task: PeerTask = { port: port2, ot, n, runs: warm + runs, choices };
  worker.postMessage(task, [port2 as unknown as TransferListItem]);
  const ch = portChannel(port1, { timeoutMs: 600_000 });
  try {
    const sender = new OtPack(ch, await Prg.create(), "server", { ot });
    await sender.setup();
    const call = () => Promise.all([sender.rotSendBlocks(n).then((s) => s.free()), ch.recv("bench.done")]);
    for (let w = 0; w < warm; w++) await call();
    const start = performance.now();
    for (let r = 0; r < runs; r++) {
      await call();
      console.error(`random COT, two threads: run ${r + 1}/${runs} ${(performance.now() - start).toFixed(1)} ms so far`);
    }
    const ms = (performance.now() - start) / runs;
    ch.send("bench.bye", new Uint8Array(0));
    return { name: "random COT, 2 threads", count: n, ms, bytes };
  } finally {
    ch.close();
    await worker.terminate();
  }
}

const rows: Row[] = [];
// The headline: outputs left in kernel memory, as the protocols take them (mult, matmul); then the same with the
// outputs copied out to fresh arrays (what rotSend / rotRecv return).
rows.push(
  await measure("random COT (128-bit)", n, async () => {
    const [s, r] = await Promise.all([server.rotSendBlocks(n), client.rotRecvBlocks(choices, n)]);
    s.free();
    r.free();
  }),
);
rows.push(await measure("  … copied out", n, () => Promise.all([server.rotSend(n), client.rotRecv(choices, n)])));
rows.push(await measure("COT l = 37", n, () => Promise.all([server.cotSend(delta, 37), client.cotRecv(choices, n, 37)])));
rows.push(await measure("chosen OT l = 37", n, () => Promise.all([server.otSend(delta, m1, 37), client.otRecv(choices, n, 37)])));
rows.push(await measure("1-of-16 OT l = 2", nDigits, () => Promise.all([server.otNSend(table, 16, 2), client.otNRecv(digits, 16, 2)])));
// The floor under the random COT row, timed side by side: its AES work alone (3 tweaked hashes of one AES block each,
// and 48 PRG bytes, per OT), in kernel memory as in the extension.
const floorHash = new OtHash(await createAes(new Uint8Array(16)), "iknp", "server");
const blocks = Math.min(n, 1 << 16);
floorHash.batch(blocks); // its tweak buffer is allocated here, before the view below is taken
const floorPtr = wasm().alloc(16 * blocks);
rows.push(
  await measure("(its AES work alone)", n, async () => {
    const block = wasm().u8(floorPtr, 16 * blocks);
    for (let done = 0; done < 3 * n; done += blocks) {
      floorHash.batch(blocks);
      floorHash.hash(block, block);
      prg.fill(block);
    }
  }),
);

const oneThread = rows[0];
const head = await twoThreads(oneThread.bytes);
rows.push(head);

console.log(`OT flavours on ${ot}, both parties on one thread (but the 2-thread row), median of ${runs} runs; set-up ${baseOtMs.toFixed(1)} ms, ${setup.traffic.bytes} bytes`);
console.log(`${"flavour".padEnd(22)} ${"OTs".padStart(9)} ${"ms".padStart(9)} ${"best ms".padStart(9)} ${"M OT/s".padStart(8)} ${"bytes/OT".padStart(9)}`);
for (const r of rows) {
  const rate = r.count / (r.ms / 1000) / 1e6;
  const cells = [String(r.count).padStart(9), r.ms.toFixed(1).padStart(9), (r.best?.toFixed(1) ?? "").padStart(9), rate.toFixed(2).padStart(8)];
  console.log(`${r.name.padEnd(22)} ${cells.join(" ")} ${(r.bytes / r.count).toFixed(3).padStart(9)}`);
}
const ferret = ferretParamsOf(ot);
const shape = ferret && ferretShape(ferret);
if (json) {
  console.log(
    JSON.stringify({
      ot,
      cotPerSec: Math.round(head.count / (head.ms / 1000)),
      cotPerSecOneThread: Math.round(oneThread.count / (oneThread.ms / 1000)),
      bytesPerCot: +(head.bytes / head.count).toFixed(4),
      ...(shape ? { silentBytesPerCot: +(shape.roundBytes / shape.userCots).toFixed(4) } : {}),
      baseOtMs: +baseOtMs.toFixed(1),
      bootstrapBytes: setup.traffic.bytes,
      bootstrapMs: +baseOtMs.toFixed(1),
    }),
  );
}
a.close();
b.close();
