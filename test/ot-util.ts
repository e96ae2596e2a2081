// Two OT packs over one in-memory pair, seeded, with the receiving side's transcript recorded.
import { Prg } from "../src/core/prg.js";
import type { AesBackend } from "../src/core/aes.js";
import { memoryPair, measurePair, type PairTraffic } from "../src/net/memory.js";
import { OtPack, type OtChoice } from "../src/ot/index.js";
import { HEADER_BYTES, OT_TAG } from "../src/ot/order.js";
import type { Channel } from "../src/net/channel.js";
import { frameBytes } from "../src/net/frame.js";
import { recording, type Frame } from "./recording.js";

export interface Packs {
  server: OtPack;
  client: OtPack;
  channels: [Channel, Channel];
  /** Frames seen by the client end, when recorded. */
  clientLog: Frame[];
  measure<T>(fn: () => Promise<T>): Promise<{ result: T; traffic: PairTraffic }>;
}

/** Two packs after setup on `ot`; fixed seeds make both parties' randomness (base OTs included) reproducible. */
export async function makePacks(seeds: [number, number] = [11, 22], timeoutMs?: number, backend?: AesBackend, ot: OtChoice = "iknp"): Promise<Packs> {
  const [a, b] = memoryPair(timeoutMs === undefined ? {} : { timeoutMs });
  const clientLog: Frame[] = [];
  const seed = (s: number) => Prg.fromSeed(new Uint8Array(16).fill(s), { backend });
  const server = new OtPack(a, await seed(seeds[0]), "server", { ot });
  const client = new OtPack(recording(b, clientLog), await seed(seeds[1]), "client", { ot });
  await Promise.all([server.setup(), client.setup()]);
  clientLog.length = 0;
  return {
    server,
    client,
    channels: [a, b],
    clientLog,
    measure: async (fn) => {
      const { result, traffic } = await measurePair(a, b, fn);
      return { result, traffic };
    },
  };
}

/** Wire bytes of one data frame. */
export function frame(tag: string, payload: number): number {
  return frameBytes(new TextEncoder().encode(tag).length, payload);
}

/** Wire bytes of one OT frame after setup: the batch header, then `payload` bytes. */
export function otFrame(payload: number): number {
  return frame(OT_TAG, HEADER_BYTES + payload);
}

/** Deterministic test values from a seed (not security relevant). */
export async function seededBytes(n: number, s: number): Promise<Uint8Array> {
  return (await Prg.fromSeed(new Uint8Array(16).fill(s))).bytes(n);
}

/** n values mod 2^l, with the edge values 0, 1, 2^l − 1 and 2^(l−1) at the front. */
export async function values(n: number, l: number, s: number): Promise<BigUint64Array> {
  const v = new BigUint64Array((await seededBytes(8 * n, s)).buffer.slice(0, 8 * n));
  const mask = (1n << BigInt(l)) - 1n;
  for (let i = 0; i < n; i++) v[i] &= mask;
  const edges = [0n, 1n, mask, 1n << BigInt(l - 1)];
  for (let i = 0; i < Math.min(n, edges.length); i++) v[i] = edges[i];
  return v;
}
