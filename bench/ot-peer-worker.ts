// The client of bench/ot.ts's two-thread row, in a worker thread: runs `runs` random-OT receives of n OTs on the
// OT it is told, and reports each one's end on "bench.done" (over the same channel, after the OT's own frames).
import { parentPort } from "node:worker_threads";
import { Prg } from "../src/core/prg.js";
import { portChannel } from "../src/net/port.js";
import { OtPack, type OtChoice } from "../src/ot/index.js";

export interface PeerTask {
  port: MessagePort;
  ot: OtChoice;
  n: number;
  runs: number;
  choices: Uint8Array;
}

if (!parentPort) throw new Error("ot-peer-worker must run as a worker thread");
parentPort.once("message", async ({ port, ot, n, runs, choices }: PeerTask) => {
  const ch = portChannel(port, { timeoutMs: 600_000 });
  try {
    const client = new OtPack(ch, await Prg.create(), "client", { ot });
    await client.setup();
    for (let r = 0; r < runs; r++) {
      (await client.rotRecvBlocks(choices, n)).free();
      ch.send("bench.done", new Uint8Array(0));
    }
    await ch.recv("bench.bye");
  } finally {
    ch.close();
  }
});
