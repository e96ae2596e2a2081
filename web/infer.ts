// The client of a private inference in a web page: the text stays in the page, the model's weights stay with the
// server (`cipherprune serve --ws-port P --ws-origin ORIGIN`). The page connects over WebSocket and runs the client
// party as `infer --connect` without --model does: the public model (config, vocabulary, embeddings) comes through
// the protocol and is kept in IndexedDB by its hashes. Address options: ?ws=ws://HOST:PORT (default: this page's
// host, port 7001), ?text=... (fills the box and runs at once), ?seq=N, ?noprune.
// For the headless tests the title becomes "done" or "error", and window.result holds what the page shows.
import type { Channel } from "../src/net/channel.js";
import { connectWs } from "../src/net/ws.js";
import { runParty, type Outcome, type PublicModelStore } from "../src/cli/session.js";

/** What the page shows, for tests (window.result). */
export interface InferResult {
  label: number;
  labelName?: string;
  logits: number[];
  tokens?: string[];
  /** Tokens kept after each layer. */
  kept: number[];
  seq: number;
  source: Outcome["source"];
  /** Client view, set-up and the public model included. */
  bytes: number;
  bytesSent: number;
  bytesReceived: number;
  rounds: number;
  /** Inference after set-up, and the whole session (connect to result). */
  ms: number;
  totalMs: number;
}

const DEFAULT_WS_PORT = 7001;
const DB = "cipherprune";
const MODELS = "public-models";

const $ = (id: string) => document.getElementById(id)!;
const query = new URLSearchParams(location.search);
const setResult = (r: InferResult | undefined) => void ((window as unknown as { result?: InferResult }).result = r);

function defaultWsUrl(): string {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.hostname || "127.0.0.1"}:${DEFAULT_WS_PORT}`;
}

function status(line: string): void {
  $("status").textContent = line;
}

/** Fetched public models in IndexedDB, by storeKey; a page without IndexedDB (private mode) fetches every time. */
function indexedDbStore(): PublicModelStore | undefined {
  if (typeof indexedDB === "undefined") return undefined;
  const open = () =>
    new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(MODELS);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error("IndexedDB open failed"));
    });
  const run = async <T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const db = await open();
    try {
      return await new Promise<T>((resolve, reject) => {
        const req = fn(db.transaction(MODELS, mode).objectStore(MODELS));
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error ?? new Error("IndexedDB request failed"));
      });
    } finally {
      db.close();
    }
  };
  return {
    // A store that fails (quota, blocked) only costs a fetch: the session never fails because of it.
    load: (key) => run("readonly", (s) => s.get(key) as IDBRequest<Map<string, Uint8Array> | undefined>).catch(() => undefined),
    save: (key, files) => run("readwrite", (s) => s.put(files, key)).then(() => undefined, () => undefined),
  };
}

function table(head: string[], rows: string[][]): HTMLTableElement {
  const t = document.createElement("table");
  const row = (cells: string[], tag: "th" | "td") => {
    const tr = document.createElement("tr");
    for (const c of cells) tr.appendChild(document.createElement(tag)).textContent = c;
    return tr;
  };
  t.appendChild(document.createElement("thead")).appendChild(row(head, "th"));
  const body = t.appendChild(document.createElement("tbody"));
  for (const r of rows) body.appendChild(row(r, "td"));
  return t;
}

function show(r: InferResult): void {
  $("label").textContent = `${r.labelName ?? `label ${r.label}`}`;
  $("logits").textContent = `logits [${r.logits.map((v) => v.toFixed(4)).join(", ")}]`;
  $("kept").replaceChildren(table(["layer", "tokens kept"], r.kept.map((k, i) => [String(i), String(k)])));
  $("traffic").textContent =
    `${(r.bytes / 2 ** 20).toFixed(1)} MiB (${r.bytes.toLocaleString("en")} bytes: ${r.bytesSent.toLocaleString("en")} sent, ` +
    `${r.bytesReceived.toLocaleString("en")} received), ${r.rounds} rounds; inference ${(r.ms / 1000).toFixed(1)} s, ` +
    `whole session ${(r.totalMs / 1000).toFixed(1)} s; ${r.seq} tokens padded; public model ${r.source}`;
}

async function infer(text: string): Promise<void> {
  const url = query.get("ws") ?? defaultWsUrl();
  const seqText = query.get("seq");
  const seq = seqText === null ? undefined : Number(seqText);
  if (seq !== undefined && (!Number.isInteger(seq) || seq < 2)) throw new RangeError(`?seq must be an integer ≥ 2, got "${seqText}"`);
  const start = performance.now();
  status(`connecting to ${url}…`);
  let ch: Channel | undefined;
  try {
    const ws = await connectWs(url, { timeoutMs: 600_000, onProgress: (e) => status(e.message) });
    ch = ws;
    const out = await runParty("client", ws, {
      text,
      seq,
      prune: !query.has("noprune"),
      store: indexedDbStore(),
      onPhase: (p) => status(`${p}…`),
      onLayer: (done, total) => {
        status(`inference: layer ${done}/${total}`);
        ($("progress") as HTMLProgressElement).value = done / total;
      },
    });
    const t = ws.traffic;
    const logits = Array.from(out.logits ?? []);
    const label = logits.reduce((b, v, i) => (v > logits[b] ? i : b), 0);
    const labelName = out.model.config.labelNames?.[label];
    const r: InferResult = {
      label,
      ...(labelName !== undefined && { labelName }),
      logits,
      tokens: out.tokens,
      kept: out.kept.map((k) => k.kept),
      seq: out.seq,
      source: out.source,
      bytes: t.bytesSent + t.bytesReceived,
      bytesSent: t.bytesSent,
      bytesReceived: t.bytesReceived,
      rounds: t.flightsSent + t.flightsReceived,
      ms: out.ms,
      totalMs: performance.now() - start,
    };
    show(r);
    setResult(r);
    status("done");
  } finally {
    ch?.close();
  }
}

function run(text: string): void {
  const button = $("run") as HTMLButtonElement;
  button.disabled = true;
  $("error").textContent = "";
  document.title = "running";
  setResult(undefined);
  infer(text).then(
    () => {
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
