#!/usr/bin/env node
// cipherprune: private BERT inference from the command line.
//   cipherprune infer --text "..." [--model DIR|preset] [--seq N] [--he simd|seal] [--no-prune] [--json]   (both parties)
//   cipherprune serve [--model DIR|preset] --port P [--host H] [--seq N] [--he simd|seal] [--no-prune] [--once]
//   cipherprune infer --connect HOST:PORT --text "..." [--model DIR|preset] [--seq N] [--he simd|seal] [--no-prune]
//     [--json]
// A model with thresholds (thresholds.json) prunes tokens and reduces GELU's degree unless --no-prune is given.
// --he picks the HE backend of the linear layers (default simd); client and server must pick the same.
// Progress goes to stderr; errors print one line and set a non-zero exit code.
import { parseArgs } from "node:util";
import { checkHeKind, DEFAULT_HE_KIND } from "../he/backend.js";
import type { Channel } from "../net/channel.js";
import { estimateMs, LAN, WAN } from "../net/cost.js";
import { connect, listen } from "../net/tcp.js";
import { formatStages, formatTable, summarizeStages } from "../model/stages.js";
import { resolveModel } from "./model.js";
import { runLocal, runParty, type Job, type Outcome } from "./session.js";

const USAGE = `usage:
  cipherprune infer --text "..." [--model DIR|preset] [--seq N] [--he simd|seal] [--no-prune] [--json] [--connect HOST:PORT]
  cipherprune serve --port P [--model DIR|preset] [--host H] [--seq N] [--he simd|seal] [--no-prune] [--once]
  --he: HE backend of the linear layers (default ${DEFAULT_HE_KIND}); both parties must use the same`;

const DEFAULT_SEQ = 64;

function progressBar(done: number, total: number): void {
  const width = 20;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`layer ${done}/${total} [${"#".repeat(filled)}${"-".repeat(width - filled)}]\n`);
}

function positive(v: string | undefined, field: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`--${field} must be an integer ≥ 2, got "${v}"`);
  return n;
}

function report(out: Outcome, ch: Channel, json: boolean, modelName: string, seq: number, labelNames?: string[]): void {
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

function hostPort(s: string): [string, number] {
  const i = s.lastIndexOf(":");
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`--connect must be HOST:PORT, got "${s}"`);
  return [s.slice(0, i), port];
}

async function loadFor(spec: string | undefined, seq: number) {
  const m = await resolveModel(spec);
  if (seq > m.model.config.maxPositions) throw new RangeError(`--seq ${seq} exceeds the model's ${m.model.config.maxPositions} positions`);
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
      he: { type: "string", default: DEFAULT_HE_KIND },
      json: { type: "boolean", default: false },
      "no-prune": { type: "boolean", default: false },
      connect: { type: "string" },
      port: { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      once: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const cmd = positionals[0];
  if (values.help || cmd === undefined) {
    process.stdout.write(USAGE + "\n");
    return;
  }
  const seq = positive(values.seq, "seq", DEFAULT_SEQ);
  const prune = !values["no-prune"];
  const he = checkHeKind(values.he, "--he");
  if (cmd === "infer") {
    if (values.text === undefined) throw new RangeError("infer needs --text");
    const { model, name } = await loadFor(values.model, seq);
    const job: Job = { model, seq, text: values.text, prune, he, onLayer: progressBar, onPhase: (p) => process.stderr.write(`${p}…\n`) };
    if (values.connect === undefined) {
      const { outcome, client, server } = await runLocal(job);
      report(outcome, client, values.json, name, seq, model.config.labelNames);
      client.close();
      server.close();
      return;
    }
    model.tokenizer.encode(values.text, seq);
    const [host, port] = hostPort(values.connect);
    const ch = await connect(host, port, { retryMs: 5000, timeoutMs: 600_000 });
    try {
      report(await runParty("client", ch, job), ch, values.json, name, seq, model.config.labelNames);
    } finally {
      ch.close();
    }
    return;
  }
  if (cmd === "serve") {
    if (values.port === undefined) throw new RangeError("serve needs --port");
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`--port must be an integer in [0, 65535], got "${values.port}"`);
    const { model, name } = await loadFor(values.model, seq);
    const listener = await listen(port, values.host, { timeoutMs: 600_000 });
    process.stderr.write(`serving ${name} on ${listener.host}:${listener.port}\n`);
    for (;;) {
      const ch = await listener.accept();
      try {
        await runParty("server", ch, { model, seq, prune, he });
        process.stderr.write("inference done\n");
      } catch (e) {
        process.stderr.write(`cipherprune: client failed: ${(e as Error).message}\n`);
        if (values.once) process.exitCode = 1;
      } finally {
        ch.close();
      }
      if (values.once) break;
    }
    listener.close();
    return;
  }
  throw new RangeError(`unknown command "${cmd}"\n${USAGE}`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`cipherprune: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
