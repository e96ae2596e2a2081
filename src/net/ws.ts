// A channel over one WebSocket: a browser's `WebSocket` or the `ws` package's (Node; ws-server.ts accepts them).
// The frames are a byte stream cut into WebSocket messages: stream.ts's coalescing joins small frames, and anything
// over WS_MESSAGE_BYTES is cut, so a receiver never buffers a larger message (before the peer's hello a stranger
// can make it hold no more, as on TCP). Incoming messages go through the same frame reader as TCP, so framing, seq
// and tag checks, deadlines, abort and close, and byte counts are those of every other transport. No Node-only
// imports: a page bundles it.
import { checkChannelOptions, type ChannelOptions } from "./base.js";
import { formatMs, peerName, ProtocolError } from "./errors.js";
import { CONNECT_NOTICE } from "./frame.js";
import { clientDefaults, coalesce, queueNotices, StreamChannel, type ConnectProgress } from "./stream.js";

/** The part of a WebSocket (DOM or the `ws` package) the channel uses. */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "message", listener: (ev: { data: unknown }) => void): void;
  addEventListener(type: "close", listener: (ev: { code: number; reason: string }) => void): void;
  addEventListener(type: "error", listener: (ev: { message?: string }) => void): void;
  addEventListener(type: "open", listener: () => void): void;
  /** Node's `ws` only: flow control for a held connection (browsers never hold one). */
  pause?(): void;
  resume?(): void;
}

/** A WebSocket class: `globalThis.WebSocket` in browsers (and Node ≥ 22), or `ws`'s. */
export type WebSocketClass = new (url: string) => SocketLike;

/** The largest WebSocket message a channel sends; a receiving server refuses larger ones (ws-server.ts). */
export const WS_MESSAGE_BYTES = 256 * 1024;
const OPEN = 1;
// WebSocket close codes: 1000 normal; 1009 a message over the receiver's size limit.
const CLOSE_NORMAL = 1000;
const CLOSE_TOO_BIG = 1009;

function closeDetail(code: number, reason: string): string {
  if (code === CLOSE_NORMAL) return "";
  if (code === CLOSE_TOO_BIG) return ` (WebSocket close 1009: a message was over the receiver's size limit${reason ? `: ${reason}` : ""})`;
  return ` (WebSocket close ${code}${reason ? `: ${reason}` : ""})`;
}

/** A channel over one WebSocket; `connectWs` opens one, ws-server.ts's listener hands them out. */
export class WsChannel extends StreamChannel {
  private received = 0;

  /**
   * @internal connectWs and listenWs create them. `maxMessageBytes` is the receiving WebSocket's own message limit,
   * named when it refuses a message.
   */
  constructor(
    private readonly socket: SocketLike,
    readonly remote: string,
    opts: ChannelOptions,
    hold: boolean,
    onNotice?: (tag: string, payload: Uint8Array) => void,
    maxMessageBytes?: number,
  ) {
    super(opts, hold, onNotice);
    if (hold && (typeof socket.pause !== "function" || typeof socket.resume !== "function"))
      throw new TypeError("WsChannel: holding a connection needs a socket with pause and resume (the ws package's)");
    socket.binaryType = "arraybuffer";
    socket.addEventListener("message", (ev) => {
      const data = ev.data;
      if (!(data instanceof ArrayBuffer)) {
        // Only binary messages carry frames; a text message means the other end is not a cipherprune peer.
        this.transportFailed(new ProtocolError(`${peerName(this.peerRole)} sent a text WebSocket message: not a cipherprune peer?`), true);
        return;
      }
      this.received += data.byteLength;
      this.read(new Uint8Array(data));
    });
    socket.addEventListener("close", (ev) => this.streamEnded(closeDetail(ev.code, ev.reason)));
    socket.addEventListener("error", (ev) => {
      const msg = ev.message ?? "";
      const tooBig = /max payload/i.test(msg) && maxMessageBytes !== undefined ? `: a message exceeds the limit of ${maxMessageBytes} bytes` : msg ? `: ${msg}` : "";
      this.transportFailed(new ProtocolError(`the WebSocket connection to ${peerName(this.peerRole)} failed${tooBig}`), false);
    });
  }

  get bytesRead(): number {
    return this.received;
  }

  protected pauseReading(): void {
    this.socket.pause?.();
  }

  protected resumeReading(): void {
    this.socket.resume?.();
  }

  protected endTransport(): void {
    this.socket.close(CLOSE_NORMAL);
  }

  protected sendFrames(frames: Uint8Array[]): void {
    const s = this.socket;
    if (s.readyState !== OPEN) return;
    try {
      coalesce(frames, (chunk) => {
        if (chunk.length <= WS_MESSAGE_BYTES) s.send(chunk);
        else for (let at = 0; at < chunk.length; at += WS_MESSAGE_BYTES) s.send(chunk.subarray(at, at + WS_MESSAGE_BYTES));
      });
    } catch (err) {
      this.transportFailed(new ProtocolError(`WebSocket send failed: ${(err as Error).message}`), false);
    }
  }
}

export interface WsConnectOptions extends ChannelOptions {
  /** The WebSocket class (default: globalThis.WebSocket); in Node before 22, `WebSocket` from the ws package. */
  WebSocket?: WebSocketClass;
  /** Told each time the server tells the queue position. */
  onProgress?: (event: ConnectProgress) => void;
}

function openSocket(Ws: WebSocketClass, url: string, timeoutMs: number): Promise<SocketLike> {
  return new Promise((resolve, reject) => {
    let socket: SocketLike;
    try {
      socket = new Ws(url);
    } catch (err) {
      reject(new ProtocolError(`cannot connect to ${url}: ${(err as Error).message}`));
      return;
    }
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err === undefined) resolve(socket);
      else {
        socket.close();
        reject(err);
      }
    };
    const timer = setTimeout(() => settle(new ProtocolError(`cannot connect to ${url}: no answer within ${formatMs(timeoutMs)}`)), timeoutMs);
    socket.binaryType = "arraybuffer";
    socket.addEventListener("open", () => settle());
    // Browsers give no reason (refused, wrong Origin, no server all look alike); the ws package does.
    socket.addEventListener("error", (ev) => settle(new ProtocolError(`cannot connect to ${url}${ev.message ? `: ${ev.message}` : " (no server there, or it refused this page's Origin)"}`)));
    socket.addEventListener("close", (ev) => settle(new ProtocolError(`cannot connect to ${url}: closed${closeDetail(ev.code, ev.reason)}`)));
  });
}

/**
 * Connects to a server's WebSocket port ("ws://host:port", or "wss://" behind TLS). Like tcp.ts's `connect`: channel
 * defaults `peer: "server"`, a 64 KiB frame limit and a 30 s deadline until the server's hello, and a "connect"
 * notice as the first frame; a server that refuses the session makes the first receive reject with ServerBusyError.
 */
export async function connectWs(url: string, opts: WsConnectOptions = {}): Promise<WsChannel> {
  if (typeof url !== "string" || !/^wss?:\/\/./.test(url)) throw new TypeError(`url must be a ws:// or wss:// address, got ${JSON.stringify(url)}`);
  if (typeof opts !== "object" || opts === null) throw new TypeError("connectWs options must be an object");
  const { WebSocket: given, onProgress, ...rest } = opts;
  const Ws = given ?? (globalThis as { WebSocket?: WebSocketClass }).WebSocket;
  if (typeof Ws !== "function") throw new TypeError("connectWs: no WebSocket in this runtime; pass the ws package's as options.WebSocket");
  if (onProgress !== undefined && typeof onProgress !== "function") throw new TypeError("onProgress must be a function");
  const channelOpts = clientDefaults(rest);
  const o = checkChannelOptions(channelOpts);
  const socket = await openSocket(Ws, url, o.handshakeTimeoutMs ?? o.timeoutMs);
  const ch = new WsChannel(socket, url, channelOpts, false, queueNotices(url, onProgress));
  ch.sendNotice(CONNECT_NOTICE, new Uint8Array(0));
  return ch;
}
