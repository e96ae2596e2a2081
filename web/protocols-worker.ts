// Module Worker that runs the pruning comparison (bench/protocols-run.ts) off the page's main thread, so the page
// stays live. Each request runs one set of options; the reply carries every row this worker has produced so far
// (the page shows them all), formatted as the Node bench formats them, and the chart of them.
import { chartSvg, runProtocols, tableCells, type ProtocolsOptions, type Row } from "../bench/protocols-run.js";

export type WorkerRequest = Omit<ProtocolsOptions, "log" | "warmUp">;
export type WorkerReply =
  | { type: "log"; line: string }
  | { type: "done"; rows: Row[]; all: Row[]; head: string[]; body: string[][]; svg: string; aes: string }
  | { type: "error"; message: string };

const all: Row[] = [];
let warm = false;
const reply = (msg: WorkerReply) => self.postMessage(msg);

self.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  try {
    // Warm up once per worker: later requests run on compiled code already.
    const { rows, aes } = await runProtocols({ ...e.data, warmUp: !warm, log: (line) => reply({ type: "log", line }) });
    warm = true;
    all.push(...rows);
    const { head, body } = tableCells(all);
    reply({ type: "done", rows, all: [...all], head, body, svg: chartSvg(all), aes });
  } catch (err) {
    reply({ type: "error", message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }
};
