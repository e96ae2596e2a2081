import { describe, expect, it } from "vitest";
import { portChannel } from "../src/net/port.js";
import { memoryPair } from "../src/net/memory.js";
import { AbortedByPeerError, ChannelClosedError, ProtocolError, TagMismatchError, TimeoutError } from "../src/net/errors.js";
import type { Channel } from "../src/net/channel.js";
import type { ChannelOptions } from "../src/net/base.js";
import { rejection } from "./channel-util.js";

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 255;
  return b;
}

function pair(opts: ChannelOptions = {}): [Channel, Channel] {
  const { port1, port2 } = new MessageChannel();
  return [portChannel(port1, opts), portChannel(port2, opts)];
}


async function script(s: Channel, c: Channel) {
  await Promise.all([
    (async () => {
      s.send("a", bytes(10));
      await s.scope("p", async () => {
        s.send("big", bytes(5000));
        for (let i = 0; i < 40; i++) s.send("small", bytes(i));
        await s.recv("c");
      });
    })(),
    (async () => {
      await c.recv("a");
      await c.scope("p", async () => {
        expect(await c.recv("big")).toEqual(bytes(5000));
        const small: Uint8Array[] = [];
        for (let i = 0; i < 40; i++) small.push(await c.recv("small"));
        expect(small).toEqual(Array.from({ length: 40 }, (_, i) => bytes(i)));
        c.send("c", bytes(3));
      });
    })(),
  ]);
}

describe("MessagePort channel", () => {
  it("delivers in order and counts exactly what the in-memory pair counts", async () => {
    const [ms, mc] = memoryPair();
    const [ps, pc] = pair();
    await script(ms, mc);
    await script(ps, pc);
    expect(ps.traffic).toEqual(ms.traffic);
    expect(pc.traffic).toEqual(mc.traffic);
    ps.close();
  });

  it("round-trips a 16 MiB payload intact, aligned, with small frames around it", async () => {
    const [s, c] = pair();
    const big = bytes(16 << 20, 9);
    s.send("pre", bytes(3));
    s.send("big", big);
    s.send("post", bytes(5));
    expect(await c.recv("pre")).toEqual(bytes(3));
    const got = await c.recv("big");
    expect(got.byteOffset % 8).toBe(0);
    expect(Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.length), Buffer.from(big.buffer))).toBe(0);
    const post = await c.recv("post");
    expect(post).toEqual(bytes(5));
    expect(post.byteOffset % 8).toBe(0);
    s.close();
  }, 20_000);

  it("abort, wrong tag and deadline fail both sides", async () => {
    const [s, c] = pair();
    const pending = c.recv("x");
    s.abort(new Error("stop"));
    expect(await rejection(pending)).toBeInstanceOf(AbortedByPeerError);

    const [s2, c2] = pair();
    c2.send("u", bytes(1));
    expect(await rejection(s2.recv("v"))).toBeInstanceOf(TagMismatchError);
    expect((await rejection(c2.recv("w"))).message).toContain('expected tag "v" but received "u"');

    const [s3, c3] = pair();
    expect(await rejection(s3.recv("slow", { timeoutMs: 40 }))).toBeInstanceOf(TimeoutError);
    expect(await rejection(c3.recv("z"))).toBeInstanceOf(AbortedByPeerError);
  });

  it("close and a closed port reject pending receives", async () => {
    const [s, c] = pair();
    const pending = c.recv("never");
    s.close();
    expect(await rejection(pending)).toBeInstanceOf(ChannelClosedError);

    const { port1, port2 } = new MessageChannel();
    const ch = portChannel(port1);
    const p2 = ch.recv("never");
    port2.close();
    const e = await rejection(p2);
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toBe("the peer's port closed");
  });

  it("a message that is not a frame list fails the channel", async () => {
    const { port1, port2 } = new MessageChannel();
    const ch = portChannel(port1);
    const p = ch.recv("x");
    port2.postMessage("hello");
    expect((await rejection(p)).message).toBe("port message is not a list of frames");
    port2.close();
    expect(() => portChannel({} as never)).toThrow(TypeError);
  });
});
