// Runs both parties of a protocol in one process over an in-memory channel.
import { memoryPair } from "../src/net/memory.js";
import { Prg } from "../src/core/prg.js";
import { Party } from "../src/mpc/party.js";
import type { Channel } from "../src/net/channel.js";
import type { OtChoice } from "../src/ot/index.js";
import { testOt } from "./mpc-util.js";

export interface PairRun<S, C> {
  server: S;
  client: C;
  channels: [Channel, Channel];
}

/**
 * Sets up two parties (base OTs included) on `ot` (default: testOt()) and runs `fn` for each concurrently. Seeds make
 * runs reproducible.
 */
export async function withParties<T>(
  fn: (p: Party) => Promise<T>,
  seeds?: [number, number],
  ot: OtChoice = testOt(),
): Promise<PairRun<T, T>> {
  const [a, b] = memoryPair();
  const seed = (s: number) => Prg.fromSeed(new Uint8Array(16).fill(s));
  const [ps, pc] = await Promise.all([
    Party.create("server", a, seeds ? { prg: await seed(seeds[0]), ot } : { ot }),
    Party.create("client", b, seeds ? { prg: await seed(seeds[1]), ot } : { ot }),
  ]);
  const [server, client] = await Promise.all([fn(ps), fn(pc)]);
  return { server, client, channels: [a, b] };
}
