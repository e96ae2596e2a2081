// The serve loop on loopback, with a stand-in session (the real handshake, then a few echoed frames) instead of the
// model: idle, half-sent, oversized, killed and stalled clients against deadlines; concurrency, the queue, "busy"
// and shutdown. The killed client is a child process ended by its own pid; every server is stopped by its test.
// Last, sessions at once on the shared simd HE threads, which load from dist/: run `npm run build:ts` first.
import { spawn } from "node:child_process";
import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { defaultSessions, formatLogEntry, serveLoop, type RunSession, type ServeOptions, type ServeSummary } from "../src/cli/serve.js";
import { AbortedByPeerError, ServerBusyError } from "../src/net/errors.js";
import { encodeFrame, FrameKind, framePayload, FrameReader, type Frame } from "../src/net/frame.js";
import { handshake, paramsHash, PROTOCOL_VERSION } from "../src/net/handshake.js";
import { connect, listen, type ConnectProgress } from "../src/net/tcp.js";
import { Ring } from "../src/core/ring.js";
import type { HePlan } from "../src/he/backend.js";
import { SimdBackend } from "../src/he/simd/backend.js";
import { shareSimdThreads, sharingSimdThreads } from "../src/he/simd/pool.js";
import { productReference } from "./he-util.js";
import { makePair, open, randomRing } from "./mpc-util.js";
import { nodeHeThreads } from "../src/he/threads.js";

const PARAMS = { model: "echo", seq: 4 };
const ROUNDS = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const enc = new TextEncoder();

/** The stand-in session: handshake, then echo ROUNDS pings inside a scope named "echo". */
const echo: RunSession = async (ch, ctx) => {
  ctx.phase("handshake");
  await handshake(ch, "server", PARAMS);
  ctx.phase("echo");
  await ch.scope("echo", async () => {
    for (let i = 0; i < ROUNDS; i++) ch.send("pong", await ch.recv("ping"));
  });
  return { model: "echo", seq: ROUNDS, kept: [ROUNDS] };
};

interface Server {
  port: number;
  lines: string[];
  /** Resolves with the summary once the loop has stopped. */
  done: Promise<ServeSummary>;
  stop(): Promise<ServeSummary>;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function serve(opts: ServeOptions, run: RunSession = echo): Promise<Server> {
  const listener = await listen(0, "127.0.0.1", { hold: true });
  const lines: string[] = [];
  const ctl = new AbortController();
  const done = serveLoop(listener, { log: "json", write: (l) => lines.push(l), signal: ctl.signal, graceMs: 1_000, ...opts }, run);
  const s = {
    port: listener.port,
    lines,
    done,
    stop: () => {
      ctl.abort();
      return done;
    },
  };
  servers.push(s);
  return s;
}

const entries = (s: Server) => s.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === "session");

/** Waits until `pred` holds (polling), or fails after `ms`. */
async function until(pred: () => boolean, ms = 5_000, what = "condition"): Promise<void> {
  const end = performance.now() + ms;
  while (!pred()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * A client: handshake, then ROUNDS pings (pausing `pauseMs` before each); times of its first ping and last pong. Like
 * the real client, it sends its hello only after the server's (its parameters are the server's).
 */
async function client(port: number, pauseMs = 0, onProgress?: (e: ConnectProgress) => void): Promise<{ start: number; end: number }> {
  const ch = await connect("127.0.0.1", port, { onProgress });
  try {
    await handshake(ch, "client", async (params) => ({ params }));
    const start = performance.now();
    for (let i = 0; i < ROUNDS; i++) {
      if (pauseMs > 0) await sleep(pauseMs);
      ch.send("ping", Uint8Array.of(i));
      expect(await ch.recv("pong")).toEqual(Uint8Array.of(i));
    }
    return { start, end: performance.now() };
  } finally {
    ch.close();
  }
}

/** A raw TCP peer: what it receives, decoded, and when it is closed. */
function raw(port: number) {
  const socket = net.connect(port, "127.0.0.1");
  const frames: Frame[] = [];
  const reader = new FrameReader(1 << 20, (f) => frames.push(f));
  socket.on("data", (b: Buffer) => reader.push(b));
  socket.on("error", () => undefined);
  const closed = new Promise<number>((r) => socket.on("close", () => r(performance.now())));
  const aborts = () => frames.filter((f) => f.kind === FrameKind.Abort).map((f) => new TextDecoder().decode(framePayload(f)));
  return { socket, frames, closed, aborts };
}

/** A client's hello and first ping as raw frames (for a client in another process). */
function helloAndPing(): Uint8Array {
  const hello = { version: PROTOCOL_VERSION, role: "client", params: Object.entries(PARAMS).sort(), hash: paramsHash(PARAMS), info: [] };
  const tag = (t: string) => enc.encode(t);
  return Buffer.concat([encodeFrame(FrameKind.Handshake, 0, tag("handshake"), enc.encode(JSON.stringify(hello))), encodeFrame(FrameKind.Data, 1, tag("ping"), Uint8Array.of(0))]);
}

describe("serve loop", () => {
  it("closes an idle and a half-frame connection at the handshake deadline; they take no session from a client", async () => {
    const s = await serve({ sessions: 1, handshakeTimeoutMs: 600 });
    const t0 = performance.now();
    const idle = raw(s.port);
    const half = raw(s.port);
    half.socket.write(encodeFrame(FrameKind.Handshake, 0, enc.encode("handshake"), enc.encode("{}")).subarray(0, 7));
    await sleep(50);
    const served = await client(s.port);
    expect(served.end - t0).toBeLessThan(600);
    for (const c of [idle, half]) {
      const at = (await c.closed) - t0;
      expect(at).toBeGreaterThanOrEqual(550);
      expect(at).toBeLessThan(2_500);
      expect(c.aborts()).toEqual(["TimeoutError: the client sent no handshake within 600 ms"]);
    }
    await until(() => entries(s).length === 3, 2_000, "three log lines");
    expect(entries(s).map((e) => e.outcome)).toEqual(["ok", "dropped", "dropped"]);
    for (const e of entries(s).slice(1)) expect(e.error).toBe("the client sent no handshake within 600 ms");
    expect(entries(s)[0]).toMatchObject({ model: "echo", seq: ROUNDS, kept: [ROUNDS] });
  });

  it("counts a connection that closes without a byte as a probe, without a log line or a session", async () => {
    let sessions = 0;
    const s = await serve({ sessions: 1 }, (ch, ctx) => {
      sessions++;
      return echo(ch, ctx);
    });
    for (let i = 0; i < 3; i++) {
      const probe = raw(s.port);
      await new Promise<void>((r) => probe.socket.once("connect", () => r()));
      probe.socket.destroy();
    }
    await client(s.port);
    await sleep(50);
    expect(sessions).toBe(1);
    expect(await s.stop()).toEqual({ ok: 1, failed: 0, aborted: 0, refused: 0, dropped: 0, probes: 3 });
    expect(entries(s).map((e) => e.outcome)).toEqual(["ok"]);
  });

  it("refuses an oversized or non-cipherprune first frame from its header, without allocating it", async () => {
    const s = await serve({ sessions: 2 });
    const before = process.memoryUsage().arrayBuffers;
    const big = raw(s.port);
    const t0 = performance.now();
    // A header claiming a 512 MiB handshake frame, and a few bytes of it.
    const head = encodeFrame(FrameKind.Handshake, 0, enc.encode("handshake"), new Uint8Array(0));
    new DataView(head.buffer, head.byteOffset).setUint32(0, 512 << 20, true);
    big.socket.write(Buffer.concat([head, new Uint8Array(1000)]));
    expect((await big.closed) - t0).toBeLessThan(1_000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
    expect(big.aborts()).toEqual([`FrameError: frame length field ${512 << 20} exceeds the limit of 65536 bytes`]);

    const http = raw(s.port);
    http.socket.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    await http.closed;
    expect(http.aborts()[0]).toMatch(/^FrameError: frame length field \d+ exceeds the limit of 65536 bytes \(the stream starts with text "GET \/ HTTP": not a cipherprune peer\?\)$/);
    await until(() => entries(s).length === 2, 2_000, "two log lines");
    expect(entries(s).map((e) => e.outcome)).toEqual(["dropped", "dropped"]);
  });

  it("runs two clients at once with two sessions; with one session the second waits in the queue, hears its place, and is served", async () => {
    const two = await serve({ sessions: 2 });
    const [a, b] = await Promise.all([client(two.port, 60), client(two.port, 60)]);
    expect(a.start).toBeLessThan(b.end);
    expect(b.start).toBeLessThan(a.end);

    // The second client waits longer than the handshake deadline, silent (as the real client is until the server's
    // hello): the deadline covers its first frame, then its hello after admission, not its time in the queue.
    const one = await serve({ sessions: 1, queue: 2, handshakeTimeoutMs: 150 });
    const heard: number[] = [];
    const first = client(one.port, 60);
    await sleep(50);
    const second = client(one.port, 0, (e) => e.stage === "queued" && heard.push(e.position));
    const [x, y] = await Promise.all([first, second]);
    expect(y.start).toBeGreaterThanOrEqual(x.end - 5);
    expect(heard).toEqual([1]);
    await until(() => entries(one).length === 2, 2_000, "two log lines");
    expect(entries(one)[0].waitedMs).toBeUndefined();
    expect(entries(one)[1].waitedMs).toBeGreaterThan(100);
  });

  it("a client killed mid-session frees its slot and the next client is served", async () => {
    const s = await serve({ sessions: 1 });
    const script =
      "const s=require('net').connect(+process.argv[1],'127.0.0.1',()=>s.write(Buffer.from(process.argv[2],'hex')));" +
      "s.on('data',()=>process.stdout.write('x'));setInterval(()=>{},1e6)";
    const child = spawn(process.execPath, ["-e", script, String(s.port), Buffer.from(helloAndPing()).toString("hex")], { stdio: ["ignore", "pipe", "ignore"] });
    const exited = new Promise<void>((r) => child.on("exit", () => r()));
    try {
      // The first data the child gets is the server's hello: its session has started.
      await new Promise<void>((r) => child.stdout.once("data", () => r()));
      const next = client(s.port);
      await sleep(100);
      expect(entries(s)).toHaveLength(0);
      child.kill("SIGKILL");
      await next;
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    }
    await until(() => entries(s).length === 2, 2_000, "two log lines");
    const [killed, ok] = entries(s);
    expect(killed).toMatchObject({ outcome: "failed", phase: "echo" });
    expect(killed.error).toMatch(/^(the client closed the connection without closing the channel|the connection to the client failed: .*)$/);
    expect(ok.outcome).toBe("ok");
  });

  it("aborts a stalled client after the inactivity deadline while another client completes", async () => {
    const s = await serve({ sessions: 2, idleTimeoutMs: 400 });
    const stalled = await connect("127.0.0.1", s.port);
    await handshake(stalled, "client", PARAMS);
    const t0 = performance.now();
    const pending = stalled.recv("pong", { timeoutMs: 5_000 });
    await client(s.port);
    const e = await pending.then(
      () => undefined,
      (err: Error) => err,
    );
    expect(performance.now() - t0).toBeGreaterThanOrEqual(350);
    expect(e).toBeInstanceOf(AbortedByPeerError);
    expect(e!.message).toBe('the server aborted: TimeoutError: the client sent nothing for 400 ms during echo (recv "ping")');
    await until(() => entries(s).length === 2, 2_000, "two log lines");
    expect(entries(s).map((x) => x.outcome).sort()).toEqual(["failed", "ok"]);
    expect(entries(s).find((x) => x.outcome === "failed")).toMatchObject({ phase: "echo" });
  });

  it("refuses a client beyond the queue at once with ServerBusyError", async () => {
    const s = await serve({ sessions: 1, queue: 1 });
    const running = client(s.port, 100);
    await sleep(50);
    const queued = client(s.port);
    await sleep(50);
    const t0 = performance.now();
    const ch = await connect("127.0.0.1", s.port);
    const e = await handshake(ch, "client", PARAMS).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(performance.now() - t0).toBeLessThan(300);
    expect(e).toBeInstanceOf(ServerBusyError);
    expect(e!.message).toBe("server busy: 1 session running and 1 client waiting, the server's limits; try again later");
    await Promise.all([running, queued]);
    await until(() => entries(s).length === 3, 2_000, "three log lines");
    expect(entries(s).map((x) => x.outcome)).toEqual(["busy", "ok", "ok"]);
  });

  it("on the stop signal: no new connections, queued clients refused, running sessions finish, then it resolves", async () => {
    const s = await serve({ sessions: 1, queue: 1 });
    const running = client(s.port, 150);
    await sleep(100);
    const queued = client(s.port).then(
      () => undefined,
      (err: Error) => err,
    );
    await sleep(50);
    const summary = s.stop();
    expect(await queued).toBeInstanceOf(ServerBusyError);
    await expect(connect("127.0.0.1", s.port)).rejects.toThrow(`no cipherprune server at 127.0.0.1:${s.port} (connection refused)`);
    await running;
    expect(await summary).toEqual({ ok: 1, failed: 0, aborted: 0, refused: 1, dropped: 0, probes: 0 });
  });

  it("aborts sessions still running when the grace period ends", async () => {
    const s = await serve({ sessions: 1, graceMs: 300 });
    const stalled = await connect("127.0.0.1", s.port);
    await handshake(stalled, "client", PARAMS);
    const pending = stalled.recv("pong", { timeoutMs: 5_000 }).then(
      () => undefined,
      (err: Error) => err,
    );
    const t0 = performance.now();
    expect(await s.stop()).toEqual({ ok: 0, failed: 0, aborted: 1, refused: 0, dropped: 0, probes: 0 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    expect((await pending)?.message).toBe("the server aborted: ProtocolError: the server is shutting down");
    expect(s.lines.map((l) => JSON.parse(l).event)).toEqual(["stopping", "session"]);
    expect(entries(s)[0]).toMatchObject({ outcome: "aborted", phase: "echo" });
  });

  it("stops after maxSessions and resolves without a signal", async () => {
    const listener = await listen(0, "127.0.0.1", { hold: true });
    const done = serveLoop(listener, { maxSessions: 1, log: "none" }, echo);
    await client(listener.port);
    expect(await done).toEqual({ ok: 1, failed: 0, aborted: 0, refused: 0, dropped: 0, probes: 0 });
  });

  it("checks its inputs; default sessions follow cores and memory, at least 2", async () => {
    expect(defaultSessions(8, 64 * 2 ** 30)).toBe(8);
    expect(defaultSessions(8, 3 * 2 ** 30)).toBe(3);
    expect(defaultSessions(1, 64 * 2 ** 30)).toBe(2);
    const plain = await listen(0);
    try {
      expect(() => serveLoop(plain, {}, echo)).toThrow(/hold: true/);
    } finally {
      plain.close();
    }
    const held = await listen(0, "127.0.0.1", { hold: true });
    try {
      expect(() => serveLoop(held, { sessions: 0 }, echo)).toThrow("serve: sessions must be an integer ≥ 1, got 0");
      expect(() => serveLoop(held, { idleTimeoutMs: -1 }, echo)).toThrow(/idleTimeoutMs/);
      expect(() => serveLoop(held, { log: "xml" as "json" }, echo)).toThrow(/log must be/);
    } finally {
      held.close();
    }
    expect(formatLogEntry({ id: 3, peer: "127.0.0.1:9", outcome: "failed", ms: 120_000, phase: "inference", error: "the client sent nothing for 120 s" })).toBe(
      "serve: session 3 from 127.0.0.1:9: failed after 120 s during inference: the client sent nothing for 120 s",
    );
  });
});

describe("shared simd HE threads", () => {
  it("two sessions at once on one shared pool get exact products; the threads stop after the last one", async () => {
    const ring = new Ring(37, 12);
    const plan: HePlan = { n: 8, k: 40, m: 12, aBits: 37, wBits: 16 };
    const wRing = new Ring(plan.wBits);
    const release = shareSimdThreads(2);
    const pairs = await Promise.all([makePair(), makePair()]);
    const hes = await Promise.all(pairs.map((pair) => pair.both((p) => SimdBackend.setup(p))));
    try {
      await Promise.all(hes.map(([server]) => server.startWorkers(2, nodeHeThreads)));
      await Promise.all(
        pairs.map(async (pair, i) => {
          for (let round = 0; round < 2; round++) {
            const a = randomRing(plan.n * plan.k, ring);
            const w = BigInt64Array.from(randomRing(plan.k * plan.m, wRing), (v) => wRing.signed(v));
            const [ys, yc] = await pair.both((p) => (p.role === "server" ? hes[i][0].products(p, ring, [{ plan, w }]) : hes[i][1].products(p, ring, [{ plan, a }])));
            expect(open([ys[0], yc[0]], ring)).toEqual(productReference(ring, a, w, plan));
          }
        }),
      );
    } finally {
      for (const he of hes) for (const b of he) await b.close();
      await release();
    }
    expect(sharingSimdThreads()).toBe(false);
  }, 120_000);
});
