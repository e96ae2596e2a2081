// The protocols bench page: options from the address (n, d, keep, methods), progress, the results table and the
// chart. The bench runs in a module Worker (protocols-worker.ts). For the headless runner, the rows are
// window.result and the title becomes "done" or "error"; with ?manual the page waits for window.runProtocols calls.
import type { Row } from "../bench/protocols-run.js";
import type { WorkerReply, WorkerRequest } from "./protocols-worker.js";
import { $, fillTable } from "./dom.js";

declare global {
  interface Window {
    /** Every row measured on this page so far. */
    result?: Row[];
    /** Runs the bench with `opts` in the page's Worker, shows all rows so far, and resolves to this run's rows. */
    runProtocols(opts: WorkerRequest): Promise<Row[]>;
  }
}

const worker = new Worker(new URL("./protocols-worker.js", import.meta.url), { type: "module" });
let pending: { resolve: (rows: Row[]) => void; reject: (e: Error) => void } | undefined;

function fail(message: string): void {
  $("error").textContent = message;
  document.title = "error";
  pending?.reject(new Error(message));
  pending = undefined;
}

function render(head: string[], body: string[][], svg: string): void {
  fillTable($("results") as HTMLTableElement, head, body);
  // The SVG is our own chart (bench/chart.ts escapes every label).
  $("chart").innerHTML = svg;
}

worker.onmessage = (e: MessageEvent<WorkerReply>) => {
  const msg = e.data;
  if (msg.type === "log") {
    const log = $("log");
    log.textContent += `${msg.line}\n`;
    log.scrollTop = log.scrollHeight;
    console.info(msg.line);
  } else if (msg.type === "error") {
    fail(msg.message);
  } else {
    window.result = msg.all;
    render(msg.head, msg.body, msg.svg);
    $("aes").textContent = `, AES: ${msg.aes}`;
    document.title = "done";
    pending?.resolve(msg.rows);
    pending = undefined;
  }
};
worker.onerror = (e) => fail(`worker: ${e.message}`);

window.runProtocols = (opts) => {
  if (pending) return Promise.reject(new Error("runProtocols: a run is already in progress"));
  document.title = "running";
  return new Promise<Row[]>((resolve, reject) => {
    pending = { resolve, reject };
    worker.postMessage(opts);
  });
};

/** The bench options in the address; errors name the parameter. */
function query(q: URLSearchParams): WorkerRequest {
  const list = (name: string) => q.get(name)?.split(",").filter((s) => s !== "");
  const num = (name: string) => {
    const raw = q.get(name);
    if (raw === null) return undefined;
    const v = Number(raw);
    if (raw === "" || !Number.isFinite(v)) throw new RangeError(`${name} must be a number, got ${JSON.stringify(raw)}`);
    return v;
  };
  return { ns: list("n")?.map(Number), d: num("d"), keep: num("keep"), methods: list("methods") };
}

$("env").textContent = `${navigator.userAgent.match(/(Chrome|Firefox|Safari)\/[\d.]+/)?.[0] ?? navigator.userAgent}, crossOriginIsolated: ${crossOriginIsolated}, ${navigator.hardwareConcurrency} threads`;
const params = new URLSearchParams(location.search);
if (params.has("manual")) {
  document.title = "ready";
} else {
  try {
    window.runProtocols(query(params)).catch(() => {});
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
}
