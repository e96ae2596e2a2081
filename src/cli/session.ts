// One private inference over a channel, as either party: the handshake (ring, sequence length, the public model's
// file hashes, pruning mode, HE backend), the public model sent to a client that lacks it, base OTs, HE keys, the
// forward pass. Also both parties in one process over the in-memory channel.
// The client holds only the public model (config, vocabulary, embeddings); the thresholds stay with the server, which
// applies them to its share of the scores, so only the pruning mode is agreed.
// No Node-only imports (the server's HE threads come from the caller, Job.startThreads): web/infer.ts runs the client.
import { checkHeKind, DEFAULT_HE_KIND, type HeKind, type HeThreads } from "../he/backend.js";
import { Party, type Role } from "../mpc/party.js";
import { checkOtChoice, DEFAULT_OT, SECURE_OTS, type OtChoice } from "../ot/index.js";
import type { Channel } from "../net/channel.js";
import { ProtocolError } from "../net/errors.js";
import { handshake, type HandshakeParams } from "../net/handshake.js";
import { memoryPair } from "../net/memory.js";
import { publicPart, type Model, type PublicModel } from "../model/directory.js";
import { clientData, PRUNE_MODES, pruneModeOf, type LayerTokens, type PruneMode } from "../model/forward.js";
import { privateInference, setupPrivate } from "../model/private.js";
import { packFiles, PUBLIC_FILES, publicModelFromFiles, publicModelOf, unpackFiles, type PublicHashes } from "../model/public.js";
import { quantize, RING } from "../model/quantize.js";

/** Where a client keeps the public models it fetched, by the key of their hashes (`storeKey`). */
export interface PublicModelStore {
  load(key: string): Promise<Map<string, Uint8Array> | undefined>;
  save(key: string, files: Map<string, Uint8Array>): Promise<void>;
}

export interface Job {
  /** The server's model (every weight). A client's public model; a client without one gets the server's. */
  model?: Model | PublicModel;
  /** Padded sequence length (public). The server's default is DEFAULT_SEQ; a client without one takes the server's. */
  seq?: number;
  /** The client's text. */
  text?: string;
  onLayer?: (done: number, total: number) => void;
  onPhase?: (phase: string) => void;
  /**
   * false: no pruning. A server then prunes nothing; a client asks the server for an unpruned pass, which hides the
   * kept counts (and the rough input length they show) at the cost of the unpruned run. Otherwise the server prunes
   * when its model has thresholds, and a client follows the server's mode.
   */
  prune?: boolean;
  /** HE worker threads of the server (default 2 with `startThreads`, else 0: its products run in this thread). */
  heThreads?: number;
  /** Starts the server's HE threads (Node: nodeHeThreads, src/he/threads.ts); passed in so a page can run the client. */
  startThreads?: HeThreads;
  /** The HE backend (server default DEFAULT_HE_KIND); a client without one takes the server's. */
  he?: HeKind;
  /** The OT under the protocols (server default DEFAULT_OT); a client without one takes the server's. */
  ot?: OtChoice;
  /** A client's cache of fetched public models. */
  store?: PublicModelStore;
}

export interface Outcome {
  logits?: Float64Array;
  tokens?: string[];
  /** Tokens kept after each layer's pruning (public to both parties). */
  kept: LayerTokens[];
  /** Wall time of the inference after set-up (ms). */
  ms: number;
  /** The public model and sequence length the inference ran with, and where a client's model came from. */
  model: PublicModel;
  seq: number;
  source: "local" | "cached" | "fetched";
}

export const DEFAULT_SEQ = 64;
const MODEL_TAG = "model.public";

/** `fn(model)` computed once per model: serve runs every connection on the same one, and runLocal both parties. */
function perModel<M extends object, T>(fn: (m: M) => T): (m: M) => T {
  const done = new WeakMap<M, T>();
  return (m) => {
    if (!done.has(m)) done.set(m, fn(m));
    return done.get(m)!;
  };
}

const quantised = perModel((m: Model) => quantize(m.weights, RING));
const publicOf = perModel((m: PublicModel) => publicModelOf(m));
const packedOf = perModel((m: PublicModel) => packFiles(publicOf(m).files));

/** The cache key of a public model: its three file hashes in one. */
export function storeKey(h: PublicHashes): string {
  return PUBLIC_FILES.map(([, param]) => h[param].slice(0, 16)).join("-");
}

const isServerModel = (m: Model | PublicModel): m is Model => "layers" in m.weights;

function hashesFrom(params: HandshakeParams): PublicHashes {
  const out: Record<string, string> = {};
  for (const [, param] of PUBLIC_FILES) {
    const v = params[param];
    if (typeof v !== "string" || !/^[0-9a-f]{64}$/.test(v)) throw new ProtocolError(`handshake: the server's "${param}" is not a SHA-256 hash`);
    out[param] = v;
  }
  return out as PublicHashes;
}

/** What both parties agree on, for one side's choices. */
function sessionParams(hashes: PublicHashes, seq: number, prune: PruneMode, he: HeKind, ot: OtChoice): HandshakeParams {
  return { ...hashes, ring: RING.toString(), seq, prune, he, ot };
}

async function serverSide(ch: Channel, job: Job): Promise<{ model: Model; seq: number; prune: PruneMode; he: HeKind; ot: OtChoice }> {
  const model = job.model;
  if (model === undefined || !isServerModel(model)) throw new TypeError("runParty: the server needs its full model");
  const seq = job.seq ?? DEFAULT_SEQ;
  const prune = job.prune === false ? "off" : pruneModeOf(model.thresholds);
  const he = job.he ?? DEFAULT_HE_KIND;
  const ot = job.ot ?? DEFAULT_OT;
  const { peerInfo } = await handshake(ch, "server", sessionParams(publicOf(model).hashes, seq, prune, he, ot));
  if (peerInfo.fetch === true) {
    job.onPhase?.("sending the public model");
    ch.send(MODEL_TAG, packedOf(model));
  }
  // Both sides read the client's request from its hello, so they agree on the mode without another message.
  return { model, seq, prune: peerInfo.unpruned === true ? "off" : prune, he, ot };
}

async function clientSide(ch: Channel, job: Job): Promise<{ model: PublicModel; seq: number; prune: PruneMode; he: HeKind; ot: OtChoice; source: Outcome["source"] }> {
  let model = job.model;
  let source: Outcome["source"] = "local";
  let wanted: PublicHashes | undefined;
  const { params } = await handshake(ch, "client", async (peer) => {
    if (!model) {
      // Without a model of its own the client takes the server's: from its cache when every file there still has
      // the announced hash, else sent by the server after the handshake.
      wanted = hashesFrom(peer);
      const cached = await job.store?.load(storeKey(wanted));
      if (cached) {
        model = await publicModelFromFiles(cached, wanted, `cached model ${storeKey(wanted)}`).catch(() => undefined);
        if (model) source = "cached";
      }
    }
    // A fetched or cached model has the hashes just checked; only a model of the client's own is hashed here.
    const hashes = wanted ?? publicOf(model!).hashes;
    const info: HandshakeParams = { ...(model ? {} : { fetch: true }), ...(job.prune === false ? { unpruned: true } : {}) };
    return { params: sessionParams(hashes, job.seq ?? (peer.seq as number), peer.prune as PruneMode, job.he ?? (peer.he as HeKind), job.ot ?? (peer.ot as OtChoice)), info };
  });
  try {
    if (!model) {
      job.onPhase?.("receiving the public model");
      const files = unpackFiles(await ch.recv(MODEL_TAG), `the server's ${MODEL_TAG} message`);
      model = await publicModelFromFiles(files, wanted!, "the server's public model");
      source = "fetched";
      await job.store?.save(storeKey(wanted!), files);
    }
    const prune = params.prune as PruneMode;
    if (!PRUNE_MODES.includes(prune)) throw new ProtocolError(`handshake: the server's pruning mode ${JSON.stringify(prune)} is not one of ${PRUNE_MODES.join(", ")}`);
    return { model, seq: params.seq as number, prune: job.prune === false ? "off" : prune, he: checkHeKind(String(params.he), "the server's he"), ot: checkOtChoice(params.ot, "the server's ot", SECURE_OTS), source };
  } catch (e) {
    ch.abort(e as Error);
    throw e;
  }
}

/** Runs one side; the client passes `text`. */
export async function runParty(role: Role, ch: Channel, job: Job): Promise<Outcome> {
  job.onPhase?.("handshake");
  const side = role === "server" ? { ...(await serverSide(ch, job)), source: "local" as const } : await clientSide(ch, job);
  const { model, seq, prune, he: kind, ot } = side;
  if (!Number.isInteger(seq) || seq < 2 || seq > model.config.maxPositions) {
    const err = new RangeError(`sequence length ${seq} must be an integer in [2, ${model.config.maxPositions}] for this model`);
    ch.abort(err);
    throw err;
  }
  let enc;
  if (role === "client") {
    try {
      enc = model.tokenizer.encode(job.text ?? "", seq);
    } catch (e) {
      ch.abort(e as Error);
      throw e;
    }
  }
  job.onPhase?.("base OT");
  const p = await Party.create(role, ch, { ot });
  job.onPhase?.("HE keys");
  const he = await setupPrivate(p, model.config, seq, RING, { kind, pruned: prune !== "off" });
  try {
    if (role === "server") await he.startWorkers(job.heThreads ?? (job.startThreads ? 2 : 0), job.startThreads);
    job.onPhase?.("inference");
    const start = performance.now();
    const kept: LayerTokens[] = [];
    const onLayer = (done: number, total: number, t: LayerTokens) => {
      kept.push(t);
      if (role === "client") job.onLayer?.(done, total);
    };
    const logits = isServerModel(model)
      ? await privateInference(p, he, RING, model.config, seq, { weights: quantised(model) }, { onLayer, thresholds: prune === "off" ? undefined : model.thresholds })
      : await privateInference(p, he, RING, model.config, seq, { data: clientData(model.weights, enc!.ids, enc!.mask, RING) }, { onLayer, pruning: prune });
    return { logits, tokens: enc?.tokens, kept, ms: performance.now() - start, model, seq, source: side.source };
  } finally {
    await he.close();
  }
}

/** Both parties in this process (the client with the public part only); returns the client's outcome and both channel ends. */
export async function runLocal(job: Job & { model: Model }): Promise<{ outcome: Outcome; server: Channel; client: Channel }> {
  // Encode first so that bad input fails before any party starts.
  job.model.tokenizer.encode(job.text ?? "", job.seq ?? DEFAULT_SEQ);
  const [server, client] = memoryPair();
  const [, outcome] = await Promise.all([
    runParty("server", server, { ...job, onLayer: undefined, onPhase: undefined }),
    runParty("client", client, { ...job, model: publicPart(job.model) }),
  ]);
  return { outcome, server, client };
}
