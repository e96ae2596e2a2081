#!/usr/bin/env node
// cipherprune: private BERT inference from the command line.
//   cipherprune infer --text "..." [--model DIR|preset] [--seq N] [--he simd|seal] [--no-prune] [--json]   (both parties)
//   cipherprune serve [--model DIR|preset] --port P [--host H] [--ws-port P [--ws-origin URL,...]] [--seq N]
//     [--he simd|seal] [--no-prune] [--once] [--sessions K] [--queue Q] [--handshake-timeout S] [--idle-timeout S] [--log text|json]
//   cipherprune infer --connect HOST:PORT --text "..." [--model DIR|preset] [--seq N] [--he simd|seal] [--no-prune]
//     [--cache DIR] [--json]
//   cipherprune export-client --out DIR [--model DIR|preset]
// A model with thresholds (thresholds.json) prunes tokens and reduces GELU's degree unless --no-prune is given; the
// thresholds stay with the server. A client needs only the public model (export-client writes it); without --model it
// takes the server's, cached by hash. --he picks the HE backend of the linear layers (default simd); a client
// without --seq or --he follows the server, and a client's --no-prune asks the server for an unpruned pass (which
// hides the kept counts). Progress goes to stderr; errors print one line and set a
// non-zero exit code.
import { parseArgs } from "node:util";
import { checkHeKind, DEFAULT_HE_KIND } from "../he/backend.js";
import type { Channel } from "../net/channel.js";
import { estimateMs, LAN, WAN } from "../net/cost.js";
import { connect, listen } from "../net/tcp.js";
import { checkOrigins, listenWs } from "../net/ws-server.js";
import { nodeHeThreads } from "../he/threads.js";
import { shareSimdThreads } from "../he/simd/pool.js";
import type { BertConfig } from "../model/config.js";
import { formatStages, formatTable, summarizeStages } from "../model/stages.js";
import { defaultCacheDir, directoryStore, exportClient, resolveModel, resolvePublicModel } from "./model.js";
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, defaultSessions, serveLoop, shutdownSignal } from "./serve.js";
import { DEFAULT_SEQ, runLocal, runParty, type Outcome } from "./session.js";
import { checkOtChoice, DEFAULT_OT, SECURE_OTS } from "../ot/index.js";

const USAGE = `usage:
  cipherprune infer --text "..." [--model DIR|preset] [--seq N] [--he simd|seal] [--no-prune] [--json]
  cipherprune infer --connect HOST:PORT --text "..." [--model DIR|preset] [--seq N] [--he simd|seal] [--no-prune] [--cache DIR] [--json]
  cipherprune serve --port P [--ws-port P [--ws-origin URL,...]] [--model DIR|preset] [--host H] [--seq N] [--he simd|seal] [--no-prune] [--once]
                    [--sessions K] [--queue Q] [--handshake-timeout S] [--idle-timeout S] [--log text|json]
  cipherprune export-client --out DIR [--model DIR|preset]
  --he: HE backend of the linear layers (default ${DEFAULT_HE_KIND}); both parties must use the same
  --ot: ${SECURE_OTS.join("|")}, the OT under the protocols (default ${DEFAULT_OT}); a client without it follows the server
  --model with --connect: the client's public model (export-client); omitted: the server's, fetched and cached
  --cache: where fetched models are kept (default ${defaultCacheDir()})
  --no-prune with --connect: ask the server for an unpruned pass (reveals no kept counts; slower)
  --ws-port: also accept clients over WebSocket on this port (browser pages: web/infer.html), same sessions and queue
  --ws-origin: comma-separated origins of the pages allowed to connect ("http://127.0.0.1:8080"; "*": any);
               default none: only clients that send no Origin (not browsers)
  --sessions: inferences at once (default ${defaultSessions()} here: the cores, at least 2, at most one per GiB of memory)
  --queue: clients that may wait for a session, told their place (default twice --sessions); beyond it "server busy"
  --handshake-timeout: seconds a new connection may take to say hello (default ${DEFAULT_HANDSHAKE_TIMEOUT_MS / 1000})
  --idle-timeout: seconds a session may wait for its client (default ${DEFAULT_IDLE_TIMEOUT_MS / 1000}, longer for models larger than BERT-base at 128 tokens)
  --log: one line per session on stderr, as text or json (default text)`;

function progressBar(done: number, total: number): void {
  const width = 20;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`layer ${done}/${total} [${"#".repeat(filled)}${"-".repeat(width - filled)}]\n`);
}

/** Seconds from an option, in ms. */
function seconds(v: string | undefined, field: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`--${field} must be a positive number of seconds, got "${v}"`);
  return n * 1000;
}

/** A count from an option (≥ min). */
function count(v: string | undefined, field: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new RangeError(`--${field} must be an integer ≥ ${min}, got "${v}"`);
  return n;
}

/**
 * The inactivity deadline for a model: the default for BERT-base at 128 tokens and anything smaller, scaled up with
 * a layer's work (its widths times the tokens), since one side may compute a whole layer's HE products silently.
 */
function idleTimeoutFor(c: BertConfig, seq: number): number {
  const work = (c.hidden * c.intermediate * seq) / (768 * 3072 * 128);
  return Math.round(DEFAULT_IDLE_TIMEOUT_MS * Math.max(1, work));
}

function positive(v: string | undefined, field: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`--${field} must be an integer ≥ 2, got "${v}"`);
  return n;
}

function report(out: Outcome, ch: Channel, json: boolean, modelName: string): void {
  const { seq } = out;
  const labelNames = out.model.config.labelNames;
  const t = ch.traffic;
  const bytes = t.bytesSent + t.bytesReceived;
  const rounds = t.flightsSent + t.flightsReceived;
  const run = { ms: out.ms, bytes, rounds };
  const sum = summarizeStages(ch.scopes());
  const logits = Array.from(out.logits ?? []);
  const label = logits.reduce((b, v, i) => (v > logits[b] ? i : b), 0);
  const labelName = labelNames?.[label];
  const kept = out.kept.map((t, layer) => ({ layer, ...t }));
  const result = { model: modelName, seq, tokens: out.tokens, logits, label, ...(labelName !== undefined && { labelName }), kept, ms: out.ms, bytes, rounds, lanMs: estimateMs(LAN, run), wanMs: estimateMs(WAN, run), stages: sum.stages, layers: sum.layers };
  if (json) {
    process.stdout.write(JSON.stringify(result) + "\n");
    return;
  }
  const lines = [
    `model ${modelName}, ${seq} tokens padded: ${out.tokens?.join(" ")}`,
    `logits [${logits.map((v) => v.toFixed(4)).join(", ")}] → label ${label}${labelName === undefined ? "" : ` (${labelName})`}`,
    "",
    formatTable([["layer", "kept", "high", "low"], ...kept.map((t) => [String(t.layer), String(t.kept), String(t.high), String(t.low)])]),
    "",
    formatStages(sum),
    "",
    `inference ${out.ms.toFixed(0)} ms, ${(bytes / 2 ** 20).toFixed(1)} MiB, ${rounds} rounds (client view, set-up included in bytes)`,
    `estimated LAN ${(result.lanMs / 1000).toFixed(1)} s, WAN ${(result.wanMs / 1000).toFixed(1)} s`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

function portOption(v: string, field: string): number {
  const port = Number(v);
  if (v.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`--${field} must be an integer in [0, 65535], got "${v}"`);
  return port;
}

function hostPort(s: string): [string, number] {
  const i = s.lastIndexOf(":");
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`--connect must be HOST:PORT, got "${s}"`);
  return [s.slice(0, i), port];
}

async function loadFor<M extends { model: { config: { maxPositions: number } } }>(loading: Promise<M>, seq: number | undefined): Promise<M> {
  const m = await loading;
  if (seq !== undefined && seq > m.model.config.maxPositions) throw new RangeError(`--seq ${seq} exceeds the model's ${m.model.config.maxPositions} positions`);
  return m;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      text: { type: "string" },
      model: { type: "string" },
      seq: { type: "string" },
      he: { type: "string" },
      ot: { type: "string" },
      json: { type: "boolean", default: false },
      "no-prune": { type: "boolean", default: false },
      connect: { type: "string" },
      port: { type: "string" },
      "ws-port": { type: "string" },
      "ws-origin": { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      once: { type: "boolean", default: false },
      cache: { type: "string" },
      out: { type: "string" },
      sessions: { type: "string" },
      queue: { type: "string" },
      "handshake-timeout": { type: "string" },
      "idle-timeout": { type: "string" },
      log: { type: "string", default: "text" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const cmd = positionals[0];
  if (values.help || cmd === undefined) {
    process.stdout.write(USAGE + "\n");
    return;
  }
  const seq = positive(values.seq, "seq");
  const prune = !values["no-prune"];
  const he = values.he === undefined ? undefined : checkHeKind(values.he, "--he");
  const ot = values.ot === undefined ? undefined : checkOtChoice(values.ot, "--ot", SECURE_OTS);
  if (cmd === "infer") {
    if (values.text === undefined) throw new RangeError("infer needs --text");
    if (values.text.trim() === "") throw new RangeError("--text is empty: give the text to classify");
    const onPhase = (p: string) => process.stderr.write(`${p}…\n`);
    if (values.connect === undefined) {
      const { model, name } = await loadFor(resolveModel(values.model), seq);
      const { outcome, client, server } = await runLocal({ model, seq: seq ?? DEFAULT_SEQ, text: values.text, prune, he, ot, startThreads: nodeHeThreads, onLayer: progressBar, onPhase });
      report(outcome, client, values.json, name);
      client.close();
      server.close();
      return;
    }
    const [host, port] = hostPort(values.connect);
    // A client model of its own is checked against the text before connecting; without one, the server's is used.
    const own = values.model === undefined ? undefined : await loadFor(resolvePublicModel(values.model), seq);
    if (own && seq !== undefined) own.model.tokenizer.encode(values.text, seq);
    const store = directoryStore(values.cache ?? defaultCacheDir());
    const ch = await connect(host, port, { retryMs: 5000, timeoutMs: 600_000, onProgress: (e) => process.stderr.write(`${e.message}\n`) });
    try {
      const out = await runParty("client", ch, { model: own?.model, seq, text: values.text, prune, he, ot, store, onLayer: progressBar, onPhase });
      report(out, ch, values.json, own?.name ?? `the server's (${out.source})`);
    } finally {
      ch.close();
    }
    return;
  }
  if (cmd === "export-client") {
    if (values.out === undefined) throw new RangeError("export-client needs --out DIR");
    const { name, files } = await exportClient(values.model, values.out);
    process.stderr.write(`wrote the public part of ${name} to ${values.out}: ${files.join(", ")}\n`);
    return;
  }
  if (cmd === "serve") {
    if (values.port === undefined) throw new RangeError("serve needs --port");
    const port = portOption(values.port, "port");
    const wsPort = values["ws-port"] === undefined ? undefined : portOption(values["ws-port"], "ws-port");
    if (values["ws-origin"] !== undefined && wsPort === undefined) throw new RangeError("--ws-origin needs --ws-port");
    const origins = checkOrigins(values["ws-origin"]?.split(",").map((o) => o.trim()).filter((o) => o !== "") ?? [], "--ws-origin");
    const { model, name } = await loadFor(resolveModel(values.model), seq);
    if (values.log !== "text" && values.log !== "json") throw new RangeError(`--log must be text or json, got "${values.log}"`);
    const sessionSeq = seq ?? DEFAULT_SEQ;
    const options = {
      sessions: count(values.sessions, "sessions", 1),
      queue: count(values.queue, "queue", 0),
      handshakeTimeoutMs: seconds(values["handshake-timeout"], "handshake-timeout"),
      idleTimeoutMs: seconds(values["idle-timeout"], "idle-timeout") ?? idleTimeoutFor(model.config, sessionSeq),
      log: values.log,
      maxSessions: values.once ? 1 : undefined,
      signal: shutdownSignal((sig) => process.stderr.write(`${sig}: stopping…\n`)),
    } as const;
    const listener = await listen(port, values.host, { hold: true });
    const wsListener =
      wsPort === undefined
        ? undefined
        : await listenWs(wsPort, values.host, {
            hold: true,
            origins,
            log: (line) => process.stderr.write(`${values.log === "json" ? JSON.stringify({ event: "refused", reason: line }) : line}\n`),
          }).catch((e: unknown) => {
            listener.close();
            throw e;
          });
    process.stderr.write(`serving ${name} on ${listener.address}${wsListener ? ` and ${wsListener.address}` : ""}\n`);
    // One HE thread pool for every session, sized to the cores.
    const stopSharing = shareSimdThreads();
    try {
      const summary = await serveLoop(wsListener ? [listener, wsListener] : listener, options, async (ch, ctx) => {
        const out = await runParty("server", ch, { model, seq: sessionSeq, prune, he, ot, startThreads: nodeHeThreads, onPhase: ctx.phase });
        return { model: name, seq: out.seq, kept: out.kept.map((t) => t.kept) };
      });
      if (values.once && summary.ok === 0) process.exitCode = 1;
    } finally {
      await stopSharing();
    }
    return;
  }
  throw new RangeError(`unknown command "${cmd}"\n${USAGE}`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`cipherprune: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
