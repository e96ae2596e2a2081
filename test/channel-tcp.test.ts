import { afterEach, describe, expect, it } from "vitest";
import * as net from "node:net";
import { connect, listen, loopbackPair, type ConnectProgress } from "../src/net/tcp.js";
import { handshake } from "../src/net/handshake.js";
import { memoryPair } from "../src/net/memory.js";
import { AbortedByPeerError, ChannelClosedError, FrameError, ProtocolError, TagMismatchError, TimeoutError } from "../src/net/errors.js";
import { decodeFrame, encodeFrame, encodeQueuePosition, FrameKind, framePayload, FrameReader, frameTag, QUEUE_NOTICE, type Frame } from "../src/net/frame.js";
import type { Channel } from "../src/net/channel.js";
import { rejection, scriptedExchange } from "./channel-util.js";

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 255;
  return b;
}


const open: Channel[] = [];
afterEach(() => {
  for (const ch of open.splice(0)) ch.close();
});
async function pair(timeoutMs?: number): Promise<[Channel, Channel]> {
  const p = await loopbackPair(timeoutMs ? { timeoutMs } : {});
  open.push(...p);
  return p;
}


describe("TCP channel", () => {
  it("counts exactly what the in-memory pair counts", async () => {
    const [ms, mc] = memoryPair();
    const [ts, tc] = await pair();
    await scriptedExchange(ms, mc);
    await scriptedExchange(ts, tc);
    expect(ts.traffic).toEqual(ms.traffic);
    expect(tc.traffic).toEqual(mc.traffic);
    const strip = (ch: Channel) => ch.scopes().map(({ ms: _ms, ...rest }) => rest);
    expect(strip(ts)).toEqual(strip(ms));
    expect(strip(tc)).toEqual(strip(mc));
  });

  it("round-trips a 16 MiB payload intact and keeps order of many small messages", async () => {
    const [s, c] = await pair();
    const big = bytes(16 << 20, 3);
    s.send("big", big);
    const n = 2 ** 13 + 101;
    for (let i = 0; i < n; i++) c.send("m", Uint8Array.of(i & 255, i >> 8));
    const got = await c.recv("big");
    expect(got.byteOffset % 8).toBe(0);
    expect(Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.length), Buffer.from(big.buffer))).toBe(0);
    const order: number[] = [];
    for (let i = 0; i < n; i++) {
      const b = await s.recv("m");
      order.push(b[0] | (b[1] << 8));
    }
    expect(order).toEqual(Array.from({ length: n }, (_, i) => i));
  }, 20_000);

  it("abort reaches the peer with the sender's message", async () => {
    const [s, c] = await pair();
    const pending = c.recv("x");
    s.abort(new RangeError("ring.bits out of range"));
    const e = await rejection(pending);
    expect(e).toBeInstanceOf(AbortedByPeerError);
    expect((e as AbortedByPeerError).peerMessage).toBe("RangeError: ring.bits out of range");
    expect(await rejection(s.recv("y"))).toBeInstanceOf(RangeError);
  });

  it("a deadline fails here and aborts the stalled peer", async () => {
    const [s, c] = await pair();
    const e = await rejection(s.recv("slow", { timeoutMs: 50 }));
    expect(e).toBeInstanceOf(TimeoutError);
    const e2 = await rejection(c.recv("z"));
    expect(e2).toBeInstanceOf(AbortedByPeerError);
    expect(e2.message).toBe('the server aborted: TimeoutError: the client sent nothing for 50 ms (recv "slow")');
  });

  it("a deadline passing while the event loop is blocked still takes the frame that arrived meanwhile", async () => {
    const [s, c] = await pair();
    const pending = s.recv("x", { timeoutMs: 30 });
    c.send("x", bytes(8));
    await Promise.resolve(); // the send is flushed to the socket, not yet read by the other end
    const until = performance.now() + 150;
    while (performance.now() < until); // blocks timers and I/O alike
    expect(await pending).toEqual(bytes(8));
  });

  it("a wrong tag fails on both sides", async () => {
    const [s, c] = await pair();
    c.send("u", bytes(1));
    const e = await rejection(s.recv("v"));
    expect(e).toBeInstanceOf(TagMismatchError);
    expect((await rejection(c.recv("w"))).message).toContain('expected tag "v" but received "u" (frame seq 0)');
  });

  it("close on one side rejects receives on both; later sends throw", async () => {
    const [s, c] = await pair();
    const pending = c.recv("bye");
    s.send("bye", bytes(4));
    s.close();
    expect(await pending).toEqual(bytes(4));
    expect(await rejection(c.recv("more"))).toBeInstanceOf(ChannelClosedError);
    const [s2, c2] = await pair();
    const pending2 = c2.recv("never");
    s2.close();
    expect(await rejection(pending2)).toBeInstanceOf(ChannelClosedError);
    expect(() => s2.send("x", bytes(1))).toThrow(ChannelClosedError);
  });

  it("a connection lost without a close frame rejects pending receives", async () => {
    const listener = await listen(0);
    const raw = net.connect(listener.port, "127.0.0.1");
    const ch = await listener.accept();
    listener.close();
    const pending = ch.recv("data");
    raw.destroy();
    const e = await rejection(pending);
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toBe("the client closed the connection without closing the channel");
  });
});

/** A raw peer: writes bytes to a channel's socket and decodes what comes back. */
async function rawPeer() {
  const listener = await listen(0);
  const raw = net.connect(listener.port, "127.0.0.1");
  const ch = await listener.accept();
  listener.close();
  const frames: Frame[] = [];
  const reader = new FrameReader(1 << 20, (f) => frames.push(f));
  raw.on("data", (b: Buffer) => reader.push(b));
  const ended = new Promise<void>((r) => raw.on("close", () => r()));
  return { ch, raw, frames, ended };
}

describe("TCP faults from a raw peer", () => {
  it("reassembles frames split at every byte", async () => {
    const { ch, raw } = await rawPeer();
    const frames = [encodeFrame(FrameKind.Data, 0, new TextEncoder().encode("ab"), bytes(9)), encodeFrame(FrameKind.Data, 1, new Uint8Array(0), bytes(0))];
    const all = Buffer.concat(frames);
    for (let i = 0; i < all.length; i++) {
      raw.write(all.subarray(i, i + 1));
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(await ch.recv("ab")).toEqual(bytes(9));
    expect(await ch.recv("")).toEqual(bytes(0));
    raw.destroy();
  });

  it("a truncated frame gives a FrameError naming the length", async () => {
    const { ch, raw } = await rawPeer();
    const f = encodeFrame(FrameKind.Data, 0, new TextEncoder().encode("t"), bytes(100));
    const pending = ch.recv("t");
    raw.end(f.subarray(0, 50));
    const e = await rejection(pending);
    expect(e).toBeInstanceOf(FrameError);
    expect((e as FrameError).field).toBe("length");
    expect(e.message).toBe("truncated frame: stream ended after 50 of 111 bytes");
  });

  it("a corrupt frame fails the channel and the raw peer receives an abort naming the field", async () => {
    const { ch, raw, frames, ended } = await rawPeer();
    const f = encodeFrame(FrameKind.Data, 0, new TextEncoder().encode("t"), bytes(4));
    f[4] = 9;
    const pending = ch.recv("t");
    raw.write(f);
    const e = await rejection(pending);
    expect(e).toBeInstanceOf(FrameError);
    expect((e as FrameError).field).toBe("kind");
    await ended;
    expect(frames).toHaveLength(1);
    expect(frames[0].kind).toBe(FrameKind.Abort);
    expect(new TextDecoder().decode(framePayload(frames[0]))).toBe("FrameError: frame kind 9 is not one of data, handshake, abort, close, notice");
  });

  it("connect to a closed port fails with a ProtocolError", async () => {
    const listener = await listen(0);
    const port = listener.port;
    listener.close();
    const e = await rejection(connect("127.0.0.1", port));
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toBe(`no cipherprune server at 127.0.0.1:${port} (connection refused)`);
    await expect(connect("127.0.0.1", 70000)).rejects.toThrow(RangeError);
  });

  it("a closed channel drops a peer that keeps its side open", async () => {
    const listener = await listen(0);
    const raw = net.connect({ port: listener.port, host: "127.0.0.1", allowHalfOpen: true });
    const ch = await listener.accept();
    listener.close();
    const frames: Frame[] = [];
    const reader = new FrameReader(1 << 20, (f) => frames.push(f));
    raw.on("data", (b: Buffer) => reader.push(b));
    const closed = new Promise<void>((r) => raw.on("close", () => r()));
    raw.on("error", () => undefined);
    ch.close();
    await new Promise((r) => setTimeout(r, 2_500));
    expect(frames.map((f) => f.kind)).toEqual([FrameKind.Close]);
    // The channel's socket is gone: the kernel answers the raw peer's bytes with a reset, and its next write fails.
    const poke = setInterval(() => raw.write(new Uint8Array(16)), 100);
    await closed;
    clearInterval(poke);
  }, 10_000);

  it("connect with retryMs waits for a listener that starts later", async () => {
    const probe = await listen(0);
    const port = probe.port;
    probe.close();
    const client = connect("127.0.0.1", port, { retryMs: 5_000 });
    await new Promise((r) => setTimeout(r, 250));
    const listener = await listen(port);
    const [c, s] = await Promise.all([client, listener.accept()]);
    listener.close();
    open.push(c, s);
    c.send("hi", bytes(2));
    expect(await s.recv("hi")).toEqual(bytes(2));
    await expect(connect("127.0.0.1", port, { retryMs: -1 })).rejects.toThrow(RangeError);
  });

  it("the frames decode the same from the stream and whole", () => {
    const f = encodeFrame(FrameKind.Handshake, 7, new TextEncoder().encode("hs"), bytes(33));
    const whole = decodeFrame(f);
    const got: Frame[] = [];
    const r = new FrameReader(1 << 20, (x) => got.push(x));
    r.push(f.subarray(0, 11));
    r.push(f.subarray(11));
    r.finish();
    expect(got).toHaveLength(1);
    const { kind, seq, wireBytes } = got[0];
    expect({ kind, seq, wireBytes }).toEqual({ kind: whole.kind, seq: whole.seq, wireBytes: whole.wireBytes });
    expect(frameTag(got[0])).toEqual(frameTag(whole));
    expect(framePayload(got[0])).toEqual(framePayload(whole));
    expect(framePayload(got[0]).byteOffset % 8).toBe(0);
  });
});

const enc = new TextEncoder();
const helloFrame = (seq = 0) => encodeFrame(FrameKind.Handshake, seq, enc.encode("handshake"), enc.encode("{}"));

describe("TCP before the handshake", () => {
  it("listen and connect accept 64 KiB frames until the peer's hello, then the session's limit", async () => {
    const { ch, raw, frames, ended } = await rawPeer();
    const pending = ch.recv("big");
    raw.write(encodeFrame(FrameKind.Data, 0, enc.encode("big"), bytes(70_000)));
    const e = await rejection(pending);
    expect(e).toBeInstanceOf(FrameError);
    expect(e.message).toBe("frame length field 70009 exceeds the limit of 65536 bytes");
    await ended;
    expect(frames.map((f) => f.kind)).toEqual([FrameKind.Abort]);

    const listener = await listen(0);
    const [c, s] = await Promise.all([connect("127.0.0.1", listener.port), listener.accept()]);
    listener.close();
    open.push(c, s);
    await Promise.all([handshake(s, "server", { a: 1 }), handshake(c, "client", { a: 1 })]);
    c.send("big", bytes(1 << 20));
    s.send("big", bytes(1 << 20));
    expect((await s.recv("big")).length).toBe(1 << 20);
    expect((await c.recv("big")).length).toBe(1 << 20);
  });

  it("a client that reaches an HTTP server is told it may not be a cipherprune peer", async () => {
    const http = net.createServer((sock) => {
      sock.on("error", () => undefined);
      sock.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", () => r()));
    try {
      const ch = await connect("127.0.0.1", (http.address() as net.AddressInfo).port);
      const e = await rejection(handshake(ch, "client", { a: 1 }));
      expect(e).toBeInstanceOf(FrameError);
      expect(e.message).toBe('frame length field 1347703880 exceeds the limit of 65536 bytes (the stream starts with text "HTTP/1.1 4": not a cipherprune peer?)');
    } finally {
      http.close();
    }
  });

  it("a held connection is read up to its first frame, and the rest once admitted", async () => {
    const listener = await listen(0, "127.0.0.1", { hold: true });
    const raw = net.connect(listener.port, "127.0.0.1");
    const ch = await listener.accept();
    listener.close();
    open.push(ch);
    expect([listener.holds, ch.held]).toEqual([true, true]);
    raw.write(Buffer.concat([helloFrame(), encodeFrame(FrameKind.Data, 1, enc.encode("x"), bytes(3))]));
    expect(new TextDecoder().decode(await ch.recvHandshake())).toBe("{}");
    let got = false;
    const pending = ch.recv("x").then((b) => ((got = true), b));
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toBe(false);
    ch.admit();
    expect(await pending).toEqual(bytes(3));
    expect(ch.held).toBe(false);
    expect(ch.remote).toMatch(/^127\.0\.0\.1:\d+$/);
    raw.destroy();
  });

  it("connect reports retrying once, then ends with a clear error", async () => {
    const probe = await listen(0);
    const port = probe.port;
    probe.close();
    const events: ConnectProgress[] = [];
    const t0 = performance.now();
    const e = await rejection(connect("127.0.0.1", port, { retryMs: 400, onProgress: (ev) => events.push(ev) }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
    expect(e.message).toBe(`no cipherprune server at 127.0.0.1:${port} (connection refused for 400 ms)`);
    expect(events).toEqual([{ stage: "retrying", message: `connecting to 127.0.0.1:${port}… (retrying)` }]);
  });

  it("a hello that arrived while the event loop was blocked past the handshake deadline is still taken", async () => {
    const listener = await listen(0);
    const [c, s] = await Promise.all([connect("127.0.0.1", listener.port, { handshakeTimeoutMs: 50 }), listener.accept()]);
    listener.close();
    open.push(c, s);
    const client = handshake(c, "client", async (params) => ({ params }));
    const server = handshake(s, "server", { a: 1 });
    await Promise.resolve(); // the server's hello is written, not yet read by the client
    const until = performance.now() + 200;
    while (performance.now() < until); // blocks timers and I/O alike
    await Promise.all([client, server]);
  });

  it("a client gives up on a server that never sends its hello; queue notices keep it waiting and are reported", async () => {
    const silent = await listen(0);
    const c = await connect("127.0.0.1", silent.port, { handshakeTimeoutMs: 200 });
    const s = await silent.accept();
    open.push(c, s);
    const e = await rejection(handshake(c, "client", { a: 1 }));
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.message).toBe("the server sent no handshake within 200 ms (not a cipherprune server, or a stalled one?)");

    const events: ConnectProgress[] = [];
    const c2 = await connect("127.0.0.1", silent.port, { handshakeTimeoutMs: 200, onProgress: (ev) => events.push(ev) });
    const s2 = await silent.accept();
    silent.close();
    open.push(c2, s2);
    let position = 3;
    const tick = setInterval(() => s2.sendNotice(QUEUE_NOTICE, encodeQueuePosition(Math.max(1, position--))), 80);
    await new Promise((r) => setTimeout(r, 500));
    clearInterval(tick);
    await Promise.all([handshake(s2, "server", { a: 1 }), handshake(c2, "client", { a: 1 })]);
    expect(events.slice(0, 3).map((ev) => ev.stage === "queued" && ev.position)).toEqual([3, 2, 1]);
    expect(events[0].message).toBe(`the server at 127.0.0.1:${silent.port} is busy: waiting for a session, position 3 in its queue`);
  });
});
