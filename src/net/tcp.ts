// A channel over one TCP connection (Node only). Frames sent in one tick are coalesced into one write; incoming
// chunks are reassembled into frames whatever their split.
import * as net from "node:net";
import type { Channel } from "./channel.js";
import { checkChannelOptions, DEFAULT_TIMEOUT_MS, TickBatchedChannel, type ChannelOptions } from "./base.js";
import { ProtocolError } from "./errors.js";
import { FrameReader } from "./frame.js";

// Frames up to this size are gathered into one buffer per write; larger ones are written as they are (no copy).
const COALESCE_FRAME_BYTES = 16 * 1024;
const COALESCE_BATCH_BYTES = 256 * 1024;
const SHUTDOWN_GRACE_MS = 2_000;

class TcpChannel extends TickBatchedChannel {
  private readerFailed = false;

  constructor(
    private readonly socket: net.Socket,
    opts: ChannelOptions,
  ) {
    super(opts);
    socket.setNoDelay(true);
    const reader = new FrameReader(this.maxFrameBytes, (f) => this.receive(f));
    socket.on("data", (chunk: Buffer) => {
      if (this.readerFailed) return;
      try {
        reader.push(chunk);
      } catch (err) {
        // The stream is out of step from here on: stop parsing, tell the peer.
        this.readerFailed = true;
        this.transportFailed(err as Error, true);
      }
    });
    socket.on("end", () => {
      if (this.readerFailed) return;
      try {
        reader.finish();
      } catch (err) {
        this.transportFailed(err as Error, false);
        return;
      }
      this.transportFailed(new ProtocolError("the peer closed the connection without closing the channel"), false);
    });
    socket.on("error", (err) => this.transportFailed(new ProtocolError(`connection error: ${err.message}`), false));
    socket.on("close", () => this.transportFailed(new ProtocolError("the connection was closed"), false));
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

/** A listening socket; each accepted connection becomes its own channel. */
export interface TcpListener {
  readonly host: string;
  /** The bound port (the system's choice when listening on port 0). */
  readonly port: number;
  /** The channel of the next incoming connection. */
  accept(): Promise<Channel>;
  /** Stops listening at once; accepted channels stay open. Pending accepts reject. */
  close(): void;
}

function checkPort(port: unknown, field: string): number {
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535)
    throw new RangeError(`${field} must be an integer in [0, 65535], got ${String(port)}`);
  return port as number;
}

/** Listens on host:port; the default host takes loopback connections only (pass "0.0.0.0" to serve a network). */
export async function listen(port: number, host = "127.0.0.1", opts: TcpOptions = {}): Promise<TcpListener> {
  checkPort(port, "port");
  checkChannelOptions(opts);
  const server = net.createServer();
  const ready: Channel[] = [];
  const waiting: { resolve: (c: Channel) => void; reject: (e: Error) => void }[] = [];
  let closed = false;
  server.on("connection", (socket) => {
    const ch = new TcpChannel(socket, opts);
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

export interface ConnectOptions extends TcpOptions {
  /** Keeps retrying a refused connection for this many ms (a peer that is still starting); default 0. */
  retryMs?: number;
}

const RETRY_INTERVAL_MS = 100;

function connectOnce(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
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

/** Connects to a listening peer (one attempt, or retries while refused if `retryMs` is set). */
export async function connect(host: string, port: number, opts: ConnectOptions = {}): Promise<Channel> {
  if (typeof host !== "string" || host === "") throw new TypeError("host must be a non-empty string");
  checkPort(port, "port");
  const { retryMs = 0, ...channelOpts } = opts;
  if (typeof retryMs !== "number" || !(retryMs >= 0) || !Number.isFinite(retryMs))
    throw new RangeError(`retryMs must be a finite number ≥ 0, got ${String(retryMs)}`);
  checkChannelOptions(channelOpts);
  const giveUp = performance.now() + retryMs;
  for (;;) {
    try {
      return new TcpChannel(await connectOnce(host, port, channelOpts.timeoutMs ?? DEFAULT_TIMEOUT_MS), channelOpts);
    } catch (err) {
      const refused = (err as { code?: string }).code === "ECONNREFUSED";
      if (!refused || performance.now() + RETRY_INTERVAL_MS > giveUp)
        throw new ProtocolError(`cannot connect to ${host}:${port}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, RETRY_INTERVAL_MS));
    }
  }
}

/** Both ends of a loopback TCP connection in this process: [server end, client end]. */
export async function loopbackPair(opts: TcpOptions = {}): Promise<[Channel, Channel]> {
  const listener = await listen(0, "127.0.0.1", opts);
  try {
    const [client, server] = await Promise.all([connect("127.0.0.1", listener.port, opts), listener.accept()]);
    return [server, client];
  } finally {
    listener.close();
  }
}
