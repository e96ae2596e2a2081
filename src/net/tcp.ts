// A channel over one TCP connection (Node only). Frames sent in one tick are coalesced into one write; incoming
// chunks are reassembled into frames whatever their split. The network faces strangers: until the peer's hello a
// frame may be 64 KiB at most, a client announces itself at once (a "connect" notice, frame.ts) and waits 30 s at
// most for the server's hello, and a server's listener can hold each connection unread after its first frame until
// it is admitted (serve.ts queues connections so).
import * as net from "node:net";
import type { Role } from "./channel.js";
import { checkChannelOptions, TickBatchedChannel, type ChannelOptions } from "./base.js";
import { formatMs, peerName, ProtocolError } from "./errors.js";
import { CONNECT_NOTICE, decodeQueuePosition, DEFAULT_HANDSHAKE_MAX_FRAME_BYTES, DEFAULT_MAX_FRAME_BYTES, FrameReader, QUEUE_NOTICE } from "./frame.js";

// Frames up to this size are gathered into one buffer per write; larger ones are written as they are (no copy).
const COALESCE_FRAME_BYTES = 16 * 1024;
const COALESCE_BATCH_BYTES = 256 * 1024;
const SHUTDOWN_GRACE_MS = 2_000;

/** A channel over one TCP connection; listeners hand them out (`accept`), `connect` opens one. */
export class TcpChannel extends TickBatchedChannel {
  /** The peer's address, "host:port" (for logs). */
  readonly remote: string;
  /**
   * Resolves when the peer's first frame has arrived; rejects with the channel's error if it ends first. A server
   * admits a connection only then: a health check or a port scan that connects and says nothing takes no session.
   */
  readonly firstFrame: Promise<void>;
  private settleFirstFrame: ((err?: Error) => void) | undefined;
  private readerFailed = false;
  private readonly reader: FrameReader;
  private isHeld: boolean;
  // Bytes that arrived after a held channel's first frame, in the same chunk; read on admission.
  private heldRest: Uint8Array | undefined;

  /** @internal listen and connect create them. */
  constructor(
    private readonly socket: net.Socket,
    opts: ChannelOptions,
    hold: boolean,
    private readonly onNotice?: (tag: string, payload: Uint8Array) => void,
  ) {
    super(opts);
    this.isHeld = hold;
    const addr = socket.remoteAddress ?? "?";
    this.remote = `${addr.includes(":") ? `[${addr}]` : addr}:${socket.remotePort ?? "?"}`;
    this.firstFrame = new Promise((resolve, reject) => {
      this.settleFirstFrame = (err) => {
        this.settleFirstFrame = undefined;
        if (err === undefined) resolve();
        else reject(err);
      };
    });
    this.firstFrame.catch(() => undefined); // a caller that never looks at it must not see an unhandled rejection
    socket.setNoDelay(true);
    this.reader = new FrameReader(
      () => this.maxFrameBytes,
      (f) => {
        this.receive(f);
        this.settleFirstFrame?.();
        if (!this.isHeld) return true;
        socket.pause();
        return false;
      },
    );
    socket.on("data", (chunk: Buffer) => this.read(chunk));
    socket.on("end", () => {
      if (this.readerFailed) return;
      try {
        this.reader.finish();
      } catch (err) {
        this.transportFailed(err as Error, false);
        return;
      }
      this.transportFailed(new ProtocolError(`${peerName(this.peerRole)} closed the connection without closing the channel`), false);
    });
    socket.on("error", (err) => this.transportFailed(new ProtocolError(`the connection to ${peerName(this.peerRole)} failed: ${err.message}`), false));
    socket.on("close", () => this.transportFailed(new ProtocolError(`the connection to ${peerName(this.peerRole)} was closed`), false));
  }

  /** Bytes read from the connection so far. */
  get bytesRead(): number {
    return this.socket.bytesRead;
  }

  /** Whether the channel still waits for `admit` (listen's `hold`): its socket is not read beyond the first frame. */
  get held(): boolean {
    return this.isHeld;
  }

  /** Reads the held connection from here on. Does nothing on a channel that is not held. */
  admit(): void {
    if (!this.isHeld) return;
    this.isHeld = false;
    const rest = this.heldRest;
    this.heldRest = undefined;
    if (rest !== undefined) this.read(rest);
    this.socket.resume();
  }

  protected override notice(tag: string, payload: Uint8Array): void {
    this.onNotice?.(tag, payload);
  }

  private read(chunk: Uint8Array): void {
    if (this.readerFailed) return;
    try {
      const used = this.reader.push(chunk);
      if (used < chunk.length) this.heldRest = chunk.subarray(used);
    } catch (err) {
      // The stream is out of step from here on: stop parsing, tell the peer.
      this.readerFailed = true;
      this.transportFailed(err as Error, true);
    }
  }

  protected override shutdown(): void {
    this.settleFirstFrame?.(this.error ?? new ProtocolError("the channel closed before the peer's first frame"));
    super.shutdown();
    // A peer that never ends its side would hold the connection (and the process) open; once everything we
    // wrote is flushed, it gets a grace period.
    this.socket.once("finish", () => setTimeout(() => this.socket.destroy(), SHUTDOWN_GRACE_MS).unref());
  }

  protected endTransport(): void {
    this.socket.end();
  }

  protected sendFrames(frames: Uint8Array[]): void {
    const s = this.socket;
    if (s.writable) {
      if (frames.length === 1) s.write(frames[0]);
      else {
        s.cork();
        let batch: Uint8Array[] = [];
        let batchBytes = 0;
        const writeBatch = () => {
          if (batch.length === 1) s.write(batch[0]);
          else if (batch.length > 1) s.write(Buffer.concat(batch, batchBytes));
          batch = [];
          batchBytes = 0;
        };
        for (const f of frames) {
          if (f.length > COALESCE_FRAME_BYTES) {
            writeBatch();
            s.write(f);
          } else {
            batch.push(f);
            batchBytes += f.length;
            if (batchBytes >= COALESCE_BATCH_BYTES) writeBatch();
          }
        }
        writeBatch();
        s.uncork();
      }
    }
  }
}

export type TcpOptions = ChannelOptions;

export interface ListenOptions extends TcpOptions {
  /**
   * Holds each connection until its channel's `admit()`: reads its first frame (at most handshakeMaxFrameBytes) and
   * nothing more, so that a client waiting in a server's queue costs one small buffer and TCP flow control stops
   * its sender. Without it, accepted channels read as usual.
   */
  hold?: boolean;
}

/** A listening socket; each accepted connection becomes its own channel. */
export interface TcpListener {
  readonly host: string;
  /** The bound port (the system's choice when listening on port 0). */
  readonly port: number;
  /** Whether connections are held until admitted (ListenOptions.hold). */
  readonly holds: boolean;
  /** The channel of the next incoming connection. */
  accept(): Promise<TcpChannel>;
  /** Stops listening at once; accepted channels stay open. Pending accepts reject. */
  close(): void;
}

function checkPort(port: unknown, field: string): number {
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535)
    throw new RangeError(`${field} must be an integer in [0, 65535], got ${String(port)}`);
  return port as number;
}

/** A network channel accepts only small frames until the peer's hello (the session's limit cannot be smaller). */
function networkDefaults(opts: TcpOptions, peer: Role): TcpOptions {
  const max = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  return { peer, handshakeMaxFrameBytes: Math.min(DEFAULT_HANDSHAKE_MAX_FRAME_BYTES, max), ...definedOnly(opts) };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Listens on host:port; the default host takes loopback connections only (pass "0.0.0.0" to serve a network).
 * Channels default to `peer: "client"` and a 64 KiB frame limit until the client's handshake frame.
 */
export async function listen(port: number, host = "127.0.0.1", opts: ListenOptions = {}): Promise<TcpListener> {
  checkPort(port, "port");
  if (typeof opts !== "object" || opts === null) throw new TypeError("listen options must be an object");
  const { hold = false, ...rest } = opts;
  if (typeof hold !== "boolean") throw new TypeError(`hold must be a boolean, got ${String(hold)}`);
  return openListener(port, host, networkDefaults(rest, "client"), hold);
}

async function openListener(port: number, host: string, channelOpts: TcpOptions, hold: boolean): Promise<TcpListener> {
  checkChannelOptions(channelOpts);
  const server = net.createServer();
  const ready: TcpChannel[] = [];
  const waiting: { resolve: (c: TcpChannel) => void; reject: (e: Error) => void }[] = [];
  let closed = false;
  server.on("connection", (socket) => {
    const ch = new TcpChannel(socket, channelOpts, hold);
    const w = waiting.shift();
    if (w) w.resolve(ch);
    else ready.push(ch);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(new ProtocolError(`cannot listen on ${host}:${port}: ${err.message}`)));
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as net.AddressInfo).port;
  server.on("error", (err) => {
    for (const w of waiting.splice(0)) w.reject(new ProtocolError(`listener on ${host}:${bound} failed: ${err.message}`));
  });
  return {
    host,
    port: bound,
    holds: hold,
    accept() {
      const ch = ready.shift();
      if (ch) return Promise.resolve(ch);
      if (closed) return Promise.reject(new ProtocolError(`listener on ${host}:${bound} is closed`));
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    close() {
      closed = true;
      for (const w of waiting.splice(0)) w.reject(new ProtocolError(`listener on ${host}:${bound} closed while accepting`));
      // server.close's callback waits for every accepted connection to end, so it is not awaited.
      server.close();
    },
  };
}

/** What `connect` is doing, for a progress line: retrying a refused connection, or waiting in the server's queue. */
export type ConnectProgress = { stage: "retrying"; message: string } | { stage: "queued"; position: number; message: string };

export interface ConnectOptions extends TcpOptions {
  /** Keeps retrying a refused connection for this many ms (a peer that is still starting); default 0. */
  retryMs?: number;
  /** Told when a refused connection is retried (once) and each time the server tells the queue position. */
  onProgress?: (event: ConnectProgress) => void;
}

const RETRY_INTERVAL_MS = 100;
/**
 * How long a client waits for the server's hello (or a queue notice, which restarts the wait) unless told otherwise,
 * and for the connection itself: a server sends its hello at once, or a queue position every few seconds.
 */
export const DEFAULT_CONNECT_HANDSHAKE_TIMEOUT_MS = 30_000;

function connectOnce(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${formatMs(timeoutMs)}`));
    }, timeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once("error", onError);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      resolve(socket);
    });
  });
}

/**
 * Connects to a listening server (one attempt, or retries while refused if `retryMs` is set). Channels default to
 * `peer: "server"`, a 64 KiB frame limit and a 30 s deadline until the server's handshake frame. The channel's first
 * frame is a "connect" notice (frame.ts), so the client's next frames are numbered from 1. A server that refuses the
 * session (busy, shutting down) makes the first receive reject with ServerBusyError.
 */
export async function connect(host: string, port: number, opts: ConnectOptions = {}): Promise<TcpChannel> {
  if (typeof host !== "string" || host === "") throw new TypeError("host must be a non-empty string");
  checkPort(port, "port");
  if (typeof opts !== "object" || opts === null) throw new TypeError("connect options must be an object");
  const { retryMs = 0, onProgress, ...rest } = opts;
  if (typeof retryMs !== "number" || !(retryMs >= 0) || !Number.isFinite(retryMs))
    throw new RangeError(`retryMs must be a finite number ≥ 0, got ${String(retryMs)}`);
  if (onProgress !== undefined && typeof onProgress !== "function") throw new TypeError("onProgress must be a function");
  const channelOpts = networkDefaults({ handshakeTimeoutMs: DEFAULT_CONNECT_HANDSHAKE_TIMEOUT_MS, ...definedOnly(rest) }, "server");
  const ch = await openConnection(host, port, channelOpts, retryMs, onProgress);
  ch.sendNotice(CONNECT_NOTICE, new Uint8Array(0));
  return ch;
}

async function openConnection(host: string, port: number, channelOpts: TcpOptions, retryMs: number, onProgress?: (e: ConnectProgress) => void): Promise<TcpChannel> {
  const o = checkChannelOptions(channelOpts);
  const where = `${host}:${port}`;
  const onNotice = (tag: string, payload: Uint8Array) => {
    const position = tag === QUEUE_NOTICE ? decodeQueuePosition(payload) : undefined;
    if (position !== undefined)
      onProgress?.({ stage: "queued", position, message: `the server at ${where} is busy: waiting for a session, position ${position} in its queue` });
  };
  const giveUp = performance.now() + retryMs;
  let retrying = false;
  for (;;) {
    let socket: net.Socket;
    try {
      socket = await connectOnce(host, port, o.handshakeTimeoutMs ?? o.timeoutMs);
    } catch (err) {
      const refused = (err as { code?: string }).code === "ECONNREFUSED";
      if (!refused) throw new ProtocolError(`cannot connect to ${where}: ${(err as Error).message}`);
      if (performance.now() + RETRY_INTERVAL_MS > giveUp)
        throw new ProtocolError(`no cipherprune server at ${where} (connection refused${retryMs > 0 ? ` for ${formatMs(retryMs)}` : ""})`);
      if (!retrying) onProgress?.({ stage: "retrying", message: `connecting to ${where}… (retrying)` });
      retrying = true;
      await new Promise((r) => setTimeout(r, RETRY_INTERVAL_MS));
      continue;
    }
    return new TcpChannel(socket, channelOpts, false, onNotice);
  }
}

/**
 * Both ends of a loopback TCP connection in this process: [server end, client end]. The two ends trust each other:
 * no separate limit or deadline before a handshake unless `opts` sets one.
 */
export async function loopbackPair(opts: TcpOptions = {}): Promise<[TcpChannel, TcpChannel]> {
  checkChannelOptions(opts);
  const listener = await openListener(0, "127.0.0.1", { peer: "client", ...definedOnly(opts) }, false);
  try {
    const [client, server] = await Promise.all([openConnection("127.0.0.1", listener.port, { peer: "server", ...definedOnly(opts) }, 0), listener.accept()]);
    return [server, client];
  } finally {
    listener.close();
  }
}
