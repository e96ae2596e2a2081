// What the network transports share (TCP in tcp.ts, WebSocket in ws.ts): incoming bytes reassembled into frames
// whatever their split, small frames coalesced into one write, a server's wait for a connection's first frame and
// its holding of the connection unread until admitted, the client's connect notice and queue positions, and the
// small frame limit until the peer's hello. No Node-only imports: browsers use it through ws.ts.
import type { Role } from "./channel.js";
import { TickBatchedChannel, type ChannelOptions } from "./base.js";
import { peerName, ProtocolError } from "./errors.js";
import { decodeQueuePosition, DEFAULT_HANDSHAKE_MAX_FRAME_BYTES, DEFAULT_MAX_FRAME_BYTES, FrameReader, QUEUE_NOTICE } from "./frame.js";

// Frames up to this size are gathered into one buffer per write; larger ones are written as they are (no copy).
const COALESCE_FRAME_BYTES = 16 * 1024;
const COALESCE_BATCH_BYTES = 256 * 1024;

/** Hands `frames` to `write` in order: runs of small frames joined into one buffer, large frames on their own. */
export function coalesce(frames: Uint8Array[], write: (chunk: Uint8Array) => void): void {
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  const writeBatch = () => {
    if (batch.length === 1) write(batch[0]);
    else if (batch.length > 1) {
      const joined = new Uint8Array(batchBytes);
      let at = 0;
      for (const f of batch) {
        joined.set(f, at);
        at += f.length;
      }
      write(joined);
    }
    batch = [];
    batchBytes = 0;
  };
  for (const f of frames) {
    if (f.length > COALESCE_FRAME_BYTES) {
      writeBatch();
      write(f);
    } else {
      batch.push(f);
      batchBytes += f.length;
      if (batchBytes >= COALESCE_BATCH_BYTES) writeBatch();
    }
  }
  writeBatch();
}

/**
 * A channel over a network connection. Subclasses move bytes (`sendFrames`, `endTransport`, `pauseReading`,
 * `resumeReading`) and pass what arrives to `read` and the end of the stream to `streamEnded`.
 */
export abstract class StreamChannel extends TickBatchedChannel {
  /** The peer's address, "host:port" (for logs). */
  abstract readonly remote: string;
  /** Bytes read from the connection so far. */
  abstract readonly bytesRead: number;
  /**
   * Resolves when the peer's first frame has arrived; rejects with the channel's error if it ends first. A server
   * admits a connection only then: a health check or a port scan that connects and says nothing takes no session.
   */
  readonly firstFrame: Promise<void>;
  private settleFirstFrame: ((err?: Error) => void) | undefined;
  private readerFailed = false;
  private readonly reader: FrameReader;
  private isHeld: boolean;
  // Set once a held channel's first frame is in: what arrives from then on waits in `heldChunks` until admission.
  private stopped = false;
  private heldChunks: Uint8Array[] = [];

  constructor(
    opts: ChannelOptions,
    hold: boolean,
    private readonly onNotice?: (tag: string, payload: Uint8Array) => void,
  ) {
    super(opts);
    this.isHeld = hold;
    this.firstFrame = new Promise((resolve, reject) => {
      this.settleFirstFrame = (err) => {
        this.settleFirstFrame = undefined;
        if (err === undefined) resolve();
        else reject(err);
      };
    });
    this.firstFrame.catch(() => undefined); // a caller that never looks at it must not see an unhandled rejection
    this.reader = new FrameReader(
      () => this.maxFrameBytes,
      (f) => {
        this.receive(f);
        this.settleFirstFrame?.();
        if (!this.isHeld) return true;
        this.stopped = true;
        this.pauseReading();
        return false;
      },
    );
  }

  /** Stops the flow of incoming data (a held connection); some may still arrive, and is kept. */
  protected abstract pauseReading(): void;
  protected abstract resumeReading(): void;

  /** Whether the channel still waits for `admit` (a listener's `hold`): nothing is read beyond its first frame. */
  get held(): boolean {
    return this.isHeld;
  }

  /** Reads the held connection from here on. Does nothing on a channel that is not held. */
  admit(): void {
    if (!this.isHeld) return;
    this.isHeld = false;
    this.stopped = false;
    for (const chunk of this.heldChunks.splice(0)) this.read(chunk);
    this.resumeReading();
  }

  protected override notice(tag: string, payload: Uint8Array): void {
    this.onNotice?.(tag, payload);
  }

  /** Bytes from the peer, in order, split anywhere. */
  protected read(chunk: Uint8Array): void {
    if (this.readerFailed) return;
    if (this.stopped) {
      this.heldChunks.push(chunk);
      return;
    }
    try {
      const used = this.reader.push(chunk);
      if (used < chunk.length) this.heldChunks.push(chunk.subarray(used));
    } catch (err) {
      // The stream is out of step from here on: stop parsing, tell the peer.
      this.readerFailed = true;
      this.transportFailed(err as Error, true);
    }
  }

  /** The peer ended its side of the connection; `how` qualifies the message (a WebSocket close code). */
  protected streamEnded(how = ""): void {
    if (this.readerFailed) return;
    try {
      this.reader.finish();
    } catch (err) {
      this.transportFailed(err as Error, false);
      return;
    }
    this.transportFailed(new ProtocolError(`${peerName(this.peerRole)} closed the connection without closing the channel${how}`), false);
  }

  protected override shutdown(): void {
    this.settleFirstFrame?.(this.error ?? new ProtocolError("the channel closed before the peer's first frame"));
    super.shutdown();
  }
}

/** A source of server-side connections: TCP (tcp.ts `listen`) or WebSocket (ws-server.ts `listenWs`). */
export interface StreamListener<C extends StreamChannel = StreamChannel> {
  /** Whether connections are held until admitted (ListenOptions.hold). */
  readonly holds: boolean;
  /** Where it listens, for logs ("127.0.0.1:7000", "ws://127.0.0.1:7001"). */
  readonly address: string;
  /** The channel of the next incoming connection. */
  accept(): Promise<C>;
  /** Stops listening at once; accepted channels stay open. Pending accepts reject. */
  close(): void;
}

export interface ListenOptions extends ChannelOptions {
  /**
   * Holds each connection until its channel's `admit()`: reads its first frame (at most handshakeMaxFrameBytes) and
   * nothing more, so that a client waiting in a server's queue costs one small buffer and flow control stops its
   * sender. Without it, accepted channels read as usual.
   */
  hold?: boolean;
}

/** What `connect` is doing, for a progress line: retrying a refused connection, or waiting in the server's queue. */
export type ConnectProgress = { stage: "retrying"; message: string } | { stage: "queued"; position: number; message: string };

/**
 * How long a client waits for the server's hello (or a queue notice, which restarts the wait) unless told otherwise,
 * and for the connection itself: a server sends its hello at once, or a queue position every few seconds.
 */
export const DEFAULT_CONNECT_HANDSHAKE_TIMEOUT_MS = 30_000;

/** A client channel's notice handler: tells `onProgress` the queue positions the server at `where` sends. */
export function queueNotices(where: string, onProgress?: (e: ConnectProgress) => void): (tag: string, payload: Uint8Array) => void {
  return (tag, payload) => {
    const position = tag === QUEUE_NOTICE ? decodeQueuePosition(payload) : undefined;
    if (position !== undefined)
      onProgress?.({ stage: "queued", position, message: `the server at ${where} is busy: waiting for a session, position ${position} in its queue` });
  };
}

export function checkPort(port: unknown, field: string): number {
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535)
    throw new RangeError(`${field} must be an integer in [0, 65535], got ${String(port)}`);
  return port as number;
}

export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A network channel accepts only small frames until the peer's hello (the session's limit cannot be smaller). */
export function networkDefaults(opts: ChannelOptions, peer: Role): ChannelOptions {
  const max = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  return { peer, handshakeMaxFrameBytes: Math.min(DEFAULT_HANDSHAKE_MAX_FRAME_BYTES, max), ...definedOnly(opts) };
}

/** A client's channel options: the server's role, the small limit and the connect deadline until its hello. */
export function clientDefaults(opts: ChannelOptions): ChannelOptions {
  return networkDefaults({ handshakeTimeoutMs: DEFAULT_CONNECT_HANDSHAKE_TIMEOUT_MS, ...definedOnly(opts) }, "server");
}

/** A listener's accepted channels, handed to `accept` calls in arrival order. */
export class AcceptQueue<C> {
  private readonly ready: C[] = [];
  private readonly waiting: { resolve: (c: C) => void; reject: (e: Error) => void }[] = [];
  private closedWith: string | undefined;

  /** `where` names the listener in errors ("127.0.0.1:7000"), once it is bound. */
  constructor(private readonly whereNow: () => string) {}

  private get where(): string {
    return this.whereNow();
  }

  push(ch: C): void {
    const w = this.waiting.shift();
    if (w) w.resolve(ch);
    else this.ready.push(ch);
  }

  accept(): Promise<C> {
    const ch = this.ready.shift();
    if (ch !== undefined) return Promise.resolve(ch);
    if (this.closedWith !== undefined) return Promise.reject(new ProtocolError(`listener on ${this.where} is closed`));
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Rejects the pending accepts (the listener failed); later ones still wait. */
  fail(err: Error): void {
    for (const w of this.waiting.splice(0)) w.reject(new ProtocolError(`listener on ${this.where} failed: ${err.message}`));
  }

  /** Rejects pending and later accepts once the channels already accepted are handed out. */
  close(): void {
    this.closedWith = "closed";
    for (const w of this.waiting.splice(0)) w.reject(new ProtocolError(`listener on ${this.where} closed while accepting`));
  }
}
