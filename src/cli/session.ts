// One private inference over a channel, as either party: handshake (ring, sequence length, model hash, HE backend),
// base OTs, HE keys, the forward pass. Also both parties in one process over the in-memory channel.
import { DEFAULT_HE_KIND, type HeKind } from "../he/backend.js";
import { Party, type Role } from "../mpc/party.js";
import type { Channel } from "../net/channel.js";
import { handshake } from "../net/handshake.js";
import { memoryPair } from "../net/memory.js";
import type { Model } from "../model/directory.js";
import { clientData, type LayerTokens } from "../model/forward.js";
import { privateInference, setupPrivate } from "../model/private.js";
import { quantize, RING } from "../model/quantize.js";
import { publicHash, weightsHash } from "./model.js";

export interface Job {
  model: Model;
  /** Padded sequence length (public). */
  seq: number;
  /** The client's text. */
  text?: string;
  onLayer?: (done: number, total: number) => void;
  onPhase?: (phase: string) => void;
  /** Prune with the model's thresholds when it has them (default); both parties must agree (handshake). */
  prune?: boolean;
  /** HE worker threads of the server (0: its products run in this thread). */
  heThreads?: number;
  /** The HE backend (default DEFAULT_HE_KIND); both parties must pick the same (handshake). */
  he?: HeKind;
}

export interface Outcome {
  logits?: Float64Array;
  tokens?: string[];
  /** Tokens kept after each layer's pruning (public to both parties). */
  kept: LayerTokens[];
  /** Wall time of the inference after set-up (ms). */
  ms: number;
}

/** `fn(model)` computed once per model: serve runs every connection on the same one, and runLocal both parties. */
function perModel<T>(fn: (m: Model) => T): (m: Model) => T {
  const done = new WeakMap<Model, T>();
  return (m) => {
    if (!done.has(m)) done.set(m, fn(m));
    return done.get(m)!;
  };
}

const quantised = perModel((m) => quantize(m.weights, RING));
const publicHashOf = perModel((m) => publicHash(m, RING));
const weightsHashOf = perModel(weightsHash);

/** Runs one side; the client passes `text`. */
export async function runParty(role: Role, ch: Channel, job: Job): Promise<Outcome> {
  const { model, seq } = job;
  const enc = role === "client" ? model.tokenizer.encode(job.text ?? "", seq) : undefined;
  const weights = role === "server" ? quantised(model) : undefined;
  const thresholds = job.prune === false ? undefined : model.thresholds;
  const prune = thresholds ? JSON.stringify(thresholds) : "off";
  const kind = job.he ?? DEFAULT_HE_KIND;
  job.onPhase?.("handshake");
  await handshake(ch, role, { model: publicHashOf(model), ring: RING.toString(), seq, prune, he: kind }, { info: role === "server" ? { weights: weightsHashOf(model) } : {} });
  job.onPhase?.("base OT");
  const p = await Party.create(role, ch);
  job.onPhase?.("HE keys");
  const he = await setupPrivate(p, model.config, seq, RING, { kind, pruned: thresholds !== undefined });
  try {
    await he.startWorkers(job.heThreads ?? 2);
    job.onPhase?.("inference");
    const start = performance.now();
    const side = weights ? { weights } : { data: clientData(model.weights, enc!.ids, enc!.mask, RING) };
    const kept: LayerTokens[] = [];
    const onLayer = (done: number, total: number, t: LayerTokens) => {
      kept.push(t);
      if (role === "client") job.onLayer?.(done, total);
    };
    const logits = await privateInference(p, he, RING, model.config, seq, side, { onLayer, thresholds });
    return { logits, tokens: enc?.tokens, kept, ms: performance.now() - start };
  } finally {
    await he.close();
  }
}

/** Both parties in this process; returns the client's outcome and both channel ends. */
export async function runLocal(job: Job): Promise<{ outcome: Outcome; server: Channel; client: Channel }> {
  // Encode first so that bad input fails before any party starts.
  job.model.tokenizer.encode(job.text ?? "", job.seq);
  const [server, client] = memoryPair();
  const [, outcome] = await Promise.all([runParty("server", server, { ...job, onLayer: undefined, onPhase: undefined }), runParty("client", client, job)]);
  return { outcome, server, client };
}
