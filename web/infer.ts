// The client of a private inference in a web page: the text stays in the page, the model's weights stay with the
// server (`cipherprune serve --ws-port P --ws-origin ORIGIN`). The client party runs in a module Worker
// (infer-worker.ts), which connects over WebSocket, so the page stays live while it computes. Address options:
// ?ws=ws://HOST:PORT (default: this page's host, port 7001), ?text=... (fills the box and runs at once), ?seq=N,
// ?he=simd|seal (default: the server's backend), ?noprune.
// For the headless tests the title becomes "done" or "error", and window.result holds what the page shows.
import type { InferReply, InferRequest, InferResult } from "./infer-worker.js";
import { $, fillTable } from "./dom.js";

const DEFAULT_WS_PORT = 7001;

const query = new URLSearchParams(location.search);
const setResult = (r: InferResult | undefined) => void ((window as unknown as { result?: InferResult }).result = r);
const worker = new Worker(new URL("./infer-worker.js", import.meta.url), { type: "module" });
/** The run in progress: settles on the Worker's result or error. */
let pending: { resolve: (r: InferResult) => void; reject: (e: Error) => void } | undefined;
/** Set once the Worker has failed: the message every run then shows. */
let broken: string | undefined;

function defaultWsUrl(): string {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.hostname || "127.0.0.1"}:${DEFAULT_WS_PORT}`;
}

function status(line: string): void {
  $("status").textContent = line;
}


function show(r: InferResult): void {
  $("label").textContent = `${r.labelName ?? `label ${r.label}`}`;
  $("logits").textContent = `logits [${r.logits.map((v) => v.toFixed(4)).join(", ")}]`;
  $("kept").replaceChildren(fillTable(document.createElement("table"), ["layer", "tokens kept"], r.kept.map((k, i) => [String(i), String(k)])));
  $("traffic").textContent =
    `${(r.bytes / 2 ** 20).toFixed(1)} MiB (${r.bytes.toLocaleString("en")} bytes: ${r.bytesSent.toLocaleString("en")} sent, ` +
    `${r.bytesReceived.toLocaleString("en")} received), ${r.rounds} rounds; inference ${(r.ms / 1000).toFixed(1)} s, ` +
    `whole session ${(r.totalMs / 1000).toFixed(1)} s; ${r.seq} tokens padded; public model ${r.source}`;
}

worker.onmessage = (e: MessageEvent<InferReply>) => {
  const msg = e.data;
  if (msg.type === "status") status(msg.line);
  else if (msg.type === "layer") {
    status(`inference: layer ${msg.done}/${msg.total}`);
    ($("progress") as HTMLProgressElement).value = msg.done / msg.total;
  } else {
    const settle = pending;
    pending = undefined;
    if (msg.type === "done") settle?.resolve(msg.result);
    else settle?.reject(new Error(msg.message));
  }
};
// A Worker that fails to load (or throws outside a request) fails the run in progress and every later one.
worker.onerror = (e) => {
  broken = `worker: ${e.message || "failed to load"} (reload the page)`;
  pending?.reject(new Error(broken));
  pending = undefined;
};

function infer(text: string): Promise<InferResult> {
  const request: InferRequest = {
    url: query.get("ws") ?? defaultWsUrl(),
    text,
    ...(query.has("seq") && { seq: query.get("seq")! }),
    ...(query.has("he") && { he: query.get("he")! }),
    prune: !query.has("noprune"),
  };
  if (broken !== undefined) return Promise.reject(new Error(broken));
  return new Promise<InferResult>((resolve, reject) => {
    pending = { resolve, reject };
    worker.postMessage(request);
  });
}

function run(text: string): void {
  const button = $("run") as HTMLButtonElement;
  button.disabled = true;
  $("error").textContent = "";
  document.title = "running";
  setResult(undefined);
  infer(text).then(
    (r) => {
      show(r);
      setResult(r);
      status("done");
      document.title = "done";
    },
    (e: unknown) => {
      $("error").textContent = e instanceof Error ? e.message : String(e);
      status("failed");
      document.title = "error";
    },
  ).finally(() => (button.disabled = false));
}

const box = $("text") as HTMLTextAreaElement;
$("server").textContent = query.get("ws") ?? defaultWsUrl();
($("form") as HTMLFormElement).addEventListener("submit", (e) => {
  e.preventDefault();
  if (box.value.trim() === "") {
    $("error").textContent = "type the text to classify";
    return;
  }
  run(box.value);
});
const given = query.get("text");
if (given !== null) {
  box.value = given;
  run(given);
} else document.title = "ready";
