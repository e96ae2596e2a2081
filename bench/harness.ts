// Private BERT inference for the benchmarks: both parties in one process over the in-memory channel, one HE session
// for any number of runs, each run measured (time, bytes and rounds of the pair, the client's per-stage scopes).
import type { HeBackend, HeKind } from "../src/he/backend.js";
import { Party } from "../src/mpc/party.js";
import type { OtChoice } from "../src/ot/index.js";
import type { ScopeTraffic } from "../src/net/channel.js";
import { measurePair, memoryPair } from "../src/net/memory.js";
import type { BertConfig } from "../src/model/config.js";
import type { ClientData, LayerTokens } from "../src/model/forward.js";
import { privateInference, setupPrivate, type PrivateOptions } from "../src/model/private.js";
import type { FixedBert } from "../src/model/quantize.js";
import { RING } from "../src/model/quantize.js";
import { nodeHeThreads } from "../src/he/threads.js";

export const log = (m: string) => process.stderr.write(`${m}\n`);

/**
 * The benchmarks' input: [CLS] (101), then seeded word pieces up to `real` tokens, then padding ([PAD] = 0, masked
 * out), which every pruning drops first.
 */
export function benchInput(cfg: BertConfig, seq: number, real = seq, seed = 12345): { ids: Int32Array; mask: Uint8Array } {
  let state = seed >>> 0;
  const ids = Int32Array.from({ length: seq }, (_, i) => {
    state = (state * 1103515245 + 12345) >>> 0;
    return i === 0 ? 101 : i < real ? 1000 + (state % (cfg.vocabSize - 1000)) : 0;
  });
  return { ids, mask: Uint8Array.from({ length: seq }, (_, i) => (i < real ? 1 : 0)) };
}

export interface Session {
  readonly server: Party;
  readonly client: Party;
  /** The server's and the client's HE backend. */
  readonly he: [HeBackend, HeBackend];
  /** The sequence length the session was planned for. */
  readonly n: number;
  /** Runs `fn` and returns its result with the pair's traffic and the client's scopes during it. */
  measure<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number; bytes: number; rounds: number; scopes: ScopeTraffic[] }>;
  close(): Promise<void>;
}

export interface SessionOptions {
  kind: HeKind;
  /** HE threads of the server (0: its own thread). */
  threads: number;
  /** Plan the products of pruned passes too. */
  pruned?: boolean;
  /** The OT under the protocols (default DEFAULT_OT). */
  ot?: OtChoice;
}

/** Both parties, base OTs and HE keys for inferences on n tokens (set-up, not measured by `measure`). */
export async function openSession(cfg: BertConfig, n: number, opts: SessionOptions): Promise<Session> {
  const [a, b] = memoryPair({ timeoutMs: 3_600_000 });
  const [server, client] = await Promise.all([Party.create("server", a, { ot: opts.ot }), Party.create("client", b, { ot: opts.ot })]);
  const setup = { kind: opts.kind, pruned: opts.pruned };
  const he = await Promise.all([setupPrivate(server, cfg, n, RING, setup), setupPrivate(client, cfg, n, RING, setup)]);
  await he[0].startWorkers(opts.threads, nodeHeThreads);
  return {
    server,
    client,
    he,
    n,
    async measure(fn) {
      const before = new Map(b.scopes().map((s) => [s.name, s]));
      const { result, traffic, ms } = await measurePair(a, b, fn);
      return { result, ms, bytes: traffic.bytes, rounds: traffic.rounds, scopes: scopesSince(before, b.scopes()) };
    },
    async close() {
      for (const h of he) await h.close();
      a.close();
      b.close();
    },
  };
}

/** The scopes' counts since the snapshot `before` (scopes not used since are left out). */
function scopesSince(before: Map<string, ScopeTraffic>, now: ScopeTraffic[]): ScopeTraffic[] {
  const out: ScopeTraffic[] = [];
  for (const s of now) {
    const b = before.get(s.name);
    const d = b
      ? {
          name: s.name,
          bytesSent: s.bytesSent - b.bytesSent,
          bytesReceived: s.bytesReceived - b.bytesReceived,
          flightsSent: s.flightsSent - b.flightsSent,
          flightsReceived: s.flightsReceived - b.flightsReceived,
          messagesSent: s.messagesSent - b.messagesSent,
          messagesReceived: s.messagesReceived - b.messagesReceived,
          ms: s.ms - b.ms,
        }
      : s;
    if (d.messagesSent + d.messagesReceived > 0 || d.ms > 0) out.push(d);
  }
  return out;
}

export interface PrivateRun {
  /** The client's logits. */
  logits: Float64Array;
  /** Each layer's counts after its pruning. */
  tokens: LayerTokens[];
  ms: number;
  bytes: number;
  rounds: number;
  scopes: ScopeTraffic[];
}

/**
 * One private inference of n tokens on the session: the server passes `fixed` and its options, the client `data`
 * and its options (progress in the client's onLayer).
 */
export async function runPrivate(s: Session, cfg: BertConfig, n: number, fixed: FixedBert, data: ClientData, server: PrivateOptions, client: PrivateOptions): Promise<PrivateRun> {
  const tokens: LayerTokens[] = [];
  const onLayer: PrivateOptions["onLayer"] = (d, t, k) => {
    tokens.push(k);
    client.onLayer?.(d, t, k);
  };
  const { result, ...cost } = await s.measure(() =>
    Promise.all([
      privateInference(s.server, s.he[0], RING, cfg, n, { weights: fixed }, server),
      privateInference(s.client, s.he[1], RING, cfg, n, { data }, { ...client, onLayer }),
    ]),
  );
  return { logits: result[1]!, tokens, ...cost };
}

/** max |a_i − b_i|. */
export function maxAbsError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`maxAbsError: ${a.length} values against ${b.length}`);
  return Math.max(0, ...Array.from(a, (v, i) => Math.abs(v - b[i])));
}
