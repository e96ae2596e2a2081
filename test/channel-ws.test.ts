// The WebSocket channel between two Node ends (the ws package on both sides; the browser end is in
// browser-infer.test.ts): framing, byte counts equal to TCP's, abort, deadlines, size limits and the Origin allow-list.
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { serveLoop } from "../src/cli/serve.js";
import type { Channel } from "../src/net/channel.js";
import { AbortedByPeerError, FrameError, ProtocolError, TimeoutError } from "../src/net/errors.js";
import type { ConnectProgress } from "../src/net/stream.js";
import { connect, listen } from "../src/net/tcp.js";
import { connectWs, WS_MESSAGE_BYTES, type WebSocketClass } from "../src/net/ws.js";
import { listenWs, type WsListenOptions } from "../src/net/ws-server.js";
import { expectSameBytes, randomBytes } from "./bytes.js";
import { rejection, scriptedExchange } from "./channel-util.js";

const bytes = (n: number, seed = 1) => randomBytes(n, seed);


const open: Channel[] = [];
afterEach(() => {
  for (const ch of open.splice(0)) ch.close();
});

// Trusted ends, as loopbackPair: no small limit before a hello unless a test asks for one.
const TRUSTED = { handshakeMaxFrameBytes: 1 << 30 };

/** [server end, client end] of one WebSocket connection. */
async function wsPair(opts: WsListenOptions = TRUSTED, client: { WebSocket?: WebSocketClass; timeoutMs?: number } = {}): Promise<[Channel, Channel]> {
  const listener = await listenWs(0, "127.0.0.1", opts);
  try {
    const [c, s] = await Promise.all([connectWs(listener.url, { WebSocket, ...TRUSTED, ...client }), listener.accept()]);
    open.push(s, c);
    return [s, c];
  } finally {
    listener.close();
  }
}

/** The same over TCP, with listen and connect (both send and take a connect notice first, like WebSocket). */
async function tcpPair(): Promise<[Channel, Channel]> {
  const listener = await listen(0, "127.0.0.1", TRUSTED);
  try {
    const [c, s] = await Promise.all([connect("127.0.0.1", listener.port, TRUSTED), listener.accept()]);
    open.push(s, c);
    return [s, c];
  } finally {
    listener.close();
  }
}


const SIZES = [0, 1, 7, 100, 16 * 1024, 16 * 1024 + 1, 70_000, (1 << 20) + 3, 3 << 20];

describe("WebSocket channel", () => {
  it("carries messages of every size, empty and over 1 MiB, both ways and in order", async () => {
    const [s, c] = await wsPair();
    // Sent in one tick: small frames share WebSocket messages, large ones go alone.
    SIZES.forEach((n, i) => c.send(`m${i}`, bytes(n, i)));
    for (let i = 0; i < SIZES.length; i++) expectSameBytes(await s.recv(`m${i}`), bytes(SIZES[i], i));
    for (let i = 0; i < SIZES.length; i++) {
      s.send(`r${i}`, bytes(SIZES[i], 100 + i));
      expectSameBytes(await c.recv(`r${i}`), bytes(SIZES[i], 100 + i));
    }
  });

  it("counts exactly what TCP counts for the same traffic", async () => {
    const [ws, wc] = await wsPair();
    const [ts, tc] = await tcpPair();
    await scriptedExchange(ws, wc);
    await scriptedExchange(ts, tc);
    const counts = (ch: Channel) => ({ total: ch.traffic, scopes: ch.scopes().map(({ ms: _ms, ...t }) => t) });
    expect(counts(ws)).toEqual(counts(ts));
    expect(counts(wc)).toEqual(counts(tc));
    expect(wc.traffic.bytesSent).toBe(ws.traffic.bytesReceived);
    expect(ws.traffic.bytesSent).toBe(wc.traffic.bytesReceived);
  });

  it("passes an abort to the peer with its message", async () => {
    const [s, c] = await wsPair();
    const pending = s.recv("x");
    c.abort(new Error("the client gave up"));
    const err = await rejection(pending);
    expect(err).toBeInstanceOf(AbortedByPeerError);
    expect(err.message).toMatch(/the client gave up/);
  });

  it("fails a receive at its deadline when the peer never speaks, and tells the peer", async () => {
    const [s, c] = await wsPair();
    const silent = c.recv("never");
    const err = await rejection(s.recv("hello", { timeoutMs: 200 }));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toMatch(/hello/);
    expect(await rejection(silent)).toBeInstanceOf(AbortedByPeerError);
  });

  it("refuses a frame over the session's limit from its header, and a WebSocket message over its limit, naming them", async () => {
    const [s, c] = await wsPair({ maxFrameBytes: 1 << 20, handshakeMaxFrameBytes: 1 << 20 });
    // Frames travel cut into messages of WS_MESSAGE_BYTES: the frame limit is the channel's, checked at the header.
    const pending = s.recv("big");
    c.send("big", bytes(2 << 20));
    const err = await rejection(pending);
    expect(err).toBeInstanceOf(FrameError);
    expect(err.message).toMatch(/exceeds the limit of 1048576 bytes/);
    expect(await rejection(c.recv("reply"))).toBeInstanceOf(AbortedByPeerError);

    // A peer that sends one larger message is refused by the WebSocket layer before it is buffered.
    const listener = await listenWs(0, "127.0.0.1", TRUSTED);
    try {
      const raw = new WebSocket(listener.url);
      await new Promise((r) => raw.once("open", r));
      const server = await listener.accept();
      open.push(server);
      const waiting = server.recv("x");
      raw.send(new Uint8Array(WS_MESSAGE_BYTES + 1));
      const refused = await rejection(waiting);
      expect(refused).toBeInstanceOf(ProtocolError);
      expect(refused.message).toMatch(new RegExp(`a message exceeds the limit of ${WS_MESSAGE_BYTES} bytes`));
      raw.terminate();
    } finally {
      listener.close();
    }
  });

  it("refuses a frame over the limit before the hello (64 KiB) from its header", async () => {
    const [s, c] = await wsPair({});
    const pending = s.recv("big");
    c.send("big", bytes(100_000));
    const err = await rejection(pending);
    expect(err).toBeInstanceOf(FrameError);
    expect(err.message).toMatch(/exceeds the limit of 65536 bytes/);
    expect(await rejection(c.recv("reply"))).toBeInstanceOf(AbortedByPeerError);
  });

  it("lets in allowed origins and clients without one, and refuses other origins with a log line", async () => {
    const lines: string[] = [];
    const opts = { ...TRUSTED, origins: ["http://good.example:8080"], log: (l: string) => lines.push(l) };
    const from = (origin: string): WebSocketClass =>
      class extends WebSocket {
        constructor(url: string) {
          super(url, { origin });
        }
      };
    const [s, c] = await wsPair(opts, { WebSocket: from("http://good.example:8080") });
    c.send("x", bytes(5));
    expect(await s.recv("x")).toEqual(bytes(5));
    await wsPair(opts); // the ws package sends no Origin

    const listener = await listenWs(0, "127.0.0.1", opts);
    try {
      const err = await rejection(connectWs(listener.url, { WebSocket: from("http://evil.example") }));
      expect(err.message).toMatch(/cannot connect to ws:\/\/127\.0\.0\.1:\d+\/: Unexpected server response: 403/);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/refused a WebSocket connection from 127\.0\.0\.1:\d+: Origin http:\/\/evil\.example is not allowed/);
    } finally {
      listener.close();
    }
  });

  it("serve's loop takes TCP and WebSocket clients into the same sessions and queue", async () => {
    const tcp = await listen(0, "127.0.0.1", { hold: true });
    const ws = await listenWs(0, "127.0.0.1", { hold: true });
    const lines: string[] = [];
    const served = serveLoop([tcp, ws], { sessions: 1, queue: 1, maxSessions: 2, write: (l) => lines.push(l) }, async (ch) => {
      ch.send("hi", bytes(3));
      await ch.recv("bye");
    });
    const first = await connect("127.0.0.1", tcp.port);
    open.push(first);
    await first.recv("hi");
    let queued!: () => void;
    const wasQueued = new Promise<void>((r) => (queued = r));
    const events: ConnectProgress[] = [];
    const second = await connectWs(ws.url, { WebSocket, onProgress: (e) => (events.push(e), queued()) });
    open.push(second);
    await wasQueued;
    expect(events[0]).toMatchObject({ stage: "queued", position: 1 });
    first.send("bye", bytes(1));
    await second.recv("hi");
    second.send("bye", bytes(1));
    expect(await served).toMatchObject({ ok: 2, failed: 0, refused: 0 });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^serve: session 2 from 127\.0\.0\.1:\d+: ok in .* after .* in the queue/);
  });

  it("checks its arguments", async () => {
    await expect(connectWs("http://127.0.0.1:1", { WebSocket })).rejects.toThrow(/ws:\/\/ or wss:\/\//);
    await expect(listenWs(0, "127.0.0.1", { origins: ["example.org"] })).rejects.toThrow(/origins\[0\]/);
    await expect(connectWs("ws://127.0.0.1:1", { WebSocket })).rejects.toThrow(/cannot connect to ws:\/\/127\.0\.0\.1:1/);
  });
});
