// Channel speed, side by side in one run: the in-memory pair, TCP loopback and the MessagePort channel (both ends on
// this thread), the MessagePort channel to a worker thread (the stream is one-way: the worker drains it), and a
// bare MessageChannel as a reference for in-process delivery. Round trip = one 16-byte ping and its echo; throughput = a
// one-way stream of 1 MiB frames (a window of 4 in flight); small messages = a one-way burst of 16-byte frames
// received in order.
// Usage: node dist/bench/channel.js [--json] [--rounds R]
import type { Channel } from "../src/net/channel.js";
import { Worker, type TransferListItem } from "node:worker_threads";
import { memoryPair } from "../src/net/memory.js";
import { portChannel } from "../src/net/port.js";
import { loopbackPair } from "../src/net/tcp.js";
import { arg } from "./args.js";

const json = process.argv.includes("--json");
const rounds = arg("--rounds", 20_000);
const MiB = 1 << 20;

async function rttUs(a: Channel, b: Channel, n: number): Promise<number> {
  const ping = new Uint8Array(16);
  const echo = (async () => {
    for (let i = 0; i < n; i++) b.send("pong", await b.recv("ping"));
  })();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    a.send("ping", ping);
    await a.recv("pong");
  }
  const us = ((performance.now() - t0) * 1000) / n;
  await echo;
  return us;
}

// The sender stays at most WINDOW frames ahead of the receiver, as a protocol streaming OT matrices would.
const WINDOW = 4;

async function throughputMBps(a: Channel, b: Channel, frames: number): Promise<number> {
  const payload = new Uint8Array(MiB).fill(7);
  const t0 = performance.now();
  for (let i = 0; i < WINDOW; i++) a.send("bulk", payload);
  for (let i = WINDOW; i < frames + WINDOW; i++) {
    await b.recv("bulk");
    if (i < frames) a.send("bulk", payload);
  }
  return (frames * MiB) / 1e6 / ((performance.now() - t0) / 1000);
}

async function smallPerSec(a: Channel, b: Channel, n: number): Promise<number> {
  const payload = new Uint8Array(16);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) a.send("s", payload);
  for (let i = 0; i < n; i++) await b.recv("s");
  return n / ((performance.now() - t0) / 1000);
}

async function messageChannelRttUs(n: number): Promise<number> {
  const { port1, port2 } = new MessageChannel();
  port2.onmessage = (ev) => port2.postMessage(ev.data);
  const ping = new Uint8Array(16);
  let resolve!: () => void;
  port1.onmessage = () => resolve();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const p = new Promise<void>((r) => (resolve = r));
    port1.postMessage(ping);
    await p;
  }
  const us = ((performance.now() - t0) * 1000) / n;
  port1.close();
  return us;
}

async function suite(name: string, make: () => Promise<[Channel, Channel]>) {
  const [a, b] = await make();
  console.error(`${name}: warm-up`);
  await rttUs(a, b, 1000);
  await throughputMBps(a, b, 8);
  const rtt = await rttUs(a, b, rounds);
  console.error(`${name}: round trip ${rtt.toFixed(2)} µs`);
  const mbps = await throughputMBps(a, b, 200);
  console.error(`${name}: ${mbps.toFixed(0)} MB/s`);
  const small = await smallPerSec(a, b, 200_000);
  console.error(`${name}: ${(small / 1e6).toFixed(2)} M small messages/s`);
  a.close();
  return { rtt, mbps, small };
}

/** The MessagePort channel with its peer in a worker thread, driven by commands (see channel-echo-worker.ts). */
async function workerSuite() {
  const worker = new Worker(new URL("./channel-echo-worker.js", import.meta.url));
  const { port1, port2 } = new MessageChannel();
  // The global (DOM-typed) MessagePort is the same object Node's worker_threads transfers.
  worker.postMessage({ port: port2 }, [port2 as unknown as TransferListItem]);
  const ch = portChannel(port1);
  const cmd = (s: string) => ch.send("cmd", new TextEncoder().encode(s));
  const ping = new Uint8Array(16);
  const roundTrips = async (n: number) => {
    cmd(`echo ${n}`);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      ch.send("ping", ping);
      await ch.recv("pong");
    }
    return ((performance.now() - t0) * 1000) / n;
  };
  const stream = async (frames: number) => {
    const payload = new Uint8Array(MiB).fill(7);
    cmd(`drain ${frames}`);
    const t0 = performance.now();
    for (let i = 0; i < frames; i++) ch.send("bulk", payload);
    await ch.recv("drained");
    return (frames * MiB) / 1e6 / ((performance.now() - t0) / 1000);
  };
  console.error("MessagePort to a worker: warm-up");
  await roundTrips(1000);
  await stream(8);
  const rtt = await roundTrips(rounds);
  console.error(`MessagePort to a worker: round trip ${rtt.toFixed(2)} µs`);
  const mbps = await stream(200);
  console.error(`MessagePort to a worker: ${mbps.toFixed(0)} MB/s`);
  cmd("stop");
  await new Promise((r) => worker.once("exit", r));
  return { rtt, mbps };
}

const mem = await suite("memoryPair", async () => memoryPair());
const tcp = await suite("tcp loopback", () => loopbackPair());
const worker = await workerSuite();
const port = await suite("MessagePort channel", async () => {
  const { port1, port2 } = new MessageChannel();
  return [portChannel(port1), portChannel(port2)];
});
await messageChannelRttUs(1000);
const mc = await messageChannelRttUs(rounds);

const table = [
  ["transport", "round trip µs", "1 MiB frames MB/s", "16 B messages M/s"],
  ["memoryPair", mem.rtt.toFixed(2), mem.mbps.toFixed(0), (mem.small / 1e6).toFixed(2)],
  ["tcp loopback", tcp.rtt.toFixed(2), tcp.mbps.toFixed(0), (tcp.small / 1e6).toFixed(2)],
  ["MessagePort channel", port.rtt.toFixed(2), port.mbps.toFixed(0), (port.small / 1e6).toFixed(2)],
  ["MessagePort to a worker", worker.rtt.toFixed(2), worker.mbps.toFixed(0), ""],
  ["MessageChannel (bare)", mc.toFixed(2), "", ""],
];
const widths = table[0].map((_, j) => Math.max(...table.map((r) => r[j].length)));
for (const r of table) console.log(r.map((c, j) => c.padStart(widths[j])).join("  "));
if (json)
  console.log(
    JSON.stringify({
      memoryRttUs: +mem.rtt.toFixed(3),
      tcpRttUs: +tcp.rtt.toFixed(3),
      portRttUs: +port.rtt.toFixed(3),
      workerRttUs: +worker.rtt.toFixed(3),
      messageChannelRttUs: +mc.toFixed(3),
      memoryMBps: Math.round(mem.mbps),
      tcpMBps: Math.round(tcp.mbps),
      portMBps: Math.round(port.mbps),
      workerMBps: Math.round(worker.mbps),
      memorySmallPerSec: Math.round(mem.small),
      tcpSmallPerSec: Math.round(tcp.small),
      portSmallPerSec: Math.round(port.small),
    }),
  );
