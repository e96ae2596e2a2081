// A channel over a MessagePort: a worker thread in Node, a Web Worker or another window in a browser. Frames sent in
// one tick travel in one postMessage; small frames are packed into one transferred buffer, large frames transfer
// their own buffer, so a payload is copied once (into its frame) however large it is.
import { TickBatchedChannel, type BaseChannel, type ChannelOptions } from "./base.js";
import { ProtocolError } from "./errors.js";
import { decodeFrame, SLAB_MAX_ALLOC } from "./frame.js";

/** The part of a MessagePort (DOM or node:worker_threads) the channel uses. */
export interface PortLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: "message", listener: (ev: { data: unknown }) => void): void;
  addEventListener(type: "close", listener: () => void): void;
  start(): void;
  close(): void;
}

// Frames up to the slab limit are packed together; larger ones own their ArrayBuffer (allocBytes) and are transferred.
const PACK_FRAME_BYTES = SLAB_MAX_ALLOC;

class PortChannel extends TickBatchedChannel {
  constructor(
    private readonly port: PortLike,
    opts: ChannelOptions,
  ) {
    super(opts);
    port.addEventListener("message", (ev) => this.onMessage(ev.data));
    // Node emits "close" on both ports when either is closed or its thread exits; browsers do not (deadlines apply).
    port.addEventListener("close", () => this.transportFailed(new ProtocolError("the peer's port closed"), false));
    port.start();
  }

  protected endTransport(): void {
    this.port.close();
  }

  protected sendFrames(frames: Uint8Array[]): void {
    // Packed frames keep their payload 8-byte aligned: each starts at the same offset mod 8 as in its slab.
    let packed = 0;
    for (const f of frames) if (f.length <= PACK_FRAME_BYTES) packed = ((packed + 7) & ~7) + (f.byteOffset & 7) + f.length;
    const pack = packed > 0 ? new ArrayBuffer(packed) : undefined;
    const views: Uint8Array[] = [];
    const transfer: Transferable[] = pack ? [pack] : [];
    let at = 0;
    for (const f of frames) {
      if (f.length <= PACK_FRAME_BYTES) {
        at = ((at + 7) & ~7) + (f.byteOffset & 7);
        const v = new Uint8Array(pack!, at, f.length);
        v.set(f);
        views.push(v);
        at += f.length;
      } else {
        views.push(f);
        transfer.push(f.buffer as ArrayBuffer);
      }
    }
    try {
      this.port.postMessage(views, transfer);
    } catch (err) {
      this.transportFailed(new ProtocolError(`postMessage failed: ${(err as Error).message}`), false);
    }
  }

  private onMessage(data: unknown): void {
    if (!Array.isArray(data)) {
      this.transportFailed(new ProtocolError("port message is not a list of frames"), true);
      return;
    }
    for (const f of data) {
      if (!(f instanceof Uint8Array)) {
        this.transportFailed(new ProtocolError("port message holds something other than a frame"), true);
        return;
      }
      try {
        this.receive(decodeFrame(f, this.maxFrameBytes));
      } catch (err) {
        this.transportFailed(err as Error, true);
        return;
      }
    }
  }
}

/** A channel over `port`; the peer wraps the other end of the MessageChannel (for instance in a worker). */
export function portChannel(port: PortLike, opts: ChannelOptions = {}): BaseChannel {
  if (typeof port?.postMessage !== "function" || typeof port.addEventListener !== "function")
    throw new TypeError("portChannel: port must be a MessagePort");
  return new PortChannel(port, opts);
}
