// Module Worker that runs the client party of a private inference for web/infer.ts, so the page stays live through
// the local computation. It opens the WebSocket itself and runs the client as `infer --connect` without --model does:
// the public model (config, vocabulary, embeddings) comes through the protocol and is kept in IndexedDB by its
// hashes. Each request is one inference; the replies are its progress, then its result or its error.
import { checkHeKind, type HeKind } from "../src/he/backend.js";
import { connectWs } from "../src/net/ws.js";
import { runParty, type Outcome, type PublicModelStore } from "../src/cli/session.js";

/** One inference, from the page's form and address (?seq, ?he and ?noprune as given: checked here). */
export interface InferRequest {
  url: string;
  text: string;
  seq?: string;
  he?: string;
  prune: boolean;
}

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

export type InferReply =
  | { type: "status"; line: string }
  | { type: "layer"; done: number; total: number }
  | { type: "done"; result: InferResult }
  | { type: "error"; message: string };

const DB = "cipherprune";
const MODELS = "public-models";

const reply = (msg: InferReply) => self.postMessage(msg);
const status = (line: string) => reply({ type: "status", line });

/** Fetched public models in IndexedDB, by storeKey; without IndexedDB (private mode) the model is fetched every time. */
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

function checkSeq(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seq = Number(text);
  if (!Number.isInteger(seq) || seq < 2) throw new RangeError(`?seq must be an integer ≥ 2, got "${text}"`);
  return seq;
}

async function infer(req: InferRequest): Promise<InferResult> {
  const seq = checkSeq(req.seq);
  // Without ?he the client takes the server's backend; node-seal is fetched only if that is "seal".
  const he: HeKind | undefined = req.he === undefined ? undefined : checkHeKind(req.he, "?he");
  const start = performance.now();
  status(`connecting to ${req.url}…`);
  const ws = await connectWs(req.url, { timeoutMs: 600_000, onProgress: (e) => status(e.message) });
  try {
    const out = await runParty("client", ws, {
      text: req.text,
      seq,
      he,
      prune: req.prune,
      store: indexedDbStore(),
      onPhase: (p) => status(`${p}…`),
      onLayer: (done, total) => reply({ type: "layer", done, total }),
    });
    const t = ws.traffic;
    const logits = Array.from(out.logits ?? []);
    const label = logits.reduce((b, v, i) => (v > logits[b] ? i : b), 0);
    const labelName = out.model.config.labelNames?.[label];
    return {
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
  } finally {
    ws.close();
  }
}

self.onmessage = (e: MessageEvent<InferRequest>) => {
  infer(e.data).then(
    (result) => reply({ type: "done", result }),
    (err: unknown) => reply({ type: "error", message: err instanceof Error ? err.message : String(err) }),
  );
};
