// Helpers shared by the channel tests (memory, TCP, MessagePort, WebSocket).
import type { Channel } from "../src/net/channel.js";
import { randomBytes } from "./bytes.js";

/** The error `p` rejects with; fails the test when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

/**
 * A scripted exchange with scopes, a frame larger than 64 KiB and many small ones, both directions: run over two
 * transports, it must give the same counters.
 */
export async function scriptedExchange(s: Channel, c: Channel): Promise<void> {
  await Promise.all([
    (async () => {
      s.send("a", randomBytes(10, 1));
      await s.scope("p", async () => {
        s.send("b", randomBytes(70_000, 1));
        for (let i = 0; i < 50; i++) s.send("small", randomBytes(i, 1));
        await s.recv("c");
      });
    })(),
    (async () => {
      await c.recv("a");
      await c.scope("p", async () => {
        await c.recv("b");
        for (let i = 0; i < 50; i++) await c.recv("small");
        c.send("c", randomBytes(3, 1));
      });
    })(),
  ]);
}
