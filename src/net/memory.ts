// Both ends of a channel in one process. Frames are encoded and decoded exactly as on TCP (so byte counts are
// identical) and delivered in a microtask: the payload is copied once, into the frame, and the receiver gets a view.
import type { Channel, Role } from "./channel.js";
import { BaseChannel, type ChannelOptions } from "./base.js";
import { decodeFrame, FrameKind } from "./frame.js";

export interface MemoryPairOptions extends ChannelOptions {
  /**
   * Fault injection: sees every frame in transit (data and control) and returns the bytes the peer receives.
   * Lets tests truncate or corrupt frames on the wire.
   */
  tamper?: (frame: Uint8Array, from: Role) => Uint8Array;
}

/**
 * Traffic of both ends together. A round is one flight: a maximal run of consecutive messages in one direction, in the
 * order they were sent (the first message opens round 1; each change of direction opens the next). Both parties
 * sending "at once" (each sends, then each receives) thus counts 2 rounds, though one one-way latency would do;
 * SCI's counter also counts direction switches. Only data and handshake frames count; abort and close do not.
 */
export interface PairTraffic {
  bytes: number;
  bytesServerToClient: number;
  bytesClientToServer: number;
  messages: number;
  rounds: number;
}

// A resolved promise's then() is a bare V8 microtask; Node's queueMicrotask adds an async resource per call.
const resolved = Promise.resolve();

class PairMeter {
  readonly t: PairTraffic = { bytes: 0, bytesServerToClient: 0, bytesClientToServer: 0, messages: 0, rounds: 0 };
  private lastFrom: Role | undefined;

  add(from: Role, n: number): void {
    const t = this.t;
    t.bytes += n;
    if (from === "server") t.bytesServerToClient += n;
    else t.bytesClientToServer += n;
    t.messages++;
    if (this.lastFrom !== from) {
      this.lastFrom = from;
      t.rounds++;
    }
  }
}

/** The shared transcript counters of one pair: the total plus any open measurement windows. */
class PairLog {
  readonly meters: PairMeter[] = [new PairMeter()];
}

class MemoryChannel extends BaseChannel {
  peer!: MemoryChannel;
  private outbox: Uint8Array[] = [];
  private scheduled = false;

  constructor(
    readonly end: Role,
    readonly log: PairLog,
    private readonly tamper: MemoryPairOptions["tamper"],
    opts: ChannelOptions,
  ) {
    super(opts);
  }

  protected transmit(frame: Uint8Array): void {
    if (frame[4] <= FrameKind.Handshake) for (const m of this.log.meters) m.add(this.end, frame.length);
    this.outbox.push(frame);
    if (!this.scheduled) {
      this.scheduled = true;
      resolved.then(this.flush);
    }
  }

  protected shutdown(): void {
    // Nothing to release: queued frames (the close or abort among them) are still delivered by `flush`.
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const frames = this.outbox;
    this.outbox = [];
    const peer = this.peer;
    for (const f of frames) {
      let frame;
      try {
        frame = decodeFrame(this.tamper ? this.tamper(f, this.end) : f, peer.maxFrameBytes);
      } catch (err) {
        peer.transportFailed(err as Error, true);
        return;
      }
      peer.receive(frame);
    }
  };
}

/** Two connected channel ends in this process: [server end, client end]. */
export function memoryPair(opts: MemoryPairOptions = {}): [Channel, Channel] {
  const { tamper, ...channelOpts } = opts;
  if (tamper !== undefined && typeof tamper !== "function") throw new TypeError("memoryPair: tamper must be a function");
  const log = new PairLog();
  const server = new MemoryChannel("server", log, tamper, channelOpts);
  const client = new MemoryChannel("client", log, tamper, channelOpts);
  server.peer = client;
  client.peer = server;
  return [server, client];
}

function logOf(a: Channel, b: Channel): PairLog {
  if (!(a instanceof MemoryChannel) || !(b instanceof MemoryChannel) || a.log !== b.log || a === b)
    throw new TypeError("pairTraffic: a and b must be the two ends of one memoryPair");
  return a.log;
}

/** Combined traffic of both ends of a memoryPair since it was created. */
export function pairTraffic(a: Channel, b: Channel): PairTraffic {
  return { ...logOf(a, b).meters[0].t };
}

/**
 * Runs `fn` and returns the pair's traffic during it, counted from a fresh start (the first message in the window
 * opens round 1), with the wall-clock time. Windows may nest or overlap.
 */
export async function measurePair<T>(a: Channel, b: Channel, fn: () => Promise<T>): Promise<{ result: T; traffic: PairTraffic; ms: number }> {
  const log = logOf(a, b);
  const meter = new PairMeter();
  log.meters.push(meter);
  const start = performance.now();
  try {
    const result = await fn();
    return { result, traffic: { ...meter.t }, ms: performance.now() - start };
  } finally {
    log.meters.splice(log.meters.indexOf(meter), 1);
  }
}
