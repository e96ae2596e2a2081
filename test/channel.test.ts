import { describe, expect, it } from "vitest";
import { memoryPair, measurePair, pairTraffic } from "../src/net/memory.js";
import { AbortedByPeerError, ChannelClosedError, FrameError, ServerBusyError, TagMismatchError, TimeoutError } from "../src/net/errors.js";
import {
  decodeFrame,
  decodeQueuePosition,
  encodeFrame,
  encodeQueuePosition,
  FIXED_HEADER_BYTES,
  frameBytes,
  FrameKind,
  FrameReader,
  framePayload,
  frameTag,
  type Frame,
} from "../src/net/frame.js";
import { handshake } from "../src/net/handshake.js";
import { estimateMs, WAN } from "../src/net/cost.js";
import type { Channel } from "../src/net/channel.js";
import type { BaseChannel } from "../src/net/base.js";
import { rejection } from "./channel-util.js";

// Wire size of a frame: fixed header + tag + payload (see frame.ts).
const wire = (tag: string, payload: number) => frameBytes(new TextEncoder().encode(tag).length, payload);

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 255;
  return b;
}


describe("memoryPair: delivery", () => {
  it("delivers payloads intact and in order, and the sender may reuse its buffer", async () => {
    const [s, c] = memoryPair();
    const buf = bytes(37);
    s.send("x", buf);
    const copy = buf.slice();
    buf.fill(0);
    s.send("y", new Uint8Array(0));
    expect(await c.recv("x")).toEqual(copy);
    expect((await c.recv("y")).length).toBe(0);
  });

  it("hands out payloads 8-byte aligned in their buffer, for zero-copy u64 views", async () => {
    const [s, c] = memoryPair();
    for (const tag of ["", "a", "abc", "longer-tag-name"]) {
      const v = new BigUint64Array([0n, 1n, (1n << 64n) - 1n, 1n << 63n]);
      s.send(tag, new Uint8Array(v.buffer));
      const got = await c.recv(tag);
      expect(got.byteOffset % 8).toBe(0);
      expect(new BigUint64Array(got.buffer, got.byteOffset, 4)).toEqual(v);
    }
  });

  it("keeps order over many small messages sent in both directions", async () => {
    const [s, c] = memoryPair();
    const n = 2 ** 12 + 101;
    for (let i = 0; i < n; i++) s.send("m", Uint8Array.of(i & 255, i >> 8));
    const echo = (async () => {
      for (let i = 0; i < n; i++) c.send("e", await c.recv("m"));
    })();
    const got: number[] = [];
    for (let i = 0; i < n; i++) {
      const b = await s.recv("e");
      got.push(b[0] | (b[1] << 8));
    }
    await echo;
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it("round-trips a 16 MiB payload intact", async () => {
    const [s, c] = memoryPair();
    const big = bytes(16 << 20, 7);
    s.send("big", big);
    const got = await c.recv("big");
    expect(got.length).toBe(big.length);
    expect(Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.length), Buffer.from(big.buffer))).toBe(0);
    expect(c.traffic.bytesReceived).toBe(wire("big", 16 << 20));
  }, 20_000);

  it("serves receives that were called before the frame arrived, in call order", async () => {
    const [s, c] = memoryPair();
    const p = Promise.all([c.recv("a"), c.recv("b")]);
    s.send("a", Uint8Array.of(1));
    s.send("b", Uint8Array.of(2));
    expect(await p).toEqual([Uint8Array.of(1), Uint8Array.of(2)]);
  });
});

describe("memoryPair: counters", () => {
  it("counts exact bytes, messages, flights and nested scopes for a scripted exchange", async () => {
    const [s, c] = memoryPair();
    const server = async () => {
      s.send("hello", bytes(5)); // flight 1
      await s.scope("mult", async () => {
        s.send("d", bytes(100)); // flight 1 of mult (the channel's flight 1 continues)
        await s.recv("e"); // received flight 1
        await s.scope("cot", async () => {
          s.send("u", bytes(16)); // new flight 2 (channel and mult); flight 1 of mult/cot
          s.send("v", bytes(16));
          await s.recv("w");
        });
      });
    };
    const client = async () => {
      await c.recv("hello");
      await c.scope("mult", async () => {
        await c.recv("d");
        c.send("e", bytes(3));
        await c.scope("cot", async () => {
          await c.recv("u");
          await c.recv("v");
          c.send("w", bytes(1000));
        });
      });
    };
    await Promise.all([server(), client()]);
    const st = s.traffic;
    expect(st).toEqual({
      bytesSent: wire("hello", 5) + wire("d", 100) + wire("u", 16) + wire("v", 16),
      bytesReceived: wire("e", 3) + wire("w", 1000),
      flightsSent: 2,
      flightsReceived: 2,
      messagesSent: 4,
      messagesReceived: 2,
    });
    expect(c.traffic).toEqual({
      bytesSent: st.bytesReceived,
      bytesReceived: st.bytesSent,
      flightsSent: 2,
      flightsReceived: 2,
      messagesSent: 2,
      messagesReceived: 4,
    });
    const sc = s.scopes();
    expect(sc.map((x) => x.name)).toEqual(["mult", "mult/cot"]);
    const { ms: _m, name: _n, ...mult } = sc[0];
    expect(mult).toEqual({
      bytesSent: wire("d", 100) + wire("u", 16) + wire("v", 16),
      bytesReceived: wire("e", 3) + wire("w", 1000),
      flightsSent: 2,
      flightsReceived: 2,
      messagesSent: 3,
      messagesReceived: 2,
    });
    const { ms: _m2, name: _n2, ...cot } = sc[1];
    expect(cot).toEqual({
      bytesSent: wire("u", 16) + wire("v", 16),
      bytesReceived: wire("w", 1000),
      flightsSent: 1,
      flightsReceived: 1,
      messagesSent: 2,
      messagesReceived: 1,
    });
    expect(sc[0].ms).toBeGreaterThanOrEqual(sc[1].ms);
    // The client's outer flight count: hello (recv), d (recv, same flight), e (send), u, v (recv), w (send).
    expect(c.scopes()[0].flightsReceived).toBe(2);
    expect(c.scopes()[0].flightsSent).toBe(2);

    expect(pairTraffic(s, c)).toEqual({
      bytes: st.bytesSent + st.bytesReceived,
      bytesServerToClient: st.bytesSent,
      bytesClientToServer: st.bytesReceived,
      messages: 6,
      rounds: 4,
    });
  });

  it("accumulates a scope entered several times, and the traffic snapshot does not change later", async () => {
    const [s, c] = memoryPair();
    const before = s.traffic;
    for (let i = 0; i < 3; i++) {
      await s.scope("open", async () => {
        s.send("r", bytes(8));
        await c.recv("r");
      });
    }
    expect(before.bytesSent).toBe(0);
    const [open] = s.scopes();
    expect(open.messagesSent).toBe(3);
    // Each entry starts a fresh direction, so each send opens a flight of the scope, while the channel saw one flight.
    expect(open.flightsSent).toBe(3);
    expect(s.traffic.flightsSent).toBe(1);
  });

  it("scopes that overlap in time leave no stale scope open afterwards", async () => {
    const [s, c] = memoryPair();
    let releaseA!: () => void;
    const a = s.scope("a", () => new Promise<void>((r) => (releaseA = r)));
    let releaseB!: () => void;
    const b = s.scope("b", () => new Promise<void>((r) => (releaseB = r)));
    releaseA();
    await a;
    releaseB();
    await b;
    s.send("after", bytes(1));
    await c.recv("after");
    expect(s.scopes().map((x) => [x.name, x.messagesSent])).toEqual([
      ["a", 0],
      ["a/b", 0],
    ]);
    expect(s.traffic.messagesSent).toBe(1);
  });

  it("measurePair counts rounds from a fresh start and both-at-once sends as two rounds", async () => {
    const [s, c] = memoryPair();
    s.send("pre", bytes(1));
    await c.recv("pre");
    const { traffic, result } = await measurePair(s, c, async () => {
      s.send("x", bytes(8));
      c.send("x", bytes(8));
      await Promise.all([s.recv("x"), c.recv("x")]);
      c.send("y", bytes(2));
      await s.recv("y");
      return 42;
    });
    expect(result).toBe(42);
    expect(traffic).toEqual({ bytes: 2 * wire("x", 8) + wire("y", 2), bytesServerToClient: wire("x", 8), bytesClientToServer: wire("x", 8) + wire("y", 2), messages: 3, rounds: 2 });
    // Over the whole transcript "pre" and the server's "x" form one flight.
    expect(pairTraffic(c, s)).toMatchObject({ messages: 4, rounds: 2 });
    expect(() => pairTraffic(s, s)).toThrow(TypeError);
    expect(() => pairTraffic(s, memoryPair()[1])).toThrow(TypeError);
  });

  it("rejects bad arguments with TypeError/RangeError", () => {
    const [s] = memoryPair();
    expect(() => s.send("t", [1, 2] as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => s.send("x".repeat(256), new Uint8Array(1))).toThrow(RangeError);
    expect(() => s.recv("t", { timeoutMs: -1 })).toThrow(RangeError);
    expect(() => memoryPair({ timeoutMs: 0 })).toThrow(RangeError);
    return expect(s.scope("a/b", async () => 1)).rejects.toThrow(TypeError);
  });
});

/** Both sides fail: `local` with the detected error, `remote` with the peer's abort carrying it. */
async function expectBothFail(local: Promise<unknown>, remote: Channel, type: new (...a: never[]) => Error, pattern: RegExp) {
  const e1 = await rejection(local);
  expect(e1).toBeInstanceOf(type);
  expect(e1.message).toMatch(pattern);
  const e2 = await rejection(remote.recv("anything"));
  expect(e2).toBeInstanceOf(AbortedByPeerError);
  expect((e2 as AbortedByPeerError).peerMessage).toContain(e1.message);
  return [e1, e2];
}

describe("memoryPair: faults", () => {
  it("abort rejects pending and future receives on both sides with the sender's message", async () => {
    const [s, c] = memoryPair();
    const pendingS = s.recv("a");
    const pendingC = c.recv("b");
    s.abort(new Error("weights file unreadable"));
    expect((await rejection(pendingS)).message).toBe("weights file unreadable");
    const e = await rejection(pendingC);
    expect(e).toBeInstanceOf(AbortedByPeerError);
    expect(e.message).toBe("peer aborted: Error: weights file unreadable");
    expect(await rejection(c.recv("c"))).toBe(e);
    expect(() => c.send("d", new Uint8Array(1))).toThrow(AbortedByPeerError);
    expect((s as BaseChannel).open).toBe(false);
  });

  it("a receive past its deadline fails with TimeoutError here and an abort at the stalled peer", async () => {
    const [s, c] = memoryPair({ timeoutMs: 5_000 });
    const t0 = performance.now();
    const [e] = await expectBothFail(s.recv("late", { timeoutMs: 60 }), c, TimeoutError, /^the peer sent nothing for 60 ms \(recv "late"\)$/);
    expect(e).toBeInstanceOf(TimeoutError);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
    expect(performance.now() - t0).toBeLessThan(3_000);
  });

  it("the channel default deadline applies without a per-call override", async () => {
    const [s, c] = memoryPair({ timeoutMs: 40 });
    await expectBothFail(s.recv("q"), c, TimeoutError, /for 40 ms/);
  });

  it("served receives do not time out later", async () => {
    const [s, c] = memoryPair({ timeoutMs: 30 });
    const p = s.recv("a");
    c.send("a", bytes(1));
    await p;
    await new Promise((r) => setTimeout(r, 60));
    c.send("b", bytes(1));
    expect(await s.recv("b")).toEqual(bytes(1));
  });

  it("a wrong tag names both tags and the sequence number, on both sides", async () => {
    const [s, c] = memoryPair();
    c.send("first", bytes(1));
    c.send("mult.u", bytes(4));
    await s.recv("first");
    const [e] = await expectBothFail(s.recv("mult.v"), c, TagMismatchError, /expected tag "mult.v" but received "mult.u" \(frame seq 1\)/);
    expect(e).toMatchObject({ expected: "mult.v", received: "mult.u", seq: 1 });
  });

  it("a truncated frame is a FrameError on the length at the receiver and an abort at the sender", async () => {
    const [s, c] = memoryPair({ tamper: (f, from) => (from === "client" ? f.subarray(0, f.length - 3) : f) });
    c.send("t", bytes(20));
    const [e] = await expectBothFail(s.recv("t"), c, FrameError, /truncated frame: length field says 31 bytes, got 28/);
    expect((e as FrameError).field).toBe("length");
  });

  it("corrupt kind, tag length and sequence fields each name the field", async () => {
    const cases: [number, number, string, RegExp][] = [
      [4, 7, "kind", /frame kind 7/],
      [9, 200, "tagLength", /tag length 200 exceeds/],
      [5, 3, "seq", /frame seq 3 where 0 was expected/],
      [3, 0x80, "length", /exceeds the limit/],
    ];
    for (const [at, value, field, pattern] of cases) {
      const [s, c] = memoryPair({ tamper: (f) => (f[4] === 0 ? Uint8Array.from(f, (b, i) => (i === at ? value : b)) : f) });
      c.send("tag", bytes(20));
      const [e] = await expectBothFail(s.recv("tag"), c, FrameError, pattern);
      expect((e as FrameError).field).toBe(field);
    }
  });

  it("close rejects pending receives on both sides, after frames sent before it are read", async () => {
    const [s, c] = memoryPair();
    c.send("last", bytes(2));
    c.close();
    expect(await s.recv("last")).toEqual(bytes(2));
    const e = await rejection(s.recv("never"));
    expect(e).toBeInstanceOf(ChannelClosedError);
    expect(e.message).toMatch(/peer closed/);
    expect(() => s.send("x", bytes(1))).toThrow(ChannelClosedError);
    expect(() => c.send("x", bytes(1))).toThrow(ChannelClosedError);
    expect(await rejection(c.recv("y"))).toBeInstanceOf(ChannelClosedError);

    const [s2, c2] = memoryPair();
    const pendingHere = s2.recv("a");
    const pendingThere = c2.recv("b");
    s2.close();
    expect(await rejection(pendingHere)).toBeInstanceOf(ChannelClosedError);
    expect(await rejection(pendingThere)).toBeInstanceOf(ChannelClosedError);
  });
});

describe("memoryPair: emulated link", () => {
  it("delays each flight by half the RTT, as the cost model charges", async () => {
    const link = { bitsPerSecond: 1e12, rttMs: 40 };
    const [s, c] = memoryPair({ link });
    const echo = (async () => {
      for (let i = 0; i < 3; i++) c.send("pong", await c.recv("ping"));
    })();
    const { ms, traffic } = await measurePair(s, c, async () => {
      for (let i = 0; i < 3; i++) {
        s.send("ping", bytes(8));
        await s.recv("pong");
      }
    });
    await echo;
    expect(traffic.rounds).toBe(6);
    const estimate = estimateMs({ name: "test", ...link }, { ms: 0, bytes: traffic.bytes, rounds: traffic.rounds });
    expect(estimate).toBeCloseTo(120, 3);
    expect(ms).toBeGreaterThanOrEqual(estimate - 3);
    expect(ms).toBeLessThan(estimate + 1_000);
  });

  it("serialises frames at the link's bandwidth and keeps their order", async () => {
    const [s, c] = memoryPair({ link: { bitsPerSecond: 80e6, rttMs: 0 } });
    const t0 = performance.now();
    s.send("a", bytes(500_000, 1));
    s.send("b", bytes(500_000, 2));
    const a = await c.recv("a");
    const tA = performance.now() - t0;
    const b = await c.recv("b");
    const tB = performance.now() - t0;
    expect(Buffer.from(a).equals(bytes(500_000, 1))).toBe(true);
    expect(Buffer.from(b).equals(bytes(500_000, 2))).toBe(true);
    // 500,011 bytes at 80 Mbit/s take 50 ms each.
    expect(tA).toBeGreaterThanOrEqual(48);
    expect(tB).toBeGreaterThanOrEqual(98);
  });

  it("uses WAN's figures and rejects a bad link", () => {
    expect(() => memoryPair({ link: WAN })).not.toThrow();
    expect(() => memoryPair({ link: { bitsPerSecond: 0, rttMs: 1 } })).toThrow(RangeError);
    expect(() => memoryPair({ link: { bitsPerSecond: 1e9, rttMs: -1 } })).toThrow(RangeError);
  });
});

/** A seeded linear congruential generator: each call gives an integer in [0, n). */
function lcg(seed: number): (n: number) => number {
  let x = seed;
  return (n) => ((x = (x * 1103515245 + 12345) >>> 0) >>> 8) % n;
}

describe("frames", () => {
  it("the stream reader recovers every frame whatever the chunking", () => {
    const rand = lcg(12345);
    const enc = new TextEncoder();
    const sent = Array.from({ length: 300 }, (_, i) =>
      encodeFrame(i % 7 === 0 ? FrameKind.Handshake : FrameKind.Data, i, enc.encode("t".repeat(rand(20))), bytes(rand(3000), i)),
    );
    const stream = new Uint8Array(sent.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of sent) {
      stream.set(f, at);
      at += f.length;
    }
    const got: Frame[] = [];
    const reader = new FrameReader(1 << 20, (f) => got.push(f));
    for (let i = 0; i < stream.length; ) {
      const n = 1 + rand(rand(2) ? 16 : 5000);
      reader.push(stream.subarray(i, i + n));
      i += n;
    }
    reader.finish();
    expect(got).toHaveLength(sent.length);
    got.forEach((f, i) => {
      const whole = decodeFrame(sent[i]);
      expect([f.kind, f.seq, f.wireBytes]).toEqual([whole.kind, whole.seq, whole.wireBytes]);
      expect(frameTag(f)).toEqual(frameTag(whole));
      expect(Buffer.from(framePayload(f)).equals(framePayload(whole))).toBe(true);
      expect(framePayload(f).byteOffset % 8).toBe(0);
    });
  });

  it("random bytes give frames or a FrameError, never another error", () => {
    const rand = lcg(777);
    const kinds = new Set<string>();
    for (let t = 0; t < 2000; t++) {
      const junk = Uint8Array.from({ length: 1 + rand(60) }, () => rand(256));
      // Small length fields make some inputs decodable; the rest must fail on a named field.
      if (rand(2) && junk.length > 4) {
        junk[1] = junk[2] = junk[3] = 0;
        junk[4] = rand(6);
      }
      for (const run of [() => decodeFrame(junk, 4096), () => new FrameReader(4096, () => undefined).push(junk)]) {
        try {
          run();
        } catch (e) {
          expect(e).toBeInstanceOf(FrameError);
          kinds.add((e as FrameError).field);
        }
      }
    }
    expect([...kinds].sort()).toEqual(["kind", "length", "tagLength"]);
  });

  it("encodes the header fields little-endian at fixed offsets", () => {
    const f = encodeFrame(FrameKind.Close, 0x01020304, new TextEncoder().encode("ab"), Uint8Array.of(9, 8, 7));
    expect([...f]).toEqual([0x0b, 0, 0, 0, FrameKind.Close, 4, 3, 2, 1, 2, 97, 98, 9, 8, 7]);
    expect(f.length).toBe(FIXED_HEADER_BYTES + 2 + 3);
    expect(() => new FrameReader(1 << 20, () => undefined).push(Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 0, 0))).toThrow(/below the minimum 6/);
    const r = new FrameReader(1 << 20, () => undefined);
    r.push(f.subarray(0, 7));
    expect(() => r.finish()).toThrow("truncated frame: stream ended after 7 of at least 10 bytes");
  });
});

describe("before the handshake", () => {
  it("frames over the handshake limit are refused until the peer's handshake frame, then the session's limit applies", async () => {
    const [s, c] = memoryPair({ handshakeMaxFrameBytes: 1024 });
    await Promise.all([handshake(s, "server", { a: 1 }), handshake(c, "client", { a: 1 })]);
    c.send("big", bytes(100_000));
    expect((await s.recv("big")).length).toBe(100_000);

    const [s2, c2] = memoryPair({ handshakeMaxFrameBytes: 1024 });
    c2.send("big", bytes(2000));
    await expectBothFail(s2.recv("big"), c2, FrameError, /^frame length field 2009 exceeds the limit of 1024 bytes$/);
    expect(() => memoryPair({ maxFrameBytes: 4096, handshakeMaxFrameBytes: 8192 })).toThrow("handshakeMaxFrameBytes must be an integer in [16, 4096], got 8192");
  });

  it("a header that reads as text says the peer may not speak cipherprune", () => {
    const http = new TextEncoder().encode("POST /api HTTP/1.1\r\n");
    for (const run of [() => decodeFrame(http, 65536), () => new FrameReader(65536, () => undefined).push(http)])
      expect(run).toThrow('frame length field 1414745936 exceeds the limit of 65536 bytes (the stream starts with text "POST /api ": not a cipherprune peer?)');
    // Under a large limit, "GET " passes the length check and fails on the kind byte, with the same hint.
    expect(() => decodeFrame(new TextEncoder().encode("GET / HTTP/1.1"), 1 << 30)).toThrow(/frame kind 47 .* \(the stream starts with text "GET \/ HTTP": not a cipherprune peer\?\)$/);
    const binary = encodeFrame(FrameKind.Data, 0, new Uint8Array(0), bytes(100));
    expect(() => decodeFrame(binary, 64)).toThrow(/^frame length field 106 exceeds the limit of 64 bytes$/);
  });

  it("the stream reader reads its limit at each header, and stops after a frame when told", () => {
    const frames = [0, 1, 2].map((i) => encodeFrame(i === 0 ? FrameKind.Handshake : FrameKind.Data, i, new Uint8Array(0), bytes(i === 0 ? 10 : 500)));
    const stream = Buffer.concat(frames);
    let limit = 100;
    const got: Frame[] = [];
    const r = new FrameReader(
      () => limit,
      (f) => {
        got.push(f);
        if (f.kind === FrameKind.Handshake) limit = 1000;
        return got.length < 2;
      },
    );
    expect(r.push(stream)).toBe(frames[0].length + frames[1].length);
    expect(r.push(stream.subarray(frames[0].length + frames[1].length))).toBe(frames[2].length);
    expect(got.map((f) => f.seq)).toEqual([0, 1, 2]);
    expect(() => new FrameReader(() => 100, () => undefined).push(frames[1])).toThrow(/exceeds the limit of 100 bytes/);
  });

  it("a handshake deadline fails the channel unless the peer's hello comes in time; notices restart it", async () => {
    const [s, c] = memoryPair();
    (c as BaseChannel).setDeadlines({ handshakeTimeoutMs: 150 });
    const t0 = performance.now();
    const e = await rejection((c as BaseChannel).recvHandshake({ timeoutMs: 5_000 }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.message).toBe("the peer sent no handshake within 150 ms");
    expect((await rejection(s.recv("x"))).message).toBe("peer aborted: TimeoutError: the peer sent no handshake within 150 ms");

    const [s2, c2] = memoryPair();
    (c2 as BaseChannel).setDeadlines({ handshakeTimeoutMs: 150 });
    const tick = setInterval(() => (s2 as BaseChannel).sendNotice("queue", encodeQueuePosition(1)), 50);
    await new Promise((r) => setTimeout(r, 400));
    clearInterval(tick);
    const [ok] = await Promise.all([handshake(c2, "client", { a: 1 }), handshake(s2, "server", { a: 1 })]);
    expect(ok.peerInfo).toEqual({});
    // Notices are not counted and never reach a receive.
    expect(c2.traffic.messagesReceived).toBe(1);
    expect(() => (c2 as BaseChannel).setDeadlines({ timeoutMs: -5 })).toThrow(RangeError);
  });

  it("an abort named ServerBusyError becomes a ServerBusyError with the server's message", async () => {
    const [s, c] = memoryPair();
    const pending = (c as BaseChannel).recvHandshake();
    s.abort(new ServerBusyError("server busy: 2 sessions running and 4 clients waiting, the server's limits; try again later"));
    const e = await rejection(pending);
    expect(e).toBeInstanceOf(ServerBusyError);
    expect(e).toBeInstanceOf(AbortedByPeerError);
    expect(e.message).toBe("server busy: 2 sessions running and 4 clients waiting, the server's limits; try again later");
    expect(decodeQueuePosition(encodeQueuePosition(3))).toBe(3);
    expect(decodeQueuePosition(new Uint8Array(3))).toBeUndefined();
  });
});
