// A channel over one TCP connection (Node only). Frames sent in one tick are coalesced into one write; incoming
// chunks are reassembled into frames whatever their split. The network faces strangers: until the peer's hello a
// frame may be 64 KiB at most, a client announces itself at once (a "connect" notice, frame.ts) and waits 30 s at
// most for the server's hello, and a server's listener can hold each connection unread after its first frame until
// it is admitted (serve.ts queues connections so). The parts shared with the WebSocket transport are in stream.ts.
import * as net from "node:net";
import { checkChannelOptions, type ChannelOptions } from "./base.js";
import { formatMs, peerName, ProtocolError } from "./errors.js";
import { CONNECT_NOTICE } from "./frame.js";
import {
  AcceptQueue,
  checkPort,
  clientDefaults,
  coalesce,
  definedOnly,
  networkDefaults,
  queueNotices,
  StreamChannel,
  type ConnectProgress,
  type ListenOptions,
  type StreamListener,
} from "./stream.js";

export type { ConnectProgress } from "./stream.js";

const SHUTDOWN_GRACE_MS = 2_000;

/** A channel over one TCP connection; listeners hand them out (`accept`), `connect` opens one. */
export class TcpChannel extends StreamChannel {
  readonly remote: string;

  /** @internal listen and connect create them. */
  constructor(
    private readonly socket: net.Socket,
    opts: ChannelOptions,
    hold: boolean,
    onNotice?: (tag: string, payload: Uint8Array) => void,
  ) {
    super(opts, hold, onNotice);
    const addr = socket.remoteAddress ?? "?";
    this.remote = `${addr.includes(":") ? `[${addr}]` : addr}:${socket.remotePort ?? "?"}`;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.read(chunk));
    socket.on("end", () => this.streamEnded());
    socket.on("error", (err) => this.transportFailed(new ProtocolError(`the connection to ${peerName(this.peerRole)} failed: ${err.message}`), false));
    socket.on("close", () => this.transportFailed(new ProtocolError(`the connection to ${peerName(this.peerRole)} was closed`), false));
  }

  get bytesRead(): number {
    return this.socket.bytesRead;
  }

  protected pauseReading(): void {
    this.socket.pause();
  }

  protected resumeReading(): void {
    this.socket.resume();
  }

  protected override shutdown(): void {
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
    if (!s.writable) return;
    if (frames.length === 1) s.write(frames[0]);
    else {
      s.cork();
      coalesce(frames, (chunk) => s.write(chunk));
      s.uncork();
    }
  }
}

export type TcpOptions = ChannelOptions;

/** A listening socket; each accepted connection becomes its own channel. */
export interface TcpListener extends StreamListener<TcpChannel> {
  readonly host: string;
  /** The bound port (the system's choice when listening on port 0). */
  readonly port: number;
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
  let address = `${host}:${port}`;
  const queue = new AcceptQueue<TcpChannel>(() => address);
  server.on("connection", (socket) => queue.push(new TcpChannel(socket, channelOpts, hold)));
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(new ProtocolError(`cannot listen on ${host}:${port}: ${err.message}`)));
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as net.AddressInfo).port;
  address = `${host}:${bound}`;
  server.on("error", (err) => queue.fail(err));
  return {
    host,
    port: bound,
    address,
    holds: hold,
    accept: () => queue.accept(),
    close() {
      queue.close();
      // server.close's callback waits for every accepted connection to end, so it is not awaited.
      server.close();
    },
  };
}

export interface ConnectOptions extends TcpOptions {
  /** Keeps retrying a refused connection for this many ms (a peer that is still starting); default 0. */
  retryMs?: number;
  /** Told when a refused connection is retried (once) and each time the server tells the queue position. */
  onProgress?: (event: ConnectProgress) => void;
}

const RETRY_INTERVAL_MS = 100;

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
  const channelOpts = clientDefaults(rest);
  const ch = await openConnection(host, port, channelOpts, retryMs, onProgress);
  ch.sendNotice(CONNECT_NOTICE, new Uint8Array(0));
  return ch;
}

async function openConnection(host: string, port: number, channelOpts: TcpOptions, retryMs: number, onProgress?: (e: ConnectProgress) => void): Promise<TcpChannel> {
  const o = checkChannelOptions(channelOpts);
  const where = `${host}:${port}`;
  const onNotice = queueNotices(where, onProgress);
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
